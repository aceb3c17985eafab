// @ts-check
// One class: schedule, venue, live seats left; enrol, see the waitlist position, accept, cancel.
import * as api from '../api.js';
import { h } from '../dom.js';
import { formatDate, formatNumber, t } from '../i18n.js';
import * as session from '../session.js';
import { enrolArea } from './class-enrol.js';
import { adminLink, allocationOf, eligibilityNotice, lotteryArea } from '../fair.js';
import { courseTitle, dateRange, levelText, openBadge, seatsText, venueText } from '../views.js';

/** @typedef {import('../types.js').ClassOut} ClassOut */
/** @typedef {import('../types.js').EnrolmentDetail} EnrolmentDetail */
/** @typedef {import('../types.js').Readiness} Readiness */
/** @template T @typedef {import('../types.js').List<T>} List */

const LIVE = new Set(['confirmed', 'waitlisted', 'offered', 'attended', 'completed', 'no_show']);

/**
 * My live enrolment in the class, if I am a trainee and have one.
 * @param {string} classId
 * @param {AbortSignal} signal
 * @returns {Promise<EnrolmentDetail | null>}
 */
async function mine(classId, signal) {
  if (session.role() !== 'trainee') return null;
  /** @type {List<EnrolmentDetail>} */
  const list = await api.get('/api/v1/me/enrollments', { signal });
  return list.items.find((e) => e.class_id === classId && LIVE.has(e.status)) || null;
}

/** @param {ClassOut} cls */
function facts(cls) {
  const rows = /** @type {([string, import('../dom.js').Child] | null)[]} */ ([
    [t('class.when'), dateRange(cls.starts_on, cls.ends_on)],
    [t('class.days'), h('ul', { class: 'meta' }, cls.schedule_days.map((d) => h('li', {}, formatDate(d, { weekday: true }))))],
    cls.session_start ? [t('class.starts_at'), cls.session_start.slice(0, 5)] : null,
    [t('class.hours'), t('class.hours_value', { n: formatNumber(cls.total_hours, 1), per: formatNumber(cls.hours_per_day, 1) })],
    [t('class.where'), venueText(cls)],
    [t('class.trainers'), cls.trainers.length ? cls.trainers.map((x) => x.name).join('、') : '—'],
    [t('class.window'), `${formatDate(cls.enroll_opens_at, { withTime: true })} – ${formatDate(cls.enroll_closes_at, { withTime: true })}`],
    [t('class.policy'), t(`class.policy.${cls.waitlist_policy}`, { h: cls.offer_hours })],
    cls.union_members_only ? [t('class.eligibility'), t('class.union_only')] : null,
  ]).filter((row) => row !== null);
  return h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** @param {ClassOut} cls */
function seatsBox(cls) {
  return h('div', { class: 'card', id: 'seats' },
    h('p', { class: `seats ${cls.seats_left > 0 ? '' : 'none'}`.trim(), 'aria-live': 'polite', id: 'seats-left' }, seatsText(cls)),
    h('meter', { min: 0, max: cls.capacity, value: cls.capacity - cls.seats_left, 'aria-label': t('class.seats_taken') }),
    h('p', { class: 'muted' }, t('class.waitlist_length', { n: cls.waitlist_length })));
}

/** @param {import('../main.js').PageContext} ctx */
export default async function classPage(ctx) {
  const id = ctx.params.id;
  /** @type {[ClassOut, EnrolmentDetail | null, import('../fair.js').Allocation, HTMLElement | null, Readiness | null]} */
  const [cls, current, allocation, rules, readiness] = await Promise.all([
    api.get(`/api/v1/classes/${encodeURIComponent(id)}`, { signal: ctx.signal }),
    mine(id, ctx.signal),
    allocationOf(id, ctx.signal),
    eligibilityNotice(id, ctx.signal),
    session.role() === 'trainee'
      ? api.get(`/api/v1/classes/${encodeURIComponent(id)}/readiness`, { signal: ctx.signal }) : null,
  ]);
  // A lottery class takes applications until the draw; its enrolments come from the draw.
  const area = allocation.mode === 'lottery' && !current ? await lotteryArea(ctx, cls) : null;
  const seats = seatsBox(cls);
  // "Opens at ..." turns into "open" when the class opens while the page is shown.
  const openState = h('span', { id: 'open-state' }, openBadge(cls));
  // Live seats: free classes fill in minutes, so keep the count fresh while the page is open.
  const refreshSeats = async () => {
    try {
      /** @type {ClassOut} */
      const now = await api.get(`/api/v1/classes/${encodeURIComponent(id)}`, { signal: ctx.signal, retries: 0 });
      const line = /** @type {HTMLElement} */ (seats.querySelector('#seats-left'));
      line.textContent = seatsText(now);
      line.className = `seats ${now.seats_left > 0 ? '' : 'none'}`.trim();
      const meter = /** @type {HTMLMeterElement} */ (seats.querySelector('meter'));
      meter.max = now.capacity;
      meter.value = now.capacity - now.seats_left;
      /** @type {HTMLElement} */ (seats.querySelector('.muted')).textContent = t('class.waitlist_length', { n: now.waitlist_length });
      openState.replaceChildren(openBadge(now));
    } catch {
      /* keep the last figures; the next tick tries again */
    }
  };
  ctx.show(courseTitle(cls.course),
    h('p', { class: 'row' }, openState, h('span', { class: 'badge' }, levelText(cls.course.level, cls.course.level_label)),
      cls.name ? h('span', { class: 'muted' }, cls.name) : null),
    cls.status === 'cancelled' ? h('p', { class: 'notice error' }, t('class.cancelled_notice', { reason: cls.cancel_reason || '—' })) : null,
    seats,
    current ? null : rules,
    area || enrolArea(ctx, cls, current, readiness, refreshSeats),
    adminLink(cls),
    h('h2', {}, t('class.details')),
    facts(cls),
    h('p', {}, h('a', { href: '/' }, t('class.back'))));
  ctx.every(refreshSeats, 10_000);
}
