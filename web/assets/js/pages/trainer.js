// @ts-check
// The trainer console's start: the classes I teach.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { badge, courseTitle, dateRange, levelText, venueText } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').ClassOut} ClassOut */
/** @template T @typedef {import('../types.js').List<T>} List */

/** @param {PageContext} ctx */
export default async function trainer(ctx) {
  /** @type {List<ClassOut>} */
  const list = await api.get('/api/v1/me/classes', { query: { include_cancelled: 'true', limit: 100 }, signal: ctx.signal });
  const cards = list.items.map((cls) => h('article', { class: 'card', dataset: { classId: cls.id } },
    h('div', { class: 'spread' },
      h('h3', {}, h('a', { href: `/trainer/classes/${encodeURIComponent(cls.id)}` }, courseTitle(cls.course))),
      cls.status === 'cancelled' ? badge('class_status', 'cancelled') : h('span', { class: 'badge' }, levelText(cls.course.level, cls.course.level_label))),
    cls.name ? h('p', { class: 'muted' }, cls.name) : null,
    h('ul', { class: 'meta' },
      h('li', {}, `${t('class.when')}: ${dateRange(cls.starts_on, cls.ends_on)}`),
      h('li', {}, `${t('class.where')}: `, venueText(cls)),
      h('li', {}, t('console.seats', { taken: cls.capacity - cls.seats_left, cap: cls.capacity, wait: cls.waitlist_length }))),
    h('div', { class: 'row' },
      h('a', { class: 'button small', href: `/trainer/classes/${encodeURIComponent(cls.id)}/roster` }, t('console.tab.roster')),
      h('a', { class: 'button small secondary', href: `/trainer/classes/${encodeURIComponent(cls.id)}/attendance` }, t('console.tab.attendance')),
      h('a', { class: 'button small secondary', href: `/trainer/classes/${encodeURIComponent(cls.id)}/scores` }, t('console.tab.scores')))));
  ctx.show(t('trainer.title'),
    h('p', { class: 'muted' }, t('trainer.lead')),
    cards.length ? h('div', { class: 'cards', id: 'my-classes' }, cards) : h('p', { class: 'notice' }, t('trainer.none')));
}
