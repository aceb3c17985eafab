// @ts-check
// The roster: seat holders, offers and the waitlist, with masked contact and status.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { notice } from '../errors.js';
import { locale, t } from '../i18n.js';
import { liveCell } from './console-live.js';

/** @typedef {import('./console.js').Tab} Tab */
/** @typedef {import('../types.js').RosterEntry} RosterEntry */

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
    liveCell('status', entry),
    liveCell('attendance', entry, { class: 'num' }),
    h('td', { class: 'num minutes' }, minutes.has(entry.enrollment_id) ? String(minutes.get(entry.enrollment_id)) : '—'),
    liveCell('eligible', entry),
    liveCell('theory', entry, { class: 'num' }),
    liveCell('practical', entry, { class: 'num' }),
    liveCell('result', entry),
    liveCell('certificate', entry),
    h('td', {}, reach(entry))));
  return h('div', { class: 'stack' },
    h('p', { class: 'row' },
      h('span', { dataset: { liveSeats: '' } }, t('console.seats', { taken: roster.capacity - roster.seats_left, cap: roster.capacity, wait: roster.waitlist_length })),
      exportButton),
    holder,
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'roster' },
      h('caption', { class: 'muted' }, t('roster.caption')),
      h('thead', {}, h('tr', {}, ['#', t('roster.name'), t('roster.phone'), t('roster.status'), t('roster.attendance'),
        t('roster.minutes'), t('roster.eligible'), t('roster.theory'), t('roster.practical'), t('roster.result'), t('roster.certificate'),
        t('roster.reach')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))) : h('p', { class: 'notice' }, t('roster.empty')));
}
