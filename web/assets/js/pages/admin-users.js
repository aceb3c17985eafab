// @ts-check
// Users: find people, create trainer, examiner and administrator accounts, and confirm the
// name/ID changes of enrolled trainees (their certificates wait for it).
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { message, showDone, showErrors } from '../errors.js';
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

/**
 * Enrolled trainees' name/ID changes awaiting confirmation, each with a confirm button.
 * @param {PageContext} ctx
 * @param {{user_id: string, user_name: string, fields: string[], reason: string | null, changed_at: string}[]} items
 */
function identityChanges(ctx, items) {
  if (!items.length) return null;
  const rows = items.map((c) => {
    const button = h('button', { type: 'button', class: 'small' }, t('users.identity_confirm'));
    button.addEventListener('click', () => busy(button, async () => {
      try {
        await api.post(`/api/v1/users/${encodeURIComponent(c.user_id)}/identity-changes/confirm`);
        ctx.toast(t('users.identity_confirmed', { name: c.user_name }));
        ctx.reload();
      } catch (error) {
        ctx.toast(message(error));
      }
    }));
    return h('tr', { dataset: { userId: c.user_id } },
      h('td', { class: 'name' }, c.user_name),
      h('td', {}, c.fields.map((f) => t(`users.identity_field.${f}`)).join('、')),
      h('td', {}, c.reason || '—'),
      h('td', {}, formatDate(c.changed_at)),
      h('td', {}, button));
  });
  return h('section', { class: 'card stack', 'aria-labelledby': 'identity-h' },
    h('h2', { id: 'identity-h' }, t('users.identity_title')),
    h('p', { class: 'muted' }, t('users.identity_lead')),
    h('div', { class: 'table-wrap' }, h('table', { id: 'identity-changes' },
      h('thead', {}, h('tr', {}, [t('users.name'), t('users.identity_fields'), t('users.identity_reason'), t('users.since'), '']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))));
}

/** @param {PageContext} ctx */
export default async function users(ctx) {
  const role = ctx.query.get('role') || '';
  const q = ctx.query.get('q') || '';
  /** @type {List<UserOut>} */
  const list = await api.get('/api/v1/users', { query: { role, q, limit: 50 }, signal: ctx.signal });
  // The confirmations are a side panel: the user list still shows when they cannot be read.
  const changes = await api.get('/api/v1/identity-changes', { signal: ctx.signal }).catch((error) => {
    if (api.isAbort(error)) throw error;
    return { items: [] };
  });
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
    identityChanges(ctx, changes.items),
    h('details', { class: 'card', open: ctx.query.get('new') === '1' },
      h('summary', {}, t('users.create_title')), create),
    filters, table(list.items));
}
