// @ts-check
// The class page's enrol box: sign in ahead, a countdown to the opening with the enrolment
// checked ahead, one tap at the opening (one Idempotency-Key per intended enrolment), and the
// enrolment a trainee asked for before signing in (?enrol=1) made without a second tap.
import * as api from '../api.js';
import { append, busy, h, replace } from '../dom.js';
import { message } from '../errors.js';
import { t } from '../i18n.js';
import * as session from '../session.js';
import { enrollmentActions } from '../enrolment-actions.js';
import { badge, enrollmentLine, openBadge } from '../views.js';

/** @typedef {import('../types.js').ClassOut} ClassOut */
/** @typedef {import('../types.js').EnrollmentState} EnrollmentState */
/** @typedef {import('../types.js').Readiness} Readiness */

const SECOND = 1000;
// A tap a moment before the service's opening (a phone's clock, a fast finger) is tried again
// with the same key for this long: the refused attempt stored nothing.
const EARLY_RETRY_MS = 500;
const EARLY_RETRIES = 20;

/**
 * The class's date in China as YYYY-MM-DD (where the classes take place).
 * @param {number} ms
 */
function chinaDay(ms) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(ms));
}

/**
 * "2 天 03:04:05" until `ms` from now.
 * @param {number} ms
 */
function countdownText(ms) {
  const total = Math.max(0, Math.ceil(ms / SECOND));
  const days = Math.floor(total / 86400);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  const clock = `${pad(Math.floor((total % 86400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  return days ? t('enrol.countdown_days', { d: days, clock }) : t('enrol.countdown', { clock });
}

/**
 * What the result of an enrolment says: the same right after the tap and after a reload.
 * @param {EnrollmentState} state
 * @param {ClassOut} cls
 */
export function resultNotice(state, cls) {
  if (state.status === 'confirmed') {
    const startsToday = cls.starts_on <= chinaDay(Date.now());
    return h('div', { class: 'notice ok', role: 'status', id: 'enrol-result' },
      h('strong', {}, t('enrol.confirmed_title')),
      h('p', {}, startsToday ? t('enrol.confirmed_text_today') : t('enrol.confirmed_text')));
  }
  if (state.status === 'waitlisted') {
    return h('div', { class: 'notice warn', role: 'status', id: 'enrol-result' },
      h('strong', {}, t('enrol.waitlisted_title')),
      h('p', { class: 'big' }, t('enrol.waitlist_position', { n: state.waitlist_position ?? '?' })),
      h('p', {}, t('enrol.waitlisted_text')));
  }
  return null;
}

/**
 * The box's content for an enrolment the trainee has.
 * @param {import('../main.js').PageContext} ctx
 * @param {ClassOut} cls
 * @param {EnrollmentState} state
 */
function enrolled(ctx, cls, state) {
  // append() skips the nulls (no notice for a completed enrolment, no actions for it).
  return append(h('div', {}), [
    resultNotice(state, cls),
    h('p', {}, badge('status', state.status), ' ', h('span', { class: 'big', id: 'my-status' }, enrollmentLine(state))),
    enrollmentActions(state, { toast: ctx.toast, after: () => ctx.reload() }),
    h('p', {}, h('a', { href: '/me/enrolments' }, t('enrol.see_mine')))]);
}

/**
 * @param {ClassOut} cls
 * @param {number} now
 */
function opensLater(cls, now) {
  return cls.status === 'scheduled' && !cls.results_released_at && Date.parse(cls.enroll_opens_at) > now;
}

/**
 * The enrol box of the class page.
 * @param {import('../main.js').PageContext} ctx
 * @param {ClassOut} cls
 * @param {EnrollmentState | null} current  my live enrolment in it
 * @param {Readiness | null} readiness  checked ahead (trainees)
 * @param {() => void} refreshSeats
 */
export function enrolArea(ctx, cls, current, readiness, refreshSeats) {
  const area = h('section', { class: 'card', id: 'enrol', 'aria-labelledby': 'enrol-h' },
    h('h2', { id: 'enrol-h' }, t('enrol.heading')));
  const body = h('div', {});
  area.append(body);
  const who = session.role();
  const here = `/classes/${encodeURIComponent(cls.id)}`;
  // The service's clock for the countdown; the phone's may be minutes off.
  const skew = readiness ? Date.parse(readiness.server_time) - Date.now() : 0;
  const now = () => Date.now() + skew;

  if (who && who !== 'trainee') {
    body.append(h('p', { class: 'muted' }, t('enrol.staff_cannot')));
    if (cls.trainers.some((x) => x.id === session.current()?.user.id) || who === 'admin') {
      body.append(h('a', { class: 'button secondary', href: `/trainer/classes/${encodeURIComponent(cls.id)}` }, t('console.open')));
    }
    return area;
  }
  if (current) {
    body.append(enrolled(ctx, cls, current));
    return area;
  }
  const later = opensLater(cls, now());
  if (!cls.open_for_enrolment && !later) {
    body.append(h('p', {}, openBadge(cls)));
    return area;
  }
  if (!who) {
    body.append(...(later ? [h('p', {}, t('enrol.sign_in_ahead'))] : [h('p', {}, t('enrol.sign_in_first'))]),
      later ? countdown(cls, now, ctx.signal, () => ctx.reload()) : '',
      h('a', { class: 'button', href: `/sign-in?next=${encodeURIComponent(later ? here : `${here}?enrol=1`)}` },
        later ? t('enrol.sign_in_now') : t('enrol.sign_in')));
    return area;
  }
  if (readiness && !readiness.ready && readiness.code) {
    const refusal = new api.ApiError(409, { code: readiness.code, detail: readiness.detail ?? undefined });
    const fix = readiness.code === 'profile_incomplete'
      ? h('a', { href: `/me/profile?next=${encodeURIComponent(here)}` }, t('nav.profile')) : null;
    body.append(h('div', { class: 'notice error', id: 'readiness' }, message(refusal), ' ', fix));
    return area;
  }

  const lead = h('p', { id: 'enrol-lead' });
  const button = h('button', { type: 'button', id: 'enrol-button' });
  const outcome = h('div', { 'aria-live': 'polite' });
  const showOpen = () => {
    lead.textContent = cls.seats_left > 0 ? t('enrol.lead_seat') : t('enrol.lead_waitlist');
    button.textContent = cls.seats_left > 0 ? t('enrol.button') : t('enrol.button_waitlist');
    button.disabled = false;
  };
  if (later) {
    lead.textContent = t('enrol.ready_ahead');
    button.textContent = t('enrol.button');
    button.disabled = true;
    body.append(lead, countdown(cls, now, ctx.signal, () => {
      showOpen();
      refreshSeats();
    }));
  } else {
    showOpen();
    body.append(lead);
  }

  // One key per intended enrolment: a retry after a dropped connection is answered, not repeated.
  const key = api.newKey();
  /** @param {number} early  retries left for a tap the service found early */
  const enrol = async (early = EARLY_RETRIES) => {
    try {
      /** @type {EnrollmentState} */
      const result = await api.post('/api/v1/enrollments', { class_id: cls.id }, { idempotencyKey: key });
      replace(body, enrolled(ctx, cls, result));
      refreshSeats();
    } catch (error) {
      const code = error instanceof api.ApiError ? error.code : null;
      if (code === 'enrolment_not_open' && early > 0) {
        await new Promise((resolve) => {
          setTimeout(resolve, EARLY_RETRY_MS);
        });
        return enrol(early - 1);
      }
      const extra = code === 'already_enrolled' ? h('a', { href: '/me/enrolments' }, t('enrol.see_mine'))
        : code === 'profile_incomplete' ? h('a', { href: `/me/profile?next=${encodeURIComponent(here)}` }, t('nav.profile')) : null;
      replace(outcome, h('div', { class: 'notice error', role: 'alert' }, message(error), ' ', extra));
    }
    return undefined;
  };
  button.addEventListener('click', () => busy(button, () => enrol()));
  body.append(button, outcome);

  // Back from signing in with the intent to enrol: do what was asked, once.
  if (ctx.query.get('enrol') === '1') {
    history.replaceState(null, '', here);
    if (!later) busy(button, () => enrol());
  }
  return area;
}

/**
 * A countdown to the class's opening; `opened()` runs once when it reaches zero.
 * @param {ClassOut} cls
 * @param {() => number} now
 * @param {AbortSignal} signal  the page's: the countdown stops when the user leaves
 * @param {() => void} opened
 */
function countdown(cls, now, signal, opened) {
  const at = Date.parse(cls.enroll_opens_at);
  const text = h('span', { class: 'big', id: 'countdown-time' }, countdownText(at - now()));
  const box = h('p', { class: 'countdown', id: 'countdown' }, t('enrol.opens_in'), ' ', text);
  const timer = setInterval(() => {
    const left = at - now();
    text.textContent = countdownText(left);
    if (left > 0) return;
    clearInterval(timer);
    // Announced once, when it opens (the seconds themselves are not).
    box.setAttribute('role', 'status');
    box.replaceChildren(h('strong', {}, t('enrol.now_open')));
    opened();
  }, 250);
  signal.addEventListener('abort', () => clearInterval(timer));
  return box;
}
