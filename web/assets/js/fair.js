// @ts-check
// Lottery (摇号) and eligibility on a class page: the rules the trainee does not meet, the
// application with its outcome, the link to the public draw (docs/lottery.md).
import * as api from './api.js';
import { busy, h, replace } from './dom.js';
import { message } from './errors.js';
import { formatDate, has, t } from './i18n.js';
import * as session from './session.js';

/** @typedef {import('./types.js').ClassOut} ClassOut */
/**
 * @typedef {object} Allocation
 * @property {string} class_id
 * @property {'first_come' | 'lottery'} mode
 * @property {string | null} commitment
 * @property {boolean} priority_unsubsidised
 */
/**
 * @typedef {object} Application
 * @property {string} id
 * @property {string} class_id
 * @property {'applied' | 'withdrawn' | 'drawn'} status
 * @property {'offered' | 'waitlisted' | 'ineligible' | null} outcome
 * @property {number | null} rank
 * @property {string} course_title_zh
 * @property {string} course_title_en
 * @property {string | null} closes_at
 */
/** @typedef {{code: string, detail: string}} Refusal */

/**
 * The class's allocation mode (first come when the call fails: the page still works).
 * @param {string} classId
 * @param {AbortSignal} signal
 * @returns {Promise<Allocation>}
 */
export async function allocationOf(classId, signal) {
  try {
    return await api.get(`/api/v1/classes/${encodeURIComponent(classId)}/allocation`, { signal });
  } catch (error) {
    if (api.isAbort(error)) throw error;
    return { class_id: classId, mode: 'first_come', commitment: null, priority_unsubsidised: false };
  }
}

/**
 * The eligibility rules the signed-in trainee fails for a class, as a notice (null: none).
 * @param {string} classId
 * @param {AbortSignal} signal
 */
export async function eligibilityNotice(classId, signal) {
  if (session.role() !== 'trainee') return null;
  /** @type {{eligible: boolean, reasons: Refusal[]}} */
  const found = await api.get(`/api/v1/classes/${encodeURIComponent(classId)}/eligibility`, { signal });
  if (found.eligible) return null;
  return h('div', { class: 'notice warn', id: 'eligibility', role: 'status' },
    h('strong', {}, t('elig.title')),
    h('ul', {}, found.reasons.map((r) => h('li', { dataset: { code: r.code } },
      has(`elig.${r.code}`) ? t(`elig.${r.code}`) : r.detail))),
    found.reasons.some((r) => r.code === 'age_unknown') ? birthDateForm() : null,
    h('p', { class: 'muted' }, t('elig.exception_hint')));
}

/** For an ID document without a birth date: record it, then look again. */
function birthDateForm() {
  const input = h('input', { type: 'date', id: 'birth-date', name: 'birth_date', required: true });
  const out = h('span', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'secondary' }, t('action.save'));
  const el = h('form', { class: 'row', id: 'birth-date-form' },
    h('label', { for: 'birth-date' }, t('elig.birth_date')), input, button, out);
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(button, async () => {
      try {
        await api.put('/api/v1/me/birth-date', { birth_date: input.value });
        location.reload();
      } catch (error) {
        replace(out, message(error));
      }
    });
  });
  return el;
}

/** @param {Application} app */
export function applicationLine(app) {
  if (app.status === 'drawn' && app.outcome) return t(`lottery.outcome.${app.outcome}`, { rank: app.rank ?? '?' });
  return t(`lottery.status.${app.status}`, { at: app.closes_at ? formatDate(app.closes_at, { withTime: true }) : '' });
}

/**
 * Withdraw button for an application still in the draw.
 * @param {Application} app
 * @param {() => void} after
 * @param {(text: string) => void} toast
 */
export function withdrawButton(app, after, toast) {
  if (app.status !== 'applied') return null;
  const button = h('button', { type: 'button', class: 'secondary withdraw' }, t('lottery.withdraw'));
  button.addEventListener('click', () => busy(button, async () => {
    try {
      await api.post(`/api/v1/applications/${encodeURIComponent(app.id)}/withdraw`);
      toast(t('lottery.withdrawn'));
      after();
    } catch (error) {
      toast(message(error));
    }
  }));
  return button;
}

/**
 * The apply area of a lottery class (replaces the enrol button).
 * @param {import('./main.js').PageContext} ctx
 * @param {ClassOut} cls
 */
export async function lotteryArea(ctx, cls) {
  const id = encodeURIComponent(cls.id);
  const area = h('section', { class: 'card', id: 'apply', 'aria-labelledby': 'apply-h' },
    h('h2', { id: 'apply-h' }, t('lottery.heading')),
    h('p', {}, t('lottery.lead', { at: formatDate(cls.enroll_closes_at, { withTime: true }) })),
    h('p', {}, h('a', { href: `/classes/${id}/draw`, id: 'draw-link' }, t('lottery.draw_link'))));
  const who = session.role();
  if (!who) {
    area.append(h('a', { class: 'button', href: `/sign-in?next=${encodeURIComponent(`/classes/${cls.id}`)}` }, t('enrol.sign_in')));
    return area;
  }
  if (who !== 'trainee') return area;
  /** @type {{items: Application[]}} */
  const mine = await api.get('/api/v1/me/applications', { signal: ctx.signal });
  const live = mine.items.find((a) => a.class_id === cls.id && a.status !== 'withdrawn');
  const outcome = h('div', { 'aria-live': 'polite', id: 'apply-result' });
  if (live) {
    replace(outcome, h('p', { class: 'big', id: 'my-application' }, applicationLine(live)),
      withdrawButton(live, () => ctx.reload(), ctx.toast));
    area.append(outcome, h('p', {}, h('a', { href: '/me/enrolments' }, t('enrol.see_mine'))));
    return area;
  }
  if (!cls.open_for_enrolment) {
    area.append(h('p', { class: 'muted' }, t('lottery.not_open')));
    return area;
  }
  const button = h('button', { type: 'button', id: 'apply-button' }, t('lottery.apply'));
  button.addEventListener('click', () => busy(button, async () => {
    try {
      /** @type {Application} */
      const app = await api.post(`/api/v1/classes/${id}/applications`, {});
      replace(outcome, h('div', { class: 'notice ok', role: 'status' },
        h('strong', {}, t('lottery.applied_title')), h('p', {}, applicationLine(app))));
      button.remove();
    } catch (error) {
      replace(outcome, h('div', { class: 'notice error', role: 'alert' }, message(error)));
    }
  }));
  area.append(button, outcome);
  return area;
}

/**
 * For administrators on a class page: the way to the lottery and survey settings.
 * @param {ClassOut} cls
 */
export function adminLink(cls) {
  if (session.role() !== 'admin') return null;
  return h('p', {}, h('a', { class: 'button secondary', href: `/admin/classes/${encodeURIComponent(cls.id)}/lottery` }, t('lottery.admin_link')));
}
