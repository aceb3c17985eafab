// The catalogue: classes to enrol in, filtered by category, "open for enrolment" and text.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { notice } from '../errors.js';
import { checkbox, field } from '../forms.js';
import { has, t } from '../i18n.js';
import { classCard } from '../views.js';

async function categories(signal) {
  const found = new Set();
  let cursor = null;
  for (let page = 0; page < 5; page += 1) {
    const list = await api.get('/api/v1/courses', { query: { limit: 100, cursor }, signal });
    for (const course of list.items) found.add(course.category);
    cursor = list.next_cursor;
    if (!cursor) break;
  }
  return [...found].sort();
}

export default async function catalogue(ctx) {
  const q = ctx.query.get('q') || '';
  const category = ctx.query.get('category') || '';
  const open = ctx.query.get('open') !== '0';
  const [cats, first] = await Promise.all([
    categories(ctx.signal),
    api.get('/api/v1/classes', { query: { q, category, open: open ? 'true' : undefined, limit: 20 }, signal: ctx.signal }),
  ]);

  const filters = h('form', { class: 'filters', role: 'search', id: 'filters' },
    field({ name: 'q', label: t('catalogue.search'), type: 'search', value: q, placeholder: t('catalogue.search_hint') }),
    field({
      name: 'category', label: t('catalogue.category'), type: 'select', value: category,
      options: [['', t('catalogue.all_categories')], ...cats.map((c) => [c, has(`category.${c}`) ? t(`category.${c}`) : c])],
    }),
    checkbox({ name: 'open', label: t('catalogue.open_only'), checked: open }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, t('catalogue.apply'))));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(filters);
    const params = new URLSearchParams();
    if (data.get('q')) params.set('q', String(data.get('q')).trim());
    if (data.get('category')) params.set('category', String(data.get('category')));
    if (!data.get('open')) params.set('open', '0');
    const search = params.toString();
    ctx.go(search ? `/?${search}` : '/');
  });
  // Changing the category or the checkbox applies at once (no need to find the button).
  for (const el of filters.querySelectorAll('select, input[type=checkbox]')) {
    el.addEventListener('change', () => filters.requestSubmit());
  }

  const list = h('div', { class: 'cards three', id: 'class-list' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('catalogue.more'));
  let cursor = null;
  const add = (page) => {
    for (const item of page.items) list.append(classCard(item));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  add(first);
  more.addEventListener('click', () => busy(more, async () => {
    try {
      add(await api.get('/api/v1/classes', { query: { q, category, open: open ? 'true' : undefined, limit: 20, cursor } }));
    } catch (error) {
      more.after(notice(error));
    }
  }));

  const empty = first.items.length ? null
    : h('p', { class: 'notice' }, q || category || open ? t('catalogue.none_filtered') : t('catalogue.none'));
  ctx.show(t('catalogue.title'),
    h('p', { class: 'muted' }, t('catalogue.lead')),
    filters,
    h('p', { class: 'muted', 'aria-live': 'polite' }, t('catalogue.count', { n: first.items.length + (first.next_cursor ? '+' : '') })),
    empty, list, h('p', {}, more));
}
