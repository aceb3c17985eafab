// @ts-check
// Users: find people, create trainer and administrator accounts.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { showDone, showErrors } from '../errors.js';
import { field, form, read } from '../forms.js';
import { formatDate, t } from '../i18n.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').UserOut} UserOut */
/** @template T @typedef {import('../types.js').List<T>} List */

/** @param {UserOut[]} items */
function table(items) {
  if (!items.length) return h('p', { class: 'notice' }, t('users.none'));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'users' },
    h('thead', {}, h('tr', {}, [t('users.name'), t('users.role'), t('roster.phone'), t('users.employer'), t('users.since')]
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, items.map((u) => h('tr', { dataset: { userId: u.id } },
      h('td', { class: 'name' }, u.name || '—', u.signed_up ? '' : ` (${t('users.imported')})`),
      h('td', {}, t(`role.${u.role}`)),
      h('td', {}, u.phone_masked),
      h('td', {}, u.employer || '—'),
      h('td', {}, formatDate(u.created_at)))))));
}

/** @param {PageContext} ctx */
export default async function users(ctx) {
  const role = ctx.query.get('role') || '';
  const q = ctx.query.get('q') || '';
  /** @type {List<UserOut>} */
  const list = await api.get('/api/v1/users', { query: { role, q, limit: 50 }, signal: ctx.signal });
  const filters = h('form', { class: 'filters', role: 'search' },
    field({ name: 'q', label: t('users.search'), type: 'search', value: q }),
    field({ name: 'role', label: t('users.role'), type: 'select', value: role, options: [['', t('users.all_roles')], ['trainee', t('role.trainee')], ['trainer', t('role.trainer')], ['examiner', t('role.examiner')], ['admin', t('role.admin')]] }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, t('catalogue.apply'))));
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = /** @type {Record<string, string>} */ (read(filters)); // a search box and a select
    ctx.go(`/admin/users?${new URLSearchParams(data)}`);
  });
  const create = form({ id: 'create-user' },
    field({ name: 'role', label: t('users.role'), type: 'select', value: 'trainer', options: [['trainer', t('role.trainer')], ['examiner', t('role.examiner')], ['admin', t('role.admin')]] }),
    field({ name: 'name', label: t('users.name'), required: true, maxlength: 100, autocomplete: 'off' }),
    field({ name: 'phone', label: t('signin.phone'), type: 'tel', required: true, inputmode: 'tel', autocomplete: 'off' }),
    field({ name: 'password', label: t('users.password'), type: 'password', required: true, autocomplete: 'new-password', hint: t('users.password_hint') }),
    h('button', { type: 'submit' }, t('users.create')));
  create.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(create.querySelector('button[type=submit]'), async () => {
      const body = read(create, { keepEmpty: true });
      try {
        await api.post('/api/v1/users', body);
        create.reset();
        showDone(create, t('users.created', { name: body.name }));
        ctx.toast(t('users.created', { name: body.name }));
      } catch (error) {
        showErrors(create, error);
      }
    });
  });
  ctx.show(t('users.title'),
    h('details', { class: 'card', open: ctx.query.get('new') === '1' },
      h('summary', {}, t('users.create_title')), create),
    filters, table(list.items));
}
