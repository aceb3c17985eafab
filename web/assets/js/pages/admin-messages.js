// @ts-check
// Messages sent to one phone number or email address (administrators see the text).
import * as api from '../api.js';
import { h } from '../dom.js';
import { notice } from '../errors.js';
import { field } from '../forms.js';
import { formatDate, t } from '../i18n.js';
import { badge } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').NotificationItem} NotificationItem */
/** @template T @typedef {import('../types.js').List<T>} List */

/** @param {PageContext} ctx */
export default async function adminMessages(ctx) {
  const recipient = ctx.query.get('recipient') || '';
  const search = h('form', { class: 'filters', role: 'search', id: 'recipient-form' },
    field({ name: 'recipient', label: t('admsg.recipient'), type: 'search', value: recipient, hint: t('admsg.hint') }),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, t('admsg.find'))));
  search.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = /** @type {HTMLInputElement} */ (search.elements.namedItem('recipient')).value.trim();
    ctx.go(value ? `/admin/messages?recipient=${encodeURIComponent(value)}` : '/admin/messages');
  });
  let body;
  try {
    /** @type {List<NotificationItem>} */
    const list = await api.get('/api/v1/notifications', { query: { recipient, limit: 100 }, signal: ctx.signal });
    body = list.items.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'notifications' },
      h('thead', {}, h('tr', {}, [t('admsg.time'), t('admsg.event'), t('admsg.channel'), t('admsg.to'), t('admsg.status'), t('admsg.body')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.items.map((m) => h('tr', {},
        h('td', {}, formatDate(m.created_at, { withTime: true })),
        h('td', {}, m.event_type),
        h('td', {}, t(`channel.${m.channel}`)),
        h('td', {}, m.recipient_masked),
        h('td', {}, badge('delivery', m.status), m.attempts > 1 ? ` ×${m.attempts}` : '', m.error_code ? h('div', { class: 'muted' }, m.error_code) : null),
        h('td', {}, m.subject ? h('strong', {}, m.subject) : null, h('pre', {}, m.body))))))) : h('p', { class: 'notice' }, t('messages.none'));
  } catch (error) {
    if (api.isAbort(error)) throw error;
    body = notice(error);
  }
  ctx.show(t('admsg.title'), search, body);
}
