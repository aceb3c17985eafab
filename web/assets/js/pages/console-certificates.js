// @ts-check
// A class's certificates: issue now for a passing result without one; approve pending ones;
// suspend, reinstate, revoke or reissue with a reason. Four eyes: a trainer releases and may
// suspend; an examiner or administrator approves; only an administrator reinstates, revokes
// or asks for a reissue, which waits (pending, beside the valid one) for another approver.
// The buttons follow the roles (the service refuses the rest anyway).
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { confirm } from '../dialog.js';
import { message } from '../errors.js';
import { formatDate, t } from '../i18n.js';
import { role } from '../session.js';
import { badge } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('./console.js').Tab} Tab */
/** @typedef {import('../types.js').CertificateOut} CertificateOut */
/** @typedef {import('../types.js').ReleasedResult} ReleasedResult */
/** @template T @typedef {import('../types.js').List<T>} List */

/**
 * The certification service's list of one class's certificates.
 * @param {string} classId
 * @param {AbortSignal} [signal]
 * @returns {Promise<List<CertificateOut>>}
 */
export function classCertificates(classId, signal) {
  return api.get('/api/v1/certificates', { query: { class_id: classId }, signal });
}

/**
 * The certification service's released results of one class, with their live certificate.
 * @param {string} classId
 * @param {AbortSignal} [signal]
 * @returns {Promise<List<ReleasedResult>>}
 */
function classResults(classId, signal) {
  return api.get('/api/v1/results', { query: { class_id: classId }, signal });
}

// A certificate not issued yet: none at all, withdrawn (the result was once a fail) or held
// for approval. "Issue now" numbers and signs it at once (for a pending one, like approving).
const NOT_ISSUED = new Set([null, undefined, 'withdrawn', 'pending']);

const APPROVERS = ['admin', 'examiner'];
const MANAGERS = ['admin', 'trainer'];
const ADMINS = ['admin'];

/** @type {Record<string, {when: string[], reason: boolean, danger: boolean, who: string[]}>} */
const ACTIONS = {
  approve: { when: ['pending'], reason: false, danger: false, who: APPROVERS },
  suspend: { when: ['valid'], reason: true, danger: true, who: MANAGERS },
  reinstate: { when: ['suspended'], reason: false, danger: false, who: ADMINS },
  revoke: { when: ['valid', 'suspended'], reason: true, danger: true, who: ADMINS },
  // The service reissues only a valid one: a suspended one is reinstated first, a revoked one stays.
  reissue: { when: ['valid'], reason: true, danger: false, who: ADMINS },
};

/** A place in a table row for the error of that row's action (announced at once). */
function rowError() {
  return h('p', { class: 'field-error row-error', role: 'alert' });
}

/**
 * @param {HTMLElement} box
 * @param {unknown} error
 */
function showRowError(box, error) {
  box.textContent = message(error);
}

/**
 * @param {PageContext} ctx
 * @param {CertificateOut} cert
 * @param {string} name  one of ACTIONS
 * @param {HTMLElement} errorBox
 */
function actionButton(ctx, cert, name, errorBox) {
  const spec = ACTIONS[name];
  const button = h('button', { type: 'button', class: `small ${spec.danger ? 'danger' : 'secondary'} ${name}` }, t(`certs.${name}`));
  button.addEventListener('click', async () => {
    // A revocation's public category (the reason's text stays with staff and the holder).
    const choice = name === 'revoke' ? {
      label: t('certs.category'), value: 'other',
      options: /** @type {[string, string][]} */ (['information_error', 'improperly_obtained', 'other'].map((c) => [c, t(`certs.category.${c}`)])),
    } : null;
    const answer = await confirm(t(`certs.${name}_confirm`, { number: cert.number || '', holder: cert.holder }), {
      ok: t(`certs.${name}`), danger: spec.danger, reason: spec.reason ? t('certs.reason') : null, required: spec.reason, choice,
    });
    if (answer === false) return;
    await busy(button, async () => {
      errorBox.textContent = '';
      try {
        const body = spec.reason ? { reason: answer, ...(choice ? { category: choice.value } : {}) } : undefined;
        const done = await api.post(`/api/v1/certificates/${encodeURIComponent(cert.id)}/${name}`, body);
        ctx.toast(t(`certs.${name}_done`, { number: done?.number || '' }));
        ctx.reload();
      } catch (error) {
        showRowError(errorBox, error);
      }
    });
  });
  return button;
}

/**
 * @param {PageContext} ctx
 * @param {ReleasedResult} result
 * @param {HTMLElement} errorBox
 */
function issueButton(ctx, result, errorBox) {
  const button = h('button', { type: 'button', class: 'small issue-now' }, t('certs.issue_now'));
  button.addEventListener('click', async () => {
    if (!(await confirm(t('certs.issue_now_confirm', { holder: result.holder }), { ok: t('certs.issue_now') }))) return;
    await busy(button, async () => {
      errorBox.textContent = '';
      try {
        const cert = await api.post(`/api/v1/results/${encodeURIComponent(result.enrollment_id)}/certificate`);
        ctx.toast(t('certs.issue_now_done', { number: cert.number || '', holder: result.holder }));
        ctx.reload();
      } catch (error) {
        showRowError(errorBox, error);
      }
    });
  });
  return button;
}

/**
 * Passing results whose certificate is not issued yet, each with "issue now" where allowed.
 * @param {PageContext} ctx
 * @param {ReleasedResult[]} results
 */
function awaiting(ctx, results) {
  const rows = results.filter((r) => r.passed && NOT_ISSUED.has(r.certificate_status)).map((r) => {
    const errorBox = rowError();
    return h('tr', { dataset: { enrollmentId: r.enrollment_id } },
      h('th', { scope: 'row', class: 'name' }, r.holder),
      h('td', { 'data-label': t('certs.released_on') }, formatDate(r.released_at)),
      h('td', { 'data-label': t('roster.status') }, r.certificate_status ? badge('cert_status', r.certificate_status) : t('certs.no_certificate')),
      // Issuing now is approving: only to whom the service allows it (never a trainer of the
      // class, unless the course issues in one step); the others see who will.
      h('td', {}, r.may_issue ? issueButton(ctx, r, errorBox) : h('span', { class: 'muted awaits-approver' }, t('certs.awaits_approver')), errorBox));
  });
  if (!rows.length) return null;
  return h('section', { class: 'stack', 'aria-labelledby': 'awaiting-h' },
    h('h3', { id: 'awaiting-h' }, t('certs.awaiting_title')),
    h('p', { class: 'muted' }, t('certs.awaiting_lead')),
    h('div', { class: 'table-wrap' }, h('table', { id: 'awaiting-results', class: 'stack-table' },
      h('thead', {}, h('tr', {}, [t('cert.holder'), t('certs.released_on'), t('roster.status'), t('certs.actions')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))));
}

/**
 * Settle `promise` to its value or its error (an abort still throws).
 * @template T
 * @param {Promise<T>} promise
 * @returns {Promise<{value: T} | {error: unknown}>}
 */
async function load(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    if (api.isAbort(error)) throw error;
    return { error };
  }
}

/** @param {Tab} tab */
export async function certificatesTab({ ctx, cls }) {
  const out = h('div', { 'aria-live': 'polite' });
  const [certs, results] = await Promise.all([
    load(classCertificates(cls.id, ctx.signal)), load(classResults(cls.id, ctx.signal))]);
  if ('error' in certs) return h('div', {}, h('p', { class: 'notice error', role: 'alert' }, message(certs.error)));
  const list = certs.value;
  const pending = list.items.filter((c) => c.status === 'pending');
  const bulk = pending.length > 1 && APPROVERS.includes(role() || '') ? h('button', { type: 'button', id: 'approve-all' }, t('certs.approve_all', { n: pending.length })) : null;
  bulk?.addEventListener('click', () => busy(bulk, async () => {
    try {
      /** @type {import('../types.js').BulkApproveOut} */
      const r = await api.post('/api/v1/certificates/approve', { ids: pending.map((c) => c.id) });
      ctx.toast(t('certs.approved_many', { ok: r.approved.length, failed: r.failed.length }));
      ctx.reload();
    } catch (error) {
      out.replaceChildren(h('p', { class: 'notice error', role: 'alert' }, message(error)));
    }
  }));
  const rows = list.items.map((cert) => {
    const errorBox = rowError();
    return h('tr', { dataset: { certificateId: cert.id, status: cert.status } },
      h('th', { scope: 'row', class: 'name' }, cert.holder),
      h('td', { 'data-label': t('cert.number') }, h('a', { href: `/me/certificates/${encodeURIComponent(cert.id)}` }, cert.number || t('cert.not_yet'))),
      h('td', { 'data-label': t('roster.status') }, h('span', {}, badge('cert_status', cert.status), cert.reason ? h('span', { class: 'muted' }, ` ${cert.reason}`) : null),
        cert.replaces && cert.status === 'pending' ? h('p', { class: 'muted replaces' }, t('review.replaces')) : null),
      h('td', { 'data-label': t('cert.issued_on') }, formatDate(cert.issued_on)),
      h('td', {}, h('div', { class: 'row' }, Object.keys(ACTIONS)
        .filter((name) => ACTIONS[name].when.includes(cert.status) && ACTIONS[name].who.includes(role() || ''))
        .map((name) => actionButton(ctx, cert, name, errorBox))), errorBox));
  });
  return h('div', { class: 'stack' },
    'error' in results ? h('p', { class: 'notice error', role: 'alert' }, message(results.error)) : awaiting(ctx, results.value.items),
    h('h3', {}, t('certs.list_title')),
    h('p', { class: 'muted' }, t('certs.lead')),
    bulk, out,
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'certificates', class: 'stack-table' },
      h('thead', {}, h('tr', {}, [t('cert.holder'), t('cert.number'), t('roster.status'), t('cert.issued_on'), t('certs.actions')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))) : h('p', { class: 'notice' }, t('certs.none')));
}
