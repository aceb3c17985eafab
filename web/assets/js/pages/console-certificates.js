// A class's certificates: approve pending ones, suspend, reinstate or revoke with a reason.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { confirm } from '../dialog.js';
import { message, notice } from '../errors.js';
import { formatDate, t } from '../i18n.js';
import { badge } from '../views.js';

/** The certification service's list of one class's certificates. */
export function classCertificates(classId, signal) {
  return api.get('/api/v1/certificates', { query: { class_id: classId }, signal });
}

const ACTIONS = {
  approve: { when: ['pending'], reason: false, danger: false },
  suspend: { when: ['valid'], reason: true, danger: true },
  reinstate: { when: ['suspended'], reason: false, danger: false },
  revoke: { when: ['valid', 'suspended'], reason: true, danger: true },
};

function actionButton(ctx, cert, name, out) {
  const spec = ACTIONS[name];
  const button = h('button', { type: 'button', class: `small ${spec.danger ? 'danger' : 'secondary'} ${name}` }, t(`certs.${name}`));
  button.addEventListener('click', async () => {
    const answer = await confirm(t(`certs.${name}_confirm`, { number: cert.number || '', holder: cert.holder }), {
      ok: t(`certs.${name}`), danger: spec.danger, reason: spec.reason ? t('certs.reason') : null, required: spec.reason,
    });
    if (answer === false) return;
    await busy(button, async () => {
      try {
        const body = spec.reason ? { reason: answer } : undefined;
        await api.post(`/api/v1/certificates/${encodeURIComponent(cert.id)}/${name}`, body);
        ctx.toast(t(`certs.${name}_done`));
        ctx.reload();
      } catch (error) {
        out.replaceChildren(notice(error));
      }
    });
  });
  return button;
}

export async function certificatesTab({ ctx, cls }) {
  const out = h('div', { 'aria-live': 'polite' });
  let list;
  try {
    list = await classCertificates(cls.id, ctx.signal);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return h('div', {}, h('p', { class: 'notice error' }, message(error)));
  }
  const pending = list.items.filter((c) => c.status === 'pending');
  const bulk = pending.length > 1 ? h('button', { type: 'button', id: 'approve-all' }, t('certs.approve_all', { n: pending.length })) : null;
  bulk?.addEventListener('click', () => busy(bulk, async () => {
    try {
      const r = await api.post('/api/v1/certificates/approve', { ids: pending.map((c) => c.id) });
      ctx.toast(t('certs.approved_many', { ok: r.approved.length, failed: r.failed.length }));
      ctx.reload();
    } catch (error) {
      out.replaceChildren(notice(error));
    }
  }));
  const rows = list.items.map((cert) => h('tr', { dataset: { certificateId: cert.id, status: cert.status } },
    h('td', { class: 'name' }, cert.holder),
    h('td', {}, h('a', { href: `/me/certificates/${encodeURIComponent(cert.id)}` }, cert.number || t('cert.not_yet'))),
    h('td', {}, badge('cert_status', cert.status), cert.reason ? h('div', { class: 'muted' }, cert.reason) : null),
    h('td', {}, formatDate(cert.issued_on)),
    h('td', {}, h('div', { class: 'row' }, Object.keys(ACTIONS)
      .filter((name) => ACTIONS[name].when.includes(cert.status))
      .map((name) => actionButton(ctx, cert, name, out))))));
  return h('div', { class: 'stack' },
    h('p', { class: 'muted' }, t('certs.lead')),
    bulk, out,
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'certificates' },
      h('thead', {}, h('tr', {}, [t('cert.holder'), t('cert.number'), t('roster.status'), t('cert.issued_on'), t('certs.actions')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))) : h('p', { class: 'notice' }, t('certs.none')));
}
