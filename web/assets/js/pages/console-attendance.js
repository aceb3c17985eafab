// @ts-check
// Attendance for one class day: present, late, excused or absent per trainee holding a seat.
import * as api from '../api.js';
import { busy, h, uid } from '../dom.js';
import { formMessage, showDone, showErrors } from '../errors.js';
import { form } from '../forms.js';
import { formatDate, t, today } from '../i18n.js';

/** @typedef {import('./console.js').Tab} Tab */

export const ON_ROSTER = new Set(['confirmed', 'attended', 'completed', 'no_show']);
const MARKS = ['present', 'late', 'excused', 'absent'];

/**
 * @param {string[]} days
 * @param {string | null} asked
 */
function defaultDay(days, asked) {
  if (asked && days.includes(asked)) return asked;
  const now = today();
  if (days.includes(now)) return now;
  const past = days.filter((d) => d <= now);
  return past.length ? past[past.length - 1] : days[0];
}

/** @param {Tab} tab */
export async function attendanceTab({ ctx, cls, roster, base }) {
  const days = roster.schedule_days;
  const day = defaultDay(days, ctx.query.get('day'));
  const seated = roster.items.filter((e) => ON_ROSTER.has(e.status));
  const dayId = uid('day');
  const picker = h('div', { class: 'field' },
    h('label', { for: dayId }, t('attendance.day')),
    h('select', { id: dayId, name: 'day' }, days.map((d) => h('option', { value: d, selected: d === day },
      formatDate(d, { weekday: true }) + (d > today() ? ` (${t('attendance.future')})` : '')))));
  const select = /** @type {HTMLSelectElement} */ (picker.querySelector('select'));
  select.addEventListener('change', () => {
    ctx.go(`${base}/attendance?day=${encodeURIComponent(select.value)}`);
  });
  if (!seated.length) return h('div', {}, picker, h('p', { class: 'notice' }, t('attendance.nobody')));

  const rows = seated.map((entry) => {
    const id = uid('mark');
    const marked = entry.attendance?.[day] || '';
    return h('tr', { dataset: { enrollmentId: entry.enrollment_id } },
      h('td', { class: 'name' }, h('label', { for: id }, entry.name || entry.phone_masked)),
      h('td', { 'data-label': t('attendance.mark') }, h('select', { id, name: entry.enrollment_id, class: 'mark' },
        h('option', { value: '', selected: !marked }, t('attendance.unmarked')),
        MARKS.map((m) => h('option', { value: m, selected: marked === m }, t(`attendance.${m}`))))));
  });
  const sheet = form({ id: 'attendance-form', class: 'stack wide' },
    h('div', { class: 'table-wrap' }, h('table', { class: 'stack-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('roster.name')), h('th', { scope: 'col' }, t('attendance.mark')))),
      h('tbody', {}, rows))),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'plain', id: 'all-present' }, t('attendance.all_present')),
      h('button', { type: 'submit' }, t('attendance.save'))));
  const marks = () => /** @type {NodeListOf<HTMLSelectElement>} */ (sheet.querySelectorAll('select.mark'));
  /** @type {HTMLElement} */ (sheet.querySelector('#all-present')).addEventListener('click', () => {
    for (const mark of marks()) if (!mark.value) mark.value = 'present';
  });
  sheet.addEventListener('submit', (event) => {
    event.preventDefault();
    const records = [...marks()]
      .filter((s) => s.value).map((s) => ({ enrollment_id: s.name, status: s.value }));
    if (!records.length) {
      formMessage(sheet, t('attendance.nothing'));
      return;
    }
    busy(sheet.querySelector('button[type=submit]'), async () => {
      try {
        await api.put(`/api/v1/classes/${encodeURIComponent(cls.id)}/attendance/${encodeURIComponent(day)}`, { records });
        showDone(sheet, t('attendance.saved', { n: records.length, day: formatDate(day) }));
      } catch (error) {
        showErrors(sheet, error);
      }
    });
  });
  return h('div', {}, picker, sheet);
}
