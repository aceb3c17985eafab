// @ts-check
// Four eyes: the examiner's (or administrator's) queue of certificates waiting for approval in
// every class. Approving one numbers and signs it; the service refuses classes one teaches.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { confirm } from '../dialog.js';
import { message } from '../errors.js';
import { pick, t } from '../i18n.js';
import { badge } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').CertificateOut} CertificateOut */
/** @template T @typedef {import('../types.js').List<T>} List */

/**
 * @param {PageContext} ctx
 * @param {CertificateOut} cert
 * @param {HTMLElement} errorBox
 */
function approveButton(ctx, cert, errorBox) {
  const button = h('button', { type: 'button', class: 'small approve' }, t('certs.approve'));
  button.addEventListener('click', async () => {
    if (!(await confirm(t('certs.approve_confirm', { number: '', holder: cert.holder }), { ok: t('certs.approve') }))) return;
    await busy(button, async () => {
      errorBox.textContent = '';
      try {
        const done = await api.post(`/api/v1/certificates/${encodeURIComponent(cert.id)}/approve`);
        ctx.toast(t('certs.approve_done', { number: done?.number || '' }));
        ctx.reload();
      } catch (error) {
        errorBox.textContent = message(error);
      }
    });
  });
  return button;
}

/** @param {PageContext} ctx */
export default async function review(ctx) {
  /** @type {List<CertificateOut>} */
  const list = await api.get('/api/v1/certificates', { query: { status: 'pending' }, signal: ctx.signal });
  const rows = list.items.map((cert) => {
    const errorBox = h('p', { class: 'field-error row-error', role: 'alert' });
    return h('tr', { dataset: { certificateId: cert.id } },
      h('th', { scope: 'row', class: 'name' }, cert.holder),
      h('td', { 'data-label': t('cert.course') }, pick(cert.course, cert.course_en)),
      h('td', { 'data-label': t('roster.status') }, badge('cert_status', cert.status),
        cert.replaces ? h('p', { class: 'muted replaces' }, t('review.replaces')) : null),
      h('td', {}, approveButton(ctx, cert, errorBox), errorBox));
  });
  ctx.show(t('review.title'),
    h('p', { class: 'muted' }, t('review.lead')),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'pending-certificates', class: 'stack-table' },
      h('thead', {}, h('tr', {}, [t('cert.holder'), t('cert.course'), t('roster.status'), t('certs.actions')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))) : h('p', { class: 'notice' }, t('review.none')));
}
