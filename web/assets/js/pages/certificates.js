// @ts-check
// My certificates, and the ones still being issued after a passing result.
import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { t, withLang } from '../i18n.js';
import { certActions, certFacts, certStatus, certTitle } from '../certificate-view.js';
import { courseTitle } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').CertificateOut} CertificateOut */
/** @typedef {import('../types.js').EnrolmentDetail} EnrolmentDetail */
/** @template T @typedef {import('../types.js').List<T>} List */

/**
 * @param {CertificateOut} cert
 * @param {PageContext} ctx
 */
function card(cert, ctx) {
  return h('article', { class: 'card certificate', dataset: { certificateId: cert.id, status: cert.status } },
    h('div', { class: 'spread' },
      h('h3', {}, h('a', { href: `/me/certificates/${encodeURIComponent(cert.id)}` }, certTitle(cert))),
      certStatus(cert)),
    certFacts(cert),
    certActions(cert, { toast: ctx.toast }));
}

/**
 * My certificates, and my passing enrolments that have none yet.
 * @param {AbortSignal} signal
 */
async function load(signal) {
  /** @type {[List<CertificateOut>, List<EnrolmentDetail>]} */
  const [certs, enrollments] = await Promise.all([
    api.get('/api/v1/me/certificates', { signal }),
    api.get('/api/v1/me/enrollments', { signal }),
  ]);
  const have = new Set(certs.items.map((c) => c.enrollment_id));
  const waiting = enrollments.items.filter((e) => e.result?.passed === true && !have.has(e.id));
  return { certs: certs.items, waiting };
}

/** @param {PageContext} ctx */
export default async function certificates(ctx) {
  let data = await load(ctx.signal);
  const box = h('div', { class: 'stack', id: 'certificates' });
  const draw = () => {
    const waiting = data.waiting.map((e) => h('p', { class: 'notice issuing', role: 'status' },
      t('cert.issuing', { course: courseTitle(e.class_info.course) })));
    const cards = data.certs.map((c) => card(c, ctx));
    replace(box, waiting, cards,
      !cards.length && !waiting.length ? h('p', { class: 'notice' }, t('cert.none')) : null);
  };
  draw();
  ctx.show(t('cert.mine_title'), h('p', { class: 'muted' }, t('cert.mine_lead')), box,
    h('p', {}, h('a', { href: withLang('/verify'), dataset: { external: '' } }, t('foot.verify'))));
  let last = JSON.stringify(data);
  ctx.every(async () => {
    if (!data.waiting.length && !data.certs.some((c) => c.status === 'pending')) return;
    try {
      const fresh = await load(ctx.signal);
      const text = JSON.stringify(fresh);
      if (text !== last && !document.querySelector('dialog[open]')) {
        data = fresh;
        last = text;
        draw();
      }
    } catch {
      /* try again at the next tick */
    }
  }, 4000);
}
