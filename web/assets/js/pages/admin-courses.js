// @ts-check
// Courses: the catalogue's courses and a form to publish a new one.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { showDone, showErrors } from '../errors.js';
import { field, form, read } from '../forms.js';
import { formatNumber, t } from '../i18n.js';
import { levelText } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').CourseOut} CourseOut */
/** @template T @typedef {import('../types.js').List<T>} List */

/** @param {PageContext} ctx */
function courseForm(ctx) {
  const levels = [['', t('level.training')], ...[5, 4, 3, 2, 1].map((n) => [String(n), t(`level.${n}`)])];
  const create = form({ id: 'create-course' },
    h('div', { class: 'grid2' },
      field({ name: 'code', label: t('courses.code'), required: true, maxlength: 32, hint: t('courses.code_hint') }),
      field({ name: 'category', label: t('courses.category'), required: true, maxlength: 50 }),
      field({ name: 'title_zh', label: t('courses.title_zh'), required: true, maxlength: 200 }),
      field({ name: 'title_en', label: t('courses.title_en'), required: true, maxlength: 200 }),
      field({ name: 'occupation_code', label: t('courses.occupation_code'), maxlength: 200, placeholder: '4-01-02-07' }),
      field({ name: 'occupation_name', label: t('courses.occupation_name'), maxlength: 200 }),
      field({ name: 'work_type', label: t('courses.work_type'), maxlength: 200 }),
      field({ name: 'level', label: t('courses.level'), type: 'select', options: levels, convert: 'int' }),
      field({ name: 'required_hours', label: t('courses.required_hours'), type: 'number', required: true, min: 0.5, step: 0.5, convert: 'number' }),
      field({ name: 'certificate_validity_months', label: t('courses.validity'), type: 'number', min: 1, max: 600, convert: 'int', hint: t('courses.validity_hint') }),
      field({ name: 'theory_pass', label: t('courses.theory_pass'), type: 'number', min: 0, max: 100, value: 60, convert: 'number' }),
      field({ name: 'practical_pass', label: t('courses.practical_pass'), type: 'number', min: 0, max: 100, value: 60, convert: 'number' }),
      field({ name: 'attendance_threshold', label: t('courses.threshold'), type: 'number', min: 0, max: 1, step: 0.05, value: 0.8, convert: 'number', hint: t('courses.threshold_hint') }),
      field({ name: 'certificate_kind', label: t('courses.certificate_kind'), type: 'select', value: 'training', options: [['training', t('courses.kind.training')], ['skill_level', t('courses.kind.skill_level')]] }),
      field({ name: 'issue_policy', label: t('courses.issue_policy'), type: 'select', value: 'approval', options: [['approval', t('courses.policy.approval')], ['auto', t('courses.policy.auto')]] })),
    field({ name: 'description', label: t('courses.description'), type: 'textarea', maxlength: 4000 }),
    h('button', { type: 'submit' }, t('courses.create')));
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(create.querySelector('button[type=submit]'), async () => {
      const body = read(create);
      try {
        const course = await api.post('/api/v1/courses', body);
        showDone(create, t('courses.created', { code: course.code }));
        ctx.toast(t('courses.created', { code: course.code }));
        ctx.go('/admin/courses');
      } catch (error) {
        showErrors(create, error);
      }
    });
  });
  return create;
}

/** @param {PageContext} ctx */
export default async function courses(ctx) {
  /** @type {List<CourseOut>} */
  const list = await api.get('/api/v1/courses', { query: { limit: 100 }, signal: ctx.signal });
  const rows = list.items.map((c) => h('tr', { dataset: { courseId: c.id } },
    h('td', {}, h('code', {}, c.code)),
    h('td', {}, c.title_zh, h('div', { class: 'muted' }, c.title_en)),
    h('td', {}, c.category),
    h('td', {}, levelText(c.level, c.level_label)),
    h('td', { class: 'num' }, formatNumber(c.required_hours, 1)),
    h('td', { class: 'num' }, `${formatNumber(c.theory_pass)} / ${formatNumber(c.practical_pass)}`),
    h('td', {}, t(`courses.policy.${c.issue_policy}`)),
    h('td', {}, h('a', { href: `/admin/classes?course_id=${encodeURIComponent(c.id)}&new=1` }, t('courses.new_class')))));
  ctx.show(t('courses.title'),
    h('details', { class: 'card', open: ctx.query.get('new') === '1' || !rows.length },
      h('summary', {}, t('courses.create_title')), courseForm(ctx)),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'courses' },
      h('thead', {}, h('tr', {}, [t('courses.code'), t('courses.title_col'), t('courses.category'), t('courses.level'),
        t('courses.required_hours'), t('courses.pass'), t('courses.issue_policy'), ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))) : h('p', { class: 'notice' }, t('courses.none')));
}
