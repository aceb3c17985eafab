// @ts-check
// The roster: seat holders, offers and the waitlist, with masked contact and status.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { notice } from '../errors.js';
import { formatDate, formatNumber, locale, t } from '../i18n.js';
import { badge } from '../views.js';

/** @typedef {import('./console.js').Tab} Tab */
/** @typedef {import('../types.js').RosterEntry} RosterEntry */

/** @param {RosterEntry} entry */
function statusCell(entry) {
  const extra = entry.status === 'waitlisted' && entry.waitlist_position ? ` #${entry.waitlist_position}`
    : entry.status === 'offered' && entry.offer_expires_at ? ` → ${formatDate(entry.offer_expires_at, { withTime: true })}` : '';
  return h('td', {}, badge('status', entry.status), extra);
}

/** @param {RosterEntry} entry */
function reach(entry) {
  if (entry.reachable === null || entry.reachable === undefined) return '—';
  return entry.reachable ? t('roster.reachable') : t('roster.unreachable', { why: entry.unreachable_reason || '' });
}

/** @param {Tab} tab */
export async function rosterTab({ ctx, cls, roster }) {
  // Minutes attended by check-in (issue 16); the roster stays usable if they cannot be read.
  /** @type {Map<string, number>} */
  const minutes = new Map();
  try {
    /** @type {import('../types.js').ClassHoursOut} */
    const hours = await api.get(`/api/v1/classes/${encodeURIComponent(cls.id)}/hours`, { signal: ctx.signal });
    for (const item of hours.items) minutes.set(item.enrollment_id, item.minutes);
  } catch (error) {
    if (api.isAbort(error)) throw error;
  }
  const exportButton = h('button', { type: 'button', class: 'secondary small' }, t('roster.export'));
  const holder = h('div', {});
  exportButton.addEventListener('click', () => busy(exportButton, async () => {
    try {
      const lang = locale() === 'en' ? '?lang=en' : ''; // the file speaks the page's language
      await api.download(`/api/v1/classes/${encodeURIComponent(cls.id)}/roster.csv${lang}`, `roster-${cls.id}.csv`, 'text/csv');
    } catch (error) {
      holder.replaceChildren(notice(error));
    }
  }));
  const rows = roster.items.map((entry, index) => h('tr', { dataset: { enrollmentId: entry.enrollment_id, status: entry.status } },
    h('td', { class: 'num' }, String(index + 1)),
    h('td', { class: 'name' }, entry.name || '—'),
    h('td', { class: 'phone' }, entry.phone_masked),
    statusCell(entry),
    h('td', { class: 'num' }, `${formatNumber(entry.attendance_rate * 100)}%`),
    h('td', { class: 'num minutes' }, minutes.has(entry.enrollment_id) ? String(minutes.get(entry.enrollment_id)) : '—'),
    h('td', {}, entry.exam_eligible ? t('roster.yes') : t('roster.no')),
    h('td', { class: 'num' }, formatNumber(entry.theory_score, 1)),
    h('td', { class: 'num' }, formatNumber(entry.practical_score, 1)),
    h('td', {}, entry.passed === null ? '—' : entry.passed ? t('result.passed') : t('result.failed')),
    h('td', {}, entry.certificate_number || '—', entry.certificate_status ? [' ', badge('cert_status', entry.certificate_status)] : null),
    h('td', {}, reach(entry))));
  return h('div', { class: 'stack' },
    h('p', { class: 'row' },
      h('span', {}, t('console.seats', { taken: roster.capacity - roster.seats_left, cap: roster.capacity, wait: roster.waitlist_length })),
      exportButton),
    holder,
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'roster' },
      h('caption', { class: 'muted' }, t('roster.caption')),
      h('thead', {}, h('tr', {}, ['#', t('roster.name'), t('roster.phone'), t('roster.status'), t('roster.attendance'),
        t('roster.minutes'), t('roster.eligible'), t('roster.theory'), t('roster.practical'), t('roster.result'), t('roster.certificate'),
        t('roster.reach')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))) : h('p', { class: 'notice' }, t('roster.empty')));
}
