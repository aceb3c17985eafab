// @ts-check
// The survey after a class, opened by the code in its SMS: five 1-5 star questions and a
// comment, once; six months on, the optional employment question.
import * as api from '../api.js';
import { busy, h, replace, uid } from '../dom.js';
import { message } from '../errors.js';
import { pick, t } from '../i18n.js';
import { dateRange } from '../views.js';

/**
 * @typedef {object} Survey
 * @property {string} code
 * @property {string} course_title_zh
 * @property {string} course_title_en
 * @property {string} starts_on
 * @property {string} ends_on
 * @property {{key: string, zh: string, en: string}[]} questions
 * @property {boolean} answered
 * @property {boolean} followup_open
 * @property {boolean} followup_answered
 */

/** @param {{key: string, zh: string, en: string}} q */
function stars(q) {
  const name = q.key;
  return h('fieldset', { class: 'stars', dataset: { question: name } },
    h('legend', {}, pick(q.zh, q.en)),
    [1, 2, 3, 4, 5].map((n) => {
      const id = uid('star');
      return h('span', { class: 'star' },
        h('input', { type: 'radio', name, value: String(n), id, required: true }),
        h('label', { for: id }, t('survey.stars', { n })));
    }));
}

/**
 * @param {import('../main.js').PageContext} ctx
 * @param {Survey} survey
 */
function answerForm(ctx, survey) {
  const comment = h('textarea', { name: 'comment', id: 'survey-comment', maxlength: 2000, rows: 3 });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'survey-form', class: 'stack' },
    survey.questions.map(stars),
    h('label', { for: 'survey-comment' }, t('survey.comment')), comment,
    h('button', { type: 'submit' }, t('survey.submit')), out);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    /** @type {Record<string, number | string>} */
    const body = { comment: comment.value };
    for (const q of survey.questions) body[q.key] = Number(data.get(q.key));
    busy(form.querySelector('button'), async () => {
      try {
        await api.post(`/api/v1/surveys/${encodeURIComponent(survey.code)}`, body);
        ctx.reload();
      } catch (error) {
        replace(out, h('div', { class: 'notice error', role: 'alert' }, message(error)));
      }
    });
  });
  return form;
}

/**
 * @param {import('../main.js').PageContext} ctx
 * @param {Survey} survey
 */
function employment(ctx, survey) {
  if (!survey.followup_open || survey.followup_answered) return null;
  const out = h('div', { 'aria-live': 'polite' });
  const answer = (/** @type {boolean} */ yes) => {
    const button = h('button', { type: 'button', class: yes ? '' : 'secondary' }, t(yes ? 'survey.yes' : 'survey.no'));
    button.addEventListener('click', () => busy(button, async () => {
      try {
        await api.post(`/api/v1/surveys/${encodeURIComponent(survey.code)}/employment`, { working_in_occupation: yes });
        ctx.reload();
      } catch (error) {
        replace(out, h('div', { class: 'notice error', role: 'alert' }, message(error)));
      }
    }));
    return button;
  };
  return h('section', { class: 'card', id: 'employment' },
    h('h2', {}, t('survey.employment')), h('p', { class: 'muted' }, t('survey.optional')),
    h('p', { class: 'row' }, answer(true), answer(false)), out);
}

/** @param {import('../main.js').PageContext} ctx */
function codeForm(ctx) {
  const input = h('input', { name: 'code', id: 'survey-code', required: true, maxlength: 12, autocomplete: 'off' });
  const form = h('form', { class: 'stack' }, h('label', { for: 'survey-code' }, t('survey.code')), input,
    h('button', { type: 'submit' }, t('survey.open')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.go(`/survey/${encodeURIComponent(input.value.trim())}`);
  });
  return form;
}

/** @param {import('../main.js').PageContext} ctx */
export default async function surveyPage(ctx) {
  if (!ctx.params.code) {
    ctx.show(t('survey.title'), h('p', {}, t('survey.lead')), codeForm(ctx));
    return;
  }
  /** @type {Survey} */
  const survey = await api.get(`/api/v1/surveys/${encodeURIComponent(ctx.params.code)}`, { signal: ctx.signal });
  ctx.show(t('survey.title'),
    h('p', {}, h('strong', {}, pick(survey.course_title_zh, survey.course_title_en)), ' · ', dateRange(survey.starts_on, survey.ends_on)),
    survey.answered ? h('p', { class: 'notice ok', id: 'survey-done' }, t('survey.thanks')) : answerForm(ctx, survey),
    employment(ctx, survey),
    survey.followup_answered ? h('p', { class: 'notice ok' }, t('survey.thanks')) : null);
}
