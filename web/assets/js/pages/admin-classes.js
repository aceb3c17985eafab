// @ts-check
// Classes: schedule a class, change its capacity, reschedule or cancel it.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { confirm } from '../dialog.js';
import { message, showDone, showErrors } from '../errors.js';
import { checkbox, field, form, read } from '../forms.js';
import { t, today } from '../i18n.js';
import { badge, courseTitle, dateRange, seatsText, venueText } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../forms.js').FormValue} FormValue */
/** @typedef {import('../types.js').ClassOut} ClassOut */
/** @typedef {import('../types.js').CourseOut} CourseOut */
/** @typedef {import('../types.js').UserOut} UserOut */
/** @template T @typedef {import('../types.js').List<T>} List */

/**
 * A datetime-local field's value, a Beijing time (UTC+8 all year), as an ISO instant; empty:
 * undefined.
 * @param {unknown} value
 */
function isoFromLocal(value) {
  return value ? new Date(`${String(value)}+08:00`).toISOString() : undefined;
}

/**
 * @param {PageContext} ctx
 * @param {CourseOut[]} courses
 * @param {UserOut[]} trainers
 */
function classForm(ctx, courses, trainers) {
  const chosen = ctx.query.get('course_id') || '';
  const create = form({ id: 'create-class' },
    field({ name: 'course_id', label: t('classes.course'), type: 'select', required: true, value: chosen,
      options: [['', t('classes.choose_course')], ...courses.map((c) => [c.id, `${c.code} · ${courseTitle(c)}`])] }),
    field({ name: 'name', label: t('classes.name'), maxlength: 200, hint: t('classes.name_hint') }),
    field({ name: 'trainer_ids', label: t('classes.trainers'), type: 'select', multiple: true,
      options: trainers.map((u) => [u.id, `${u.name} (${u.phone_masked})`]), hint: t('classes.trainers_hint') }),
    h('div', { class: 'grid2' },
      field({ name: 'capacity', label: t('classes.capacity'), type: 'number', required: true, min: 1, step: 1, convert: 'int' }),
      field({ name: 'venue', label: t('classes.venue'), required: true, maxlength: 200 }),
      field({ name: 'starts_on', label: t('classes.starts_on'), type: 'date', required: true, min: today() }),
      field({ name: 'ends_on', label: t('classes.ends_on'), type: 'date', required: true, min: today() }),
      field({ name: 'session_start', label: t('classes.session_start'), type: 'time' }),
      field({ name: 'offer_hours', label: t('classes.offer_hours'), type: 'number', min: 1, max: 336, value: 24, convert: 'int' }),
      field({ name: 'enroll_opens_at', label: t('classes.opens_at'), type: 'datetime-local', hint: t('classes.opens_hint') }),
      field({ name: 'enroll_closes_at', label: t('classes.closes_at'), type: 'datetime-local', hint: t('classes.closes_hint') }),
      field({ name: 'waitlist_policy', label: t('classes.policy'), type: 'select', value: 'auto_promote',
        options: [['auto_promote', t('class.policy_short.auto_promote')], ['offer', t('class.policy_short.offer')]] })),
    checkbox({ name: 'online', label: t('classes.online') }),
    checkbox({ name: 'union_members_only', label: t('class.union_only') }),
    h('button', { type: 'submit' }, t('classes.create')));
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(create.querySelector('button[type=submit]'), async () => {
      /** @type {Record<string, FormValue | undefined>} */
      const body = read(create);
      body.enroll_opens_at = isoFromLocal(body.enroll_opens_at);
      body.enroll_closes_at = isoFromLocal(body.enroll_closes_at);
      if (body.session_start) body.session_start = `${body.session_start}:00`.slice(0, 8);
      try {
        const cls = await api.post('/api/v1/classes', body);
        showDone(create, t('classes.created'));
        ctx.toast(t('classes.created'));
        ctx.go(`/admin/classes?created=${encodeURIComponent(cls.id)}`);
      } catch (error) {
        showErrors(create, error);
      }
    });
  });
  return create;
}

/**
 * @param {PageContext} ctx
 * @param {ClassOut} cls
 */
function capacityForm(ctx, cls) {
  const edit = form({ class: 'stack capacity-form' },
    field({ name: 'capacity', label: t('classes.capacity'), type: 'number', min: 1, step: 1, value: cls.capacity, convert: 'int', required: true }),
    h('button', { type: 'submit', class: 'small' }, t('action.save')));
  edit.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(edit.querySelector('button[type=submit]'), async () => {
      try {
        await api.patch(`/api/v1/classes/${encodeURIComponent(cls.id)}`, read(edit));
        ctx.toast(t('classes.capacity_saved'));
        ctx.reload();
      } catch (error) {
        showErrors(edit, error);
      }
    });
  });
  return edit;
}

/**
 * @param {PageContext} ctx
 * @param {ClassOut} cls
 */
function rescheduleForm(ctx, cls) {
  const move = form({ class: 'stack reschedule-form' },
    h('div', { class: 'grid2' },
      field({ name: 'starts_on', label: t('classes.starts_on'), type: 'date', value: cls.starts_on, required: true }),
      field({ name: 'ends_on', label: t('classes.ends_on'), type: 'date', value: cls.ends_on, required: true })),
    field({ name: 'venue', label: t('classes.venue'), value: cls.venue, maxlength: 200 }),
    h('button', { type: 'submit', class: 'small' }, t('classes.reschedule')));
  move.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(move.querySelector('button[type=submit]'), async () => {
      try {
        await api.post(`/api/v1/classes/${encodeURIComponent(cls.id)}/reschedule`, read(move));
        ctx.toast(t('classes.rescheduled'));
        ctx.reload();
      } catch (error) {
        showErrors(move, error);
      }
    });
  });
  return move;
}

/**
 * @param {PageContext} ctx
 * @param {ClassOut} cls
 */
function cancelButton(ctx, cls) {
  const button = h('button', { type: 'button', class: 'danger small cancel-class' }, t('classes.cancel'));
  button.addEventListener('click', async () => {
    const reason = await confirm(t('classes.cancel_confirm', { n: cls.capacity - cls.seats_left + cls.waitlist_length }),
      { ok: t('classes.cancel'), danger: true, reason: t('classes.cancel_reason') });
    if (reason === false) return;
    await busy(button, async () => {
      try {
        await api.post(`/api/v1/classes/${encodeURIComponent(cls.id)}/cancel`, reason ? { reason } : {});
        ctx.toast(t('classes.cancelled'));
        ctx.reload();
      } catch (error) {
        button.after(h('p', { class: 'notice error', role: 'alert' }, message(error)));
      }
    });
  });
  return button;
}

/**
 * @param {PageContext} ctx
 * @param {ClassOut} cls
 * @param {boolean} highlight  the class just created
 */
function classCard(ctx, cls, highlight) {
  const live = cls.status !== 'cancelled';
  return h('article', { class: `card admin-class${highlight ? ' highlight' : ''}`, dataset: { classId: cls.id } },
    h('div', { class: 'spread' },
      h('h3', {}, h('a', { href: `/trainer/classes/${encodeURIComponent(cls.id)}` }, courseTitle(cls.course))),
      live ? h('span', { class: 'badge' }, cls.open_for_enrolment ? t('class.open') : t('class.closed')) : badge('class_status', 'cancelled')),
    cls.name ? h('p', { class: 'muted' }, cls.name) : null,
    h('ul', { class: 'meta' },
      h('li', {}, `${t('class.when')}: ${dateRange(cls.starts_on, cls.ends_on)}`),
      h('li', {}, `${t('class.where')}: `, venueText(cls)),
      h('li', {}, `${t('class.trainers')}: `, cls.trainers.map((x) => x.name).join('、') || '—'),
      h('li', { class: 'seats-line' }, seatsText(cls))),
    h('div', { class: 'row' },
      h('a', { class: 'button small secondary', href: `/trainer/classes/${encodeURIComponent(cls.id)}/roster` }, t('console.open')),
      h('a', { class: 'button small secondary', href: `/classes/${encodeURIComponent(cls.id)}` }, t('classes.public_page'))),
    live ? h('details', {}, h('summary', {}, t('classes.edit_capacity')), capacityForm(ctx, cls)) : null,
    live ? h('details', {}, h('summary', {}, t('classes.reschedule')), rescheduleForm(ctx, cls)) : null,
    live ? h('p', {}, cancelButton(ctx, cls)) : h('p', { class: 'muted' }, cls.cancel_reason || ''));
}

/** @param {PageContext} ctx */
export default async function classes(ctx) {
  const courseId = ctx.query.get('course_id') || '';
  /** @type {[List<CourseOut>, List<UserOut>, List<ClassOut>]} */
  const [courses, trainers, list] = await Promise.all([
    api.get('/api/v1/courses', { query: { limit: 100 }, signal: ctx.signal }),
    api.get('/api/v1/users', { query: { role: 'trainer', limit: 100 }, signal: ctx.signal }),
    api.get('/api/v1/classes', { query: { include_cancelled: 'true', course_id: courseId, limit: 100 }, signal: ctx.signal }),
  ]);
  const created = ctx.query.get('created');
  ctx.show(t('classes.title'),
    created ? h('p', { class: 'notice ok', role: 'status' }, t('classes.created')) : null,
    h('details', { class: 'card', open: ctx.query.get('new') === '1' },
      h('summary', {}, t('classes.create_title')), classForm(ctx, courses.items, trainers.items)),
    list.items.length ? h('div', { class: 'cards', id: 'classes' }, list.items.map((c) => classCard(ctx, c, c.id === created)))
      : h('p', { class: 'notice' }, t('classes.none')));
}
