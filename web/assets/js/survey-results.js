// @ts-check
// Survey results as a table (per class or per trainer) with its CSV download.
import * as api from './api.js';
import { busy, h } from './dom.js';
import { message } from './errors.js';
import { formatNumber, pick, t } from './i18n.js';

/**
 * @typedef {object} SurveyRow
 * @property {string} key
 * @property {string} label
 * @property {number} invited
 * @property {number} answers
 * @property {Record<string, number | null>} averages
 * @property {number} followup_answers
 * @property {number} working_in_occupation
 */
/** @typedef {{by: 'class' | 'trainer', rows: SurveyRow[], comments: string[]}} SurveyResults */

const QUESTIONS = [['content', '课程内容', 'Content'], ['trainer', '培训师', 'Trainer'], ['venue', '场地', 'Venue'],
  ['usefulness', '对工作的帮助', 'Usefulness'], ['recommend', '推荐意愿', 'Recommend']];

/**
 * @param {SurveyResults} results
 * @param {string} csvPath
 * @param {(text: string) => void} toast
 */
export function resultsView(results, csvPath, toast) {
  const download = h('button', { type: 'button', class: 'secondary', id: 'survey-csv' }, t('survey.csv'));
  download.addEventListener('click', () => busy(download, async () => {
    try {
      await api.download(csvPath, '', 'text/csv');
    } catch (error) {
      toast(message(error));
    }
  }));
  const head = [t(results.by === 'class' ? 'survey.class' : 'survey.trainer'), t('survey.answers'),
    ...QUESTIONS.map(([, zh, en]) => pick(zh, en)), t('survey.working')];
  return h('div', { class: 'stack', id: 'survey-results' },
    h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, results.rows.map((r) => h('tr', {},
        h('td', {}, r.label), h('td', {}, `${r.answers} / ${r.invited}`),
        QUESTIONS.map(([key]) => h('td', {}, r.averages[key] === null ? '—' : formatNumber(r.averages[key], 2))),
        h('td', {}, `${r.working_in_occupation} / ${r.followup_answers}`))))),
    results.comments.length ? [h('h3', {}, t('survey.comments')),
      h('ul', { id: 'survey-comments' }, results.comments.map((c) => h('li', {}, c)))] : null,
    h('p', {}, download));
}
