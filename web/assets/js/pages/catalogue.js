// @ts-check
// The catalogue: classes to enrol in, filtered by category, "open for enrolment" and text.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { notice } from '../errors.js';
import { checkbox, field } from '../forms.js';
import { locale, t } from '../i18n.js';
import { classCard } from '../views.js';

/** @typedef {import('../types.js').ClassOut} ClassOut */
/** @typedef {import('../types.js').CategoryOut} CategoryOut */
/** @template T @typedef {import('../types.js').List<T>} List */

/**
 * The options of the category filter: every category by name with its open classes, and the
 * one in the address even when no course has it (a shared link keeps its filter visible).
 * @param {List<CategoryOut>} categories
 * @param {string} chosen
 * @returns {[string, string][]}
 */
function categoryOptions(categories, chosen) {
  const name = (/** @type {CategoryOut} */ c) => (locale() === 'en' ? c.name_en : c.name_zh);
  /** @type {[string, string][]} */
  const options = categories.items.map((c) => [c.code, t('catalogue.category_option', { name: name(c), n: c.open_classes })]);
  if (chosen && !categories.items.some((c) => c.code === chosen)) options.push([chosen, chosen]);
  return [['', t('catalogue.all_categories')], ...options];
}

/**
 * @typedef {{q: string, category: string, open: boolean}} Filters
 * @param {URLSearchParams} params
 * @returns {Filters}
 */
function filtersOf(params) {
  return {
    q: params.get('q') || '',
    category: params.get('category') || '',
    open: params.get('open') !== '0',
  };
}

/**
 * @param {Filters} filters
 * @param {string | null} [cursor]
 */
function classQuery(filters, cursor) {
  const { q, category, open } = filters;
  return { q, category, open: open ? 'true' : undefined, limit: 20, cursor };
}

/** @param {import('../main.js').PageContext} ctx */
export default async function catalogue(ctx) {
  let current = filtersOf(ctx.query);
  // The first screen is these two requests at once, however many courses there are.
  /** @type {[List<CategoryOut>, List<ClassOut>]} */
  const [cats, first] = await Promise.all([
    api.get('/api/v1/categories', { signal: ctx.signal }),
    api.get('/api/v1/classes', { query: classQuery(current), signal: ctx.signal }),
  ]);

  const form = h('form', { class: 'filters', role: 'search', id: 'filters' },
    field({ name: 'q', label: t('catalogue.search'), type: 'search', value: current.q, placeholder: t('catalogue.search_hint') }),
    field({
      name: 'category', label: t('catalogue.category'), type: 'select', value: current.category,
      options: categoryOptions(cats, current.category),
    }),
    checkbox({ name: 'open', label: t('catalogue.open_only'), checked: current.open }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, t('catalogue.apply'))));

  const count = h('p', { class: 'muted', 'aria-live': 'polite', id: 'class-count' });
  const empty = h('p', { class: 'notice', hidden: true });
  const list = h('div', { class: 'cards three', id: 'class-list' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('catalogue.more'));
  const problem = h('div', {});
  /** @type {string | null | undefined} */
  let cursor = null;
  let shown = 0;
  /** @type {(page: List<ClassOut>, options?: {append?: boolean}) => void} */
  const draw = (page, { append = false } = {}) => {
    if (!append) {
      list.replaceChildren();
      shown = 0;
    }
    for (const item of page.items) list.append(classCard(item));
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    count.textContent = t('catalogue.count', { n: shown + (cursor ? '+' : '') });
    empty.hidden = shown > 0;
    const filtered = current.q || current.category || current.open;
    empty.textContent = filtered ? t('catalogue.none_filtered') : t('catalogue.none');
  };
  draw(first);

  // Filtering replaces only the list (the form keeps what is being typed) and the address, so
  // the back button and a shared link give the same list.
  /** @type {AbortController | null} */
  let loading = null;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const params = new URLSearchParams();
    if (String(data.get('q') || '').trim()) params.set('q', String(data.get('q')).trim());
    if (data.get('category')) params.set('category', String(data.get('category')));
    if (!data.get('open')) params.set('open', '0');
    const search = params.toString();
    history.pushState(null, '', search ? `/?${search}` : '/');
    current = filtersOf(params);
    loading?.abort();
    loading = new AbortController();
    const signal = loading.signal;
    list.setAttribute('aria-busy', 'true');
    api.get('/api/v1/classes', { query: classQuery(current), signal })
      .then((page) => {
        problem.replaceChildren();
        draw(page);
      })
      .catch((error) => {
        if (!api.isAbort(error)) problem.replaceChildren(notice(error));
      })
      .finally(() => {
        if (!signal.aborted) list.removeAttribute('aria-busy');
      });
  });
  // Changing the category or the checkbox applies at once (no need to find the button).
  for (const el of form.querySelectorAll('select, input[type=checkbox]')) {
    el.addEventListener('change', () => form.requestSubmit());
  }
  more.addEventListener('click', () => busy(more, async () => {
    try {
      draw(await api.get('/api/v1/classes', { query: classQuery(current, cursor) }), { append: true });
    } catch (error) {
      problem.replaceChildren(notice(error));
    }
  }));

  ctx.show(t('catalogue.title'),
    h('p', { class: 'muted' }, t('catalogue.lead')),
    form, count, problem, empty, list, h('p', {}, more));
}
