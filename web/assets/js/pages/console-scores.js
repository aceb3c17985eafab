// @ts-check
// Theory and practical scores (0-100, validated here and by the service), then release results.
import * as api from '../api.js';
import { busy, h, uid } from '../dom.js';
import { confirm } from '../dialog.js';
import { formMessage, message } from '../errors.js';
import { form } from '../forms.js';
import { formatDate, formatNumber, has, t } from '../i18n.js';
import { ON_ROSTER } from './console-attendance.js';
import { liveCell } from './console-live.js';

/** @typedef {import('./console.js').Tab} Tab */

/**
 * @param {import('../types.js').RosterEntry} entry
 * @param {'theory' | 'practical'} kind
 */
function scoreInput(entry, kind) {
  const id = uid(kind);
  const value = entry[`${kind}_score`];
  const label = t(`scores.${kind}_for`, { name: entry.name || entry.phone_masked });
  return h('td', { 'data-label': t(`roster.${kind}`) },
    h('label', { for: id, class: 'visually-hidden' }, label),
    h('input', {
      id, type: 'number', name: `${kind}_score`, min: 0, max: 100, step: 0.5, inputmode: 'decimal',
      value: value === null || value === undefined ? '' : String(value),
      dataset: { original: value === null || value === undefined ? '' : String(value) },
      'aria-describedby': `${entry.enrollment_id}-err`,
    }));
}

/**
 * Return a problem with a score input, or null.
 * @param {HTMLInputElement} input
 */
function invalid(input) {
  if (input.value === '') return null;
  const value = Number(input.value);
  if (!Number.isFinite(value) || input.validity.badInput) return t('scores.not_number');
  if (value < 0 || value > 100) return t('scores.range');
  return null;
}

/**
 * @param {HTMLElement} row
 * @param {string | null} text
 */
function rowError(row, text) {
  /** @type {HTMLElement} */ (row.querySelector('.field-error')).textContent = text || '';
  const inputs = [...row.querySelectorAll('input')];
  const culprits = inputs.filter((i) => invalid(i));
  for (const input of inputs) {
    const bad = Boolean(text) && (culprits.length ? culprits.includes(input) : true);
    if (bad) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

/**
 * Save one row's scores if they changed.
 * @param {HTMLElement} row
 * @returns {Promise<'unchanged' | 'invalid' | 'saved' | 'failed'>}
 */
async function save(row) {
  const inputs = [...row.querySelectorAll('input')];
  const changed = inputs.filter((i) => i.value !== i.dataset.original);
  if (!changed.length) return 'unchanged';
  const problems = inputs.map(invalid).filter(Boolean);
  if (problems.length) {
    rowError(row, problems[0]);
    return 'invalid';
  }
  /** @type {Record<string, number>} */
  const body = {};
  for (const input of inputs) if (input.value !== '') body[input.name] = Number(input.value);
  try {
    await api.put(`/api/v1/enrollments/${encodeURIComponent(String(row.dataset.enrollmentId))}/result`, body);
    for (const input of inputs) input.dataset.original = input.value;
    rowError(row, '');
    /** @type {HTMLElement} */ (row.querySelector('.saved')).textContent = t('scores.row_saved');
    return 'saved';
  } catch (error) {
    const entry = error instanceof api.ApiError ? error.errors[0] : undefined;
    const field = entry?.loc?.[1];
    const text = field ? `${t(`scores.${field}`)}: ${has(`validation.${entry?.type}`) ? t(`validation.${entry?.type}`) : t('scores.range')}` : message(error);
    rowError(row, text);
    return 'failed';
  }
}

/**
 * @param {import('../main.js').PageContext} ctx
 * @param {import('../types.js').ClassOut} cls
 * @param {HTMLFormElement} sheet
 * @param {() => Promise<void>} refresh
 */
function releaseBox(ctx, cls, sheet, refresh) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'release-h' },
    h('h3', { id: 'release-h' }, t('scores.release_title')),
    cls.results_released_at ? h('p', { class: 'notice ok' }, t('scores.released_at', { at: formatDate(cls.results_released_at, { withTime: true }) })) : null,
    h('p', { class: 'muted' }, t('scores.release_lead')));
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'release' }, cls.results_released_at ? t('scores.release_again') : t('scores.release'));
  button.addEventListener('click', async () => {
    if (!(await confirm(t('scores.release_confirm'), { ok: t('scores.release') }))) return;
    await busy(button, async () => {
      try {
        /** @type {import('../types.js').ReleaseOut} */
        const r = await api.post(`/api/v1/classes/${encodeURIComponent(cls.id)}/release-results`);
        out.replaceChildren(h('p', { class: 'notice ok', id: 'release-result' },
          t('scores.released', { completed: r.completed, corrected: r.corrected, no_show: r.no_show, unchanged: r.unchanged })));
        ctx.toast(t('scores.released_toast'));
        await refresh(); // the 结果 column shows what was just released
      } catch (error) {
        out.replaceChildren(h('p', { class: 'notice error', role: 'alert', id: 'release-error' }, message(error)));
        for (const id of (error instanceof api.ApiError && error.problem.enrollment_ids) || []) {
          /** @type {HTMLElement | null} */
          const row = sheet.querySelector(`tr[data-enrollment-id="${CSS.escape(id)}"]`);
          if (row) rowError(row, t('scores.missing'));
        }
      }
    });
  });
  box.append(button, out);
  return box;
}

/** @param {Tab} tab */
export async function scoresTab({ ctx, cls, roster, refresh }) {
  const seated = roster.items.filter((e) => ON_ROSTER.has(e.status));
  if (!seated.length) return h('p', { class: 'notice' }, t('attendance.nobody'));
  /** @type {import('../types.js').CourseOut} */
  const course = await api.get(`/api/v1/courses/${encodeURIComponent(cls.course_id)}`, { signal: ctx.signal });
  const rows = seated.map((entry) => h('tr', { dataset: { enrollmentId: entry.enrollment_id } },
    h('th', { scope: 'row', class: 'name' }, entry.name || entry.phone_masked),
    liveCell('eligible_exam', entry, { 'data-label': t('roster.eligible') }),
    scoreInput(entry, 'theory'),
    scoreInput(entry, 'practical'),
    liveCell('result', entry, { 'data-label': t('roster.result') }),
    h('td', { class: 'row-status' }, h('span', { class: 'saved muted' }), h('p', { class: 'field-error', id: `${entry.enrollment_id}-err`, role: 'alert' }))));
  const sheet = form({ id: 'scores-form', class: 'stack wide' },
    h('p', { class: 'muted' }, t('scores.lead', { theory: formatNumber(course.theory_pass, 1), practical: formatNumber(course.practical_pass, 1) })),
    h('div', { class: 'table-wrap' }, h('table', { class: 'stack-table' },
      h('thead', {}, h('tr', {}, [t('roster.name'), t('roster.eligible'), t('roster.theory'), t('roster.practical'), t('roster.result'), '']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))),
    h('button', { type: 'submit' }, t('scores.save')));
  sheet.addEventListener('input', (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.matches('input[type=number]')) {
      const row = /** @type {HTMLTableRowElement} */ (input.closest('tr'));
      /** @type {HTMLElement} */ (row.querySelector('.saved')).textContent = '';
      const problem = invalid(input);
      rowError(row, problem);
    }
  });
  sheet.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(sheet.querySelector('button[type=submit]'), async () => {
      const outcomes = [];
      for (const row of /** @type {NodeListOf<HTMLTableRowElement>} */ (sheet.querySelectorAll('tbody tr'))) outcomes.push(await save(row));
      const bad = outcomes.filter((o) => o === 'invalid' || o === 'failed').length;
      const saved = outcomes.filter((o) => o === 'saved').length;
      if (bad) formMessage(sheet, t('scores.some_failed', { n: bad }));
      else formMessage(sheet, t('scores.saved', { n: saved }), 'ok');
    });
  });
  return h('div', { class: 'stack' }, sheet, releaseBox(ctx, cls, sheet, refresh));
}
