// @ts-check
// Administrators, one class: first come or lottery, an early draw with its reason, the course's
// eligibility rules, exceptions for a trainee, and the class's survey results.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { showDone, showErrors } from '../errors.js';
import { allocationOf } from '../fair.js';
import { checkbox, field, form, read } from '../forms.js';
import { t } from '../i18n.js';
import { resultsView } from '../survey-results.js';
import { courseTitle, dateRange } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').ClassOut} ClassOut */

/**
 * A form that sends its fields and reloads the page when the call succeeds.
 * @param {PageContext} ctx
 * @param {string} id
 * @param {(body: Record<string, any>) => Promise<unknown>} send
 * @param {string} done
 * @param {...import('../dom.js').Child} children
 */
function action(ctx, id, send, done, ...children) {
  const el = form({ id }, ...children);
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(el.querySelector('button[type=submit]'), async () => {
      try {
        await send(read(el));
        showDone(el, done);
        ctx.toast(done);
        ctx.reload();
      } catch (error) {
        showErrors(el, error);
      }
    });
  });
  return el;
}

/**
 * @param {PageContext} ctx
 * @param {ClassOut} cls
 */
async function allocationCard(ctx, cls) {
  const id = encodeURIComponent(cls.id);
  const allocation = await allocationOf(cls.id, ctx.signal);
  if (allocation.mode === 'first_come') {
    return h('section', { class: 'card', id: 'allocation' }, h('h2', {}, t('lottery.admin_mode')),
      h('p', {}, t('lottery.admin_first_come')),
      action(ctx, 'make-lottery', (body) => api.put(`/api/v1/classes/${id}/allocation`, { mode: 'lottery', ...body }),
        t('lottery.admin_made'),
        checkbox({ name: 'priority_unsubsidised', label: t('lottery.priority') }),
        h('button', { type: 'submit' }, t('lottery.admin_make'))));
  }
  return h('section', { class: 'card', id: 'allocation' }, h('h2', {}, t('lottery.admin_mode')),
    h('p', {}, t('lottery.admin_is_lottery'), ' ', h('a', { href: `/classes/${id}/draw` }, t('lottery.draw_link'))),
    h('p', { class: 'muted' }, t('draw.commitment'), ': ', h('code', { class: 'wrap' }, allocation.commitment || '')),
    action(ctx, 'early-draw', (body) => api.post(`/api/v1/classes/${id}/draw`, body), t('lottery.admin_drawn'),
      field({ name: 'reason', label: t('lottery.admin_reason'), type: 'textarea', required: true, minlength: 10, maxlength: 500, hint: t('lottery.admin_reason_hint') }),
      h('button', { type: 'submit' }, t('lottery.admin_draw'))));
}

/**
 * @param {PageContext} ctx
 * @param {ClassOut} cls
 */
async function rulesCard(ctx, cls) {
  const path = `/api/v1/courses/${encodeURIComponent(cls.course.id)}/rules`;
  /** @type {Record<string, any>} */
  let rules = { subsidised: true, max_subsidised_per_year: 2, no_repeat_level: true, no_lower_level: true, min_age: '', max_age: '' };
  try {
    rules = await api.get(path, { signal: ctx.signal });
  } catch (error) {
    if (!(error instanceof api.ApiError) || error.status !== 404) throw error;
  }
  return h('section', { class: 'card', id: 'rules' }, h('h2', {}, t('elig.rules_title')),
    action(ctx, 'course-rules', (body) => api.put(path, body), t('elig.rules_saved'),
      checkbox({ name: 'subsidised', label: t('elig.subsidised'), checked: rules.subsidised }),
      h('div', { class: 'grid2' },
        field({ name: 'min_age', label: t('elig.min_age'), type: 'number', min: 0, max: 120, convert: 'int', value: rules.min_age ?? '' }),
        field({ name: 'max_age', label: t('elig.max_age'), type: 'number', min: 0, max: 120, convert: 'int', value: rules.max_age ?? '' }),
        field({ name: 'max_subsidised_per_year', label: t('elig.per_year'), type: 'number', min: 1, max: 50, convert: 'int', value: rules.max_subsidised_per_year })),
      checkbox({ name: 'no_repeat_level', label: t('elig.no_repeat'), checked: rules.no_repeat_level }),
      checkbox({ name: 'no_lower_level', label: t('elig.no_lower'), checked: rules.no_lower_level }),
      h('button', { type: 'submit' }, t('action.save'))));
}

/** @param {PageContext} ctx */
function exceptionCard(ctx) {
  const codes = ['union_members_only', 'age_unknown', 'age_out_of_range', 'subsidy_yearly_limit', 'subsidy_repeat_level', 'level_below_held'];
  return h('section', { class: 'card', id: 'exceptions' }, h('h2', {}, t('elig.exception_title')),
    action(ctx, 'grant-exception', ({ user_id: userId, ...body }) => api.post(`/api/v1/users/${encodeURIComponent(String(userId))}/eligibility-exceptions`, body),
      t('elig.exception_granted'),
      field({ name: 'user_id', label: t('elig.trainee_id'), required: true, maxlength: 36, hint: t('elig.trainee_id_hint') }),
      field({ name: 'rule', label: t('elig.rule'), type: 'select', options: codes.map((c) => [c, t(`elig.${c}`)]) }),
      field({ name: 'reason', label: t('elig.reason'), type: 'textarea', required: true, maxlength: 500 }),
      h('button', { type: 'submit' }, t('elig.grant'))));
}

/** @param {PageContext} ctx */
export default async function adminLottery(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  /** @type {ClassOut} */
  const cls = await api.get(`/api/v1/classes/${id}`, { signal: ctx.signal });
  const path = `/api/v1/classes/${id}/survey-results`;
  const [allocation, rules, results] = await Promise.all([
    allocationCard(ctx, cls), rulesCard(ctx, cls), api.get(path, { signal: ctx.signal })]);
  ctx.show(`${courseTitle(cls.course)} · ${t('lottery.admin_title')}`,
    h('p', { class: 'muted' }, cls.name ? `${cls.name} · ` : '', dateRange(cls.starts_on, cls.ends_on)),
    allocation, rules, exceptionCard(ctx),
    h('section', { class: 'card' }, h('h2', {}, t('survey.results')), resultsView(results, `${path}.csv`, ctx.toast)),
    h('p', {}, h('a', { href: `/classes/${id}` }, t('class.back'))));
}
