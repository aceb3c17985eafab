// @ts-check
// One class: schedule, venue, live seats left; enrol, see the waitlist position, accept, cancel.
import * as api from '../api.js';
import { append, busy, h, replace } from '../dom.js';
import { message } from '../errors.js';
import { formatDate, formatNumber, t } from '../i18n.js';
import * as session from '../session.js';
import { enrollmentActions } from '../enrolment-actions.js';
import { adminLink, allocationOf, eligibilityNotice, lotteryArea } from '../fair.js';
import { badge, courseTitle, dateRange, enrollmentLine, levelText, openBadge, seatsText, venueText } from '../views.js';

/** @typedef {import('../types.js').ClassOut} ClassOut */
/** @typedef {import('../types.js').EnrolmentDetail} EnrolmentDetail */
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

/** @param {import('../types.js').EnrollmentState} result */
function resultNotice(result) {
  if (result.status === 'confirmed') {
    return h('div', { class: 'notice ok', role: 'status', id: 'enrol-result' },
      h('strong', {}, t('enrol.confirmed_title')), h('p', {}, t('enrol.confirmed_text')));
  }
  if (result.status === 'waitlisted') {
    return h('div', { class: 'notice warn', role: 'status', id: 'enrol-result' },
      h('strong', {}, t('enrol.waitlisted_title')),
      h('p', { class: 'big' }, t('enrol.waitlist_position', { n: result.waitlist_position ?? '?' })),
      h('p', {}, t('enrol.waitlisted_text')));
  }
  return h('div', { class: 'notice', role: 'status', id: 'enrol-result' }, enrollmentLine(result));
}

/**
 * @param {import('../main.js').PageContext} ctx
 * @param {ClassOut} cls
 * @param {EnrolmentDetail | null} current  my live enrolment in it
 * @param {() => void} refreshSeats
 */
function enrolArea(ctx, cls, current, refreshSeats) {
  const area = h('section', { class: 'card', id: 'enrol', 'aria-labelledby': 'enrol-h' },
    h('h2', { id: 'enrol-h' }, t('enrol.heading')));
  const refresh = () => ctx.reload();
  const who = session.role();
  if (!who) {
    area.append(h('p', {}, t('enrol.sign_in_first')),
      h('a', { class: 'button', href: `/sign-in?next=${encodeURIComponent(`/classes/${cls.id}`)}` }, t('enrol.sign_in')));
    return area;
  }
  if (who !== 'trainee') {
    area.append(h('p', { class: 'muted' }, t('enrol.staff_cannot')));
    if (cls.trainers.some((x) => x.id === session.current()?.user.id) || who === 'admin') {
      area.append(h('a', { class: 'button secondary', href: `/trainer/classes/${encodeURIComponent(cls.id)}` }, t('console.open')));
    }
    return area;
  }
  if (current) {
    // append() skips the null of an enrolment with no actions (completed); area.append() would
    // show it as the text "null".
    return append(area, [
      h('p', {}, badge('status', current.status), ' ', h('span', { class: 'big', id: 'my-status' }, enrollmentLine(current))),
      enrollmentActions(current, { toast: ctx.toast, after: refresh }),
      h('p', {}, h('a', { href: '/me/enrolments' }, t('enrol.see_mine')))]);
  }
  if (!cls.open_for_enrolment) {
    area.append(h('p', {}, openBadge(cls)));
    return area;
  }
  area.append(h('p', {}, cls.seats_left > 0 ? t('enrol.lead_seat') : t('enrol.lead_waitlist')));
  const button = h('button', { type: 'button', id: 'enrol-button' }, cls.seats_left > 0 ? t('enrol.button') : t('enrol.button_waitlist'));
  const outcome = h('div', { 'aria-live': 'polite' });
  // One key per intended enrolment: a retry after a dropped connection is answered, not repeated.
  const key = api.newKey();
  button.addEventListener('click', () => busy(button, async () => {
    try {
      const result = await api.post('/api/v1/enrollments', { class_id: cls.id }, { idempotencyKey: key });
      replace(outcome, resultNotice(result), h('p', {}, h('a', { href: '/me/enrolments' }, t('enrol.see_mine'))));
      button.remove();
      refreshSeats();
    } catch (error) {
      const code = error instanceof api.ApiError ? error.code : null;
      const extra = code === 'already_enrolled' ? h('a', { href: '/me/enrolments' }, t('enrol.see_mine'))
        : code === 'profile_incomplete' ? h('a', { href: `/me/profile?next=${encodeURIComponent(`/classes/${cls.id}`)}` }, t('nav.profile')) : null;
      replace(outcome, h('div', { class: 'notice error', role: 'alert' }, message(error), ' ', extra));
    }
  }));
  area.append(button, outcome);
  return area;
}

/** @param {import('../main.js').PageContext} ctx */
export default async function classPage(ctx) {
  const id = ctx.params.id;
  /** @type {[ClassOut, EnrolmentDetail | null, import('../fair.js').Allocation, HTMLElement | null]} */
  const [cls, current, allocation, rules] = await Promise.all([
    api.get(`/api/v1/classes/${encodeURIComponent(id)}`, { signal: ctx.signal }),
    mine(id, ctx.signal),
    allocationOf(id, ctx.signal),
    eligibilityNotice(id, ctx.signal),
  ]);
  // A lottery class takes applications until the draw; its enrolments come from the draw.
  const area = allocation.mode === 'lottery' && !current ? await lotteryArea(ctx, cls) : null;
  const seats = seatsBox(cls);
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
    } catch {
      /* keep the last figures; the next tick tries again */
    }
  };
  ctx.show(courseTitle(cls.course),
    h('p', { class: 'row' }, openBadge(cls), h('span', { class: 'badge' }, levelText(cls.course.level, cls.course.level_label)),
      cls.name ? h('span', { class: 'muted' }, cls.name) : null),
    cls.status === 'cancelled' ? h('p', { class: 'notice error' }, t('class.cancelled_notice', { reason: cls.cancel_reason || '—' })) : null,
    seats,
    current ? null : rules,
    area || enrolArea(ctx, cls, current, refreshSeats),
    adminLink(cls),
    h('h2', {}, t('class.details')),
    facts(cls),
    h('p', {}, h('a', { href: '/' }, t('class.back'))));
  ctx.every(refreshSeats, 10_000);
}
