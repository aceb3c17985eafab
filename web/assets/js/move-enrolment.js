// @ts-check
// 改期: move a confirmed seat to another class of the same course with a free seat, until the
// course's cut-off (by default the day before the first class day). One enrolment throughout.
import * as api from './api.js';
import { busy, h, replace } from './dom.js';
import { message } from './errors.js';
import { formatDate, t } from './i18n.js';
import { dateRange } from './views.js';

/** @typedef {import('./types.js').EnrolmentDetail} EnrolmentDetail */
/** @typedef {import('./types.js').ClassOut} ClassOut */
/** @template T @typedef {import('./types.js').List<T>} List */

/** Today where the classes take place, as YYYY-MM-DD. */
function chinaToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
}

/**
 * `day` (YYYY-MM-DD) moved by `days`.
 * @param {string} day
 * @param {number} days
 */
function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/**
 * The last day a class can still be moved from or to.
 * @param {string} startsOn
 * @param {number} cutoffDays
 */
function lastMoveDay(startsOn, cutoffDays) {
  return addDays(startsOn, -cutoffDays - 1);
}

/**
 * The 改期 control of a confirmed enrolment (null for any other).
 * @param {EnrolmentDetail} item
 * @param {{toast: (text: string) => void, after: () => void}} page
 */
export function moveControl(item, { toast, after }) {
  if (item.status !== 'confirmed' || item.class_info.status !== 'scheduled') return null;
  const body = h('div', { class: 'stack' });
  const box = h('details', { class: 'move', dataset: { enrollmentId: item.id } },
    h('summary', { class: 'button secondary small' }, t('move.open')), body);
  let loaded = false;
  box.addEventListener('toggle', () => {
    if (!box.open || loaded) return;
    loaded = true;
    fill(item, body, { toast, after }).catch((error) => {
      loaded = false;
      replace(body, h('p', { class: 'notice error', role: 'alert' }, message(error)));
    });
  });
  return box;
}

/**
 * @param {EnrolmentDetail} item
 * @param {HTMLElement} body
 * @param {{toast: (text: string) => void, after: () => void}} page
 */
async function fill(item, body, { toast, after }) {
  const course = item.class_info.course;
  /** @type {[import('./types.js').CourseOut & {move_cutoff_days: number}, List<ClassOut>]} */
  const [full, classes] = await Promise.all([
    api.get(`/api/v1/courses/${encodeURIComponent(course.id)}`),
    api.get('/api/v1/classes', { query: { course_id: course.id, limit: 100 } }),
  ]);
  const cutoff = full.move_cutoff_days;
  const today = chinaToday();
  const last = lastMoveDay(item.class_info.starts_on, cutoff);
  if (today > last) {
    replace(body, h('p', { class: 'muted', id: `move-closed-${item.id}` }, t('move.closed', { day: formatDate(last) })));
    return;
  }
  // A seat can be taken by a move only once the class's enrolment has opened (as by enrolling).
  const now = Date.now();
  const choices = classes.items.filter((c) => c.id !== item.class_id && c.status === 'scheduled'
    && !c.results_released_at && c.seats_left > 0 && today <= lastMoveDay(c.starts_on, cutoff)
    && Date.parse(c.enroll_opens_at) <= now);
  const lead = h('p', { class: 'muted' }, t('move.lead', { day: formatDate(last) }));
  if (!choices.length) {
    replace(body, lead, h('p', { class: 'notice' }, t('move.none')));
    return;
  }
  const select = h('select', { name: 'class_id', id: `move-to-${item.id}` }, choices.map((c) => h('option', { value: c.id },
    `${dateRange(c.starts_on, c.ends_on)} · ${c.venue} · ${t('move.seats', { n: c.seats_left })}`)));
  const button = h('button', { type: 'button', class: 'move-confirm' }, t('move.confirm'));
  const out = h('div', { 'aria-live': 'polite' });
  button.addEventListener('click', () => busy(button, async () => {
    const chosen = choices.find((c) => c.id === select.value);
    try {
      await api.post(`/api/v1/enrollments/${encodeURIComponent(item.id)}/move`, { class_id: select.value });
      toast(t('move.done', { when: chosen ? dateRange(chosen.starts_on, chosen.ends_on) : '' }));
      after();
    } catch (error) {
      replace(out, h('p', { class: 'notice error', role: 'alert' }, message(error)));
    }
  }));
  replace(body, lead,
    h('div', { class: 'field' }, h('label', { for: select.id }, t('move.to')), select),
    button, out);
}
