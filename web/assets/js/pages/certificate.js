// @ts-check
// One certificate in full (holder, trainers and administrators may open it).
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import * as session from '../session.js';
import { certActions, certFacts, certStatus, certTitle } from '../certificate-view.js';

/** @typedef {import('../main.js').PageContext} PageContext */

/** @param {PageContext} ctx */
export default async function certificate(ctx) {
  /** @type {import('../types.js').CertificateOut} */
  const cert = await api.get(`/api/v1/certificates/${encodeURIComponent(ctx.params.id)}`, { signal: ctx.signal });
  const back = session.role() === 'trainee' ? ['/me/certificates', t('nav.certificates')]
    : [`/trainer/classes/${encodeURIComponent(cert.class_id)}/certificates`, t('console.tab.certificates')];
  ctx.show(certTitle(cert),
    h('article', { class: 'card certificate', dataset: { certificateId: cert.id, status: cert.status } },
      certStatus(cert),
      certFacts(cert),
      certActions(cert, { toast: ctx.toast }),
      cert.replaced_by ? h('p', {}, h('a', { href: `/me/certificates/${encodeURIComponent(cert.replaced_by)}` }, t('cert.replaced_by'))) : null),
    h('p', {}, h('a', { href: back[0] }, back[1])));
}
