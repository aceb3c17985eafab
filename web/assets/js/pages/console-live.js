// @ts-check
// The console's read-only cells kept current without a reload: a tab marks a cell with
// data-live="<kind>" in a row with data-enrollment-id; refreshing the roster rewrites those
// cells (never an input being typed in, never a message just shown).
import { h } from '../dom.js';
import { formatDate, formatNumber, t } from '../i18n.js';
import { badge } from '../views.js';

/** @typedef {import('../types.js').RosterEntry} RosterEntry */
/** @typedef {import('../types.js').RosterOut} RosterOut */

/** @type {Record<string, (entry: RosterEntry) => import('../dom.js').Child[]>} */
const CELLS = {
  result: (e) => [e.passed === null ? '—' : e.passed ? t('result.passed') : t('result.failed')],
  eligible: (e) => [e.exam_eligible ? t('roster.yes') : t('roster.no')],
  eligible_exam: (e) => [e.exam_eligible ? t('roster.yes') : t('scores.not_eligible')],
  theory: (e) => [formatNumber(e.theory_score, 1)],
  practical: (e) => [formatNumber(e.practical_score, 1)],
  attendance: (e) => [`${formatNumber(e.attendance_rate * 100)}%`],
  status: (e) => {
    const extra = e.status === 'waitlisted' && e.waitlist_position ? ` #${e.waitlist_position}`
      : e.status === 'offered' && e.offer_expires_at ? ` → ${formatDate(e.offer_expires_at, { withTime: true })}` : '';
    return [badge('status', e.status), extra];
  },
  certificate: (e) => [e.certificate_number || '—', ...(e.certificate_status ? [' ', badge('cert_status', e.certificate_status)] : [])],
};

/**
 * A table cell kept current: `kind` is one of CELLS.
 * @param {string} kind
 * @param {RosterEntry} entry
 * @param {Record<string, unknown>} [props]
 */
export function liveCell(kind, entry, props = {}) {
  return h('td', { ...props, dataset: { live: kind } }, CELLS[kind](entry));
}

/**
 * Rewrite the live cells under `root` from a fresh roster.
 * @param {HTMLElement} root
 * @param {RosterOut} roster
 */
export function updateLive(root, roster) {
  const byId = new Map(roster.items.map((e) => [e.enrollment_id, e]));
  for (const row of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll('[data-enrollment-id]'))) {
    const entry = byId.get(row.dataset.enrollmentId || '');
    if (!entry) continue;
    for (const cell of /** @type {NodeListOf<HTMLElement>} */ (row.querySelectorAll('[data-live]'))) {
      const render = CELLS[cell.dataset.live || ''];
      if (render) cell.replaceChildren(...h('span', {}, render(entry)).childNodes);
    }
  }
  const seats = root.querySelector('[data-live-seats]');
  if (seats) seats.textContent = t('console.seats', { taken: roster.capacity - roster.seats_left, cap: roster.capacity, wait: roster.waitlist_length });
}
