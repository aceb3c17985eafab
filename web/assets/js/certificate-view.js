// @ts-check
// A certificate: its facts and what the holder can do with it (PDF, verify link, share).
import * as api from './api.js';
import { append, busy, h } from './dom.js';
import { message } from './errors.js';
import { formatDate, formatNumber, locale, pick, t, withLang } from './i18n.js';
import { badge, levelText } from './views.js';

/** @typedef {import('./types.js').CertificateOut} CertificateOut */

/**
 * The document title: 职业技能等级证书 or 培训合格证书 (English names when asked).
 * @param {CertificateOut} cert
 */
export function certTitle(cert) {
  return locale() === 'en' ? t(`cert.kind.${cert.kind}`) : cert.title;
}

/**
 * The occupation with its work type in brackets; none (the service writes "--") adds nothing.
 * @param {CertificateOut} cert
 */
function occupationText(cert) {
  const workType = cert.work_type && cert.work_type !== '--' ? cert.work_type : '';
  if (!workType) return cert.occupation || '--';
  return t('cert.occupation_value', { occupation: cert.occupation || '--', work_type: workType });
}

/**
 * The facts printed on the certificate, as a definition list.
 * @param {CertificateOut} cert
 */
export function certFacts(cert) {
  const rows = /** @type {([string, import('./dom.js').Child] | null)[]} */ ([
    [t('cert.holder'), h('span', { class: 'holder' }, cert.holder)],
    cert.id_number ? [t('cert.id_number'), cert.id_number] : null,
    [t('cert.occupation'), occupationText(cert)],
    cert.level ? [t('cert.level'), levelText(cert.level, cert.level_name)] : [t('cert.course'), pick(cert.course, cert.course_en)],
    cert.level ? [t('cert.course'), pick(cert.course, cert.course_en)] : [t('cert.hours'), formatNumber(cert.hours, 1)],
    [t('cert.number'), h('span', { class: 'cert-number' }, cert.number || t('cert.not_yet'))],
    cert.code ? [t('cert.code'), h('code', { class: 'cert-code' }, cert.code)] : null,
    [t('cert.issued_on'), formatDate(cert.issued_on)],
    cert.expires_on ? [t('cert.expires_on'), formatDate(cert.expires_on)] : null,
    [t('cert.issuer'), cert.issuer],
  ]).filter((row) => row !== null);
  return h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/**
 * The status line, with the reason when revoked or suspended.
 * @param {CertificateOut} cert
 */
export function certStatus(cert) {
  return h('p', { class: 'cert-status' }, badge('cert_status', cert.status), ' ',
    cert.status === 'pending' ? t('cert.pending_text') : '',
    cert.reason && cert.status !== 'valid' ? t('cert.reason', { reason: cert.reason }) : '');
}

/**
 * @param {CertificateOut} cert
 * @param {string} url  its verification link
 * @param {(text: string) => void} toast
 */
async function share(cert, url, toast) {
  const text = t('cert.share_text', { number: cert.number || '' });
  if (navigator.share) {
    try {
      await navigator.share({ title: certTitle(cert), text, url });
      return;
    } catch (error) {
      if (api.isAbort(error)) return;
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    toast(t('cert.link_copied'));
  } catch {
    toast(url);
  }
}

/**
 * PDF, verification link, share and credential buttons for an issued certificate.
 * @param {CertificateOut} cert
 * @param {{toast: (text: string) => void}} page
 */
export function certActions(cert, { toast }) {
  if (!cert.number || cert.status === 'pending' || cert.status === 'withdrawn') return null;
  const out = h('div', { class: 'row actions' });
  const report = (/** @type {unknown} */ error) => {
    out.querySelector('.notice')?.remove();
    out.append(h('p', { class: 'notice error', role: 'alert' }, message(error)));
  };
  const pdf = h('button', { type: 'button', class: 'pdf' }, t('cert.pdf'));
  pdf.addEventListener('click', () => busy(pdf, async () => {
    try {
      await api.download(`/api/v1/certificates/${encodeURIComponent(cert.id)}/pdf`, `certificate-${cert.number}.pdf`, 'application/pdf');
    } catch (error) {
      report(error);
    }
  }));
  const credential = h('button', { type: 'button', class: 'plain credential' }, t('cert.credential'));
  credential.addEventListener('click', () => busy(credential, async () => {
    try {
      const body = await api.get(`/api/v1/certificates/${encodeURIComponent(cert.id)}/credential`);
      const blob = new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' });
      const href = URL.createObjectURL(blob);
      const link = h('a', { href, download: `credential-${cert.number}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
    } catch (error) {
      report(error);
    }
  }));
  const url = cert.verify_url;
  // append() skips the nulls of a certificate without a verification link; out.append() would
  // show them as the text "null".
  return append(out, [pdf,
    url ? h('a', { class: 'button secondary verify-link', href: withLang(url), dataset: { external: '' } }, t('cert.verify')) : null,
    url ? h('button', { type: 'button', class: 'plain', onclick: () => share(cert, url, toast) }, t('cert.share')) : null,
    credential]);
}
