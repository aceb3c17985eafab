// @ts-check
// On 我的报名 / My enrolments: one's lottery applications and surveys to answer.
import * as api from './api.js';
import { busy, h } from './dom.js';
import { showDone, showErrors } from './errors.js';
import { applicationLine, withdrawButton } from './fair.js';
import { field, form, read } from './forms.js';
import { pick, t } from './i18n.js';

/**
 * @typedef {object} MySurvey
 * @property {string} enrollment_id
 * @property {string} class_id
 * @property {string} code
 * @property {boolean} answered
 * @property {boolean} followup_open
 * @property {string} course_title_zh
 * @property {string} course_title_en
 */

/**
 * A skill certificate recorded in certification (HeldCertificateOut).
 * @typedef {object} HeldCertificate
 * @property {string} id
 * @property {string} number
 * @property {string} occupation
 * @property {number | null} level
 */

/**
 * The certificates one recorded, one line each.
 * @param {HeldCertificate[]} items
 */
function heldList(items) {
  return h('ul', { id: 'held-certificates' }, items.map((c) => h('li', {},
    c.occupation, c.level ? ` · ${t(`level.${c.level}`)}` : '', ' · ', h('code', {}, c.number))));
}

/**
 * Record a skill certificate held from elsewhere, once, where certificates live (certification
 * checks the number and tells enrollment, whose rules then open no course below its level).
 * @param {import('./main.js').PageContext} ctx
 * @param {HeldCertificate[]} held  what the trainee recorded before
 */
function skillCertificateForm(ctx, held) {
  const levels = [['', t('elig.level_from_number')], ...[5, 4, 3, 2, 1].map((n) => [String(n), t(`level.${n}`)])];
  let list = heldList(held);
  const el = form({ id: 'skill-certificate' },
    field({ name: 'occupation', label: t('elig.occupation'), required: true, maxlength: 100 }),
    field({ name: 'number', label: t('cert.number'), required: true, maxlength: 30, hint: t('elig.number_hint') }),
    field({ name: 'level', label: t('courses.level'), type: 'select', options: levels, convert: 'int' }),
    h('button', { type: 'submit', class: 'secondary' }, t('action.save')));
  el.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(el.querySelector('button[type=submit]'), async () => {
      try {
        /** @type {{items: HeldCertificate[]}} */
        const saved = await api.post('/api/v1/me/held-certificates', read(el));
        showDone(el, t('elig.certificate_saved'));
        ctx.toast(t('elig.certificate_saved'));
        el.reset();
        const fresh = heldList(saved.items);
        list.replaceWith(fresh);
        list = fresh;
      } catch (error) {
        showErrors(el, error);
      }
    });
  });
  return h('details', { class: 'card' }, h('summary', {}, t('elig.record_certificate')),
    h('p', { class: 'muted' }, t('elig.record_certificate_lead')), list, el);
}

/** @param {import('./main.js').PageContext} ctx */
export async function myFairPlaces(ctx) {
  /** @type {[{items: import('./fair.js').Application[]}, {items: MySurvey[]}, {items: HeldCertificate[]}]} */
  const [apps, surveys, held] = await Promise.all([
    api.get('/api/v1/me/applications', { signal: ctx.signal }),
    api.get('/api/v1/me/surveys', { signal: ctx.signal }),
    // Another service's list: without it the page still shows one's applications and surveys.
    api.get('/api/v1/me/held-certificates', { signal: ctx.signal }).catch(() => ({ items: [] })),
  ]);
  const open = surveys.items.filter((s) => !s.answered || s.followup_open);
  const live = apps.items.filter((a) => a.status !== 'withdrawn');
  return h('div', { class: 'stack' },
    live.length ? [h('h2', {}, t('lottery.mine')), h('div', { class: 'stack', id: 'applications' }, live.map((a) => h('article', { class: 'card', dataset: { applicationId: a.id } },
      h('h3', {}, h('a', { href: `/classes/${encodeURIComponent(a.class_id)}` }, pick(a.course_title_zh, a.course_title_en))),
      h('p', { class: 'big' }, applicationLine(a)),
      h('p', { class: 'muted' }, t('lottery.your_id'), ' ', h('code', {}, a.id)),
      h('p', { class: 'row' }, withdrawButton(a, () => ctx.reload(), ctx.toast),
        h('a', { href: `/classes/${encodeURIComponent(a.class_id)}/draw` }, t('lottery.draw_link'))))))] : null,
    open.length ? [h('h2', {}, t('survey.mine')), h('ul', { id: 'my-surveys' }, open.map((s) => h('li', {},
      h('a', { href: `/survey/${encodeURIComponent(s.code)}` }, pick(s.course_title_zh, s.course_title_en), ' · ',
        t(s.answered ? 'survey.followup_link' : 'survey.rate')))))] : null,
    skillCertificateForm(ctx, held.items));
}
