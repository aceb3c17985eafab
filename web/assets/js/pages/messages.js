// @ts-check
// The SMS and email messages sent to me.
import * as api from '../api.js';
import { h } from '../dom.js';
import { formatDate, t } from '../i18n.js';
import { badge } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').MyNotification} MyNotification */
/** @template T @typedef {import('../types.js').List<T>} List */

/** @param {PageContext} ctx */
export default async function messages(ctx) {
  /** @type {List<MyNotification>} */
  const list = await api.get('/api/v1/me/notifications', { query: { limit: 50 }, signal: ctx.signal });
  const items = list.items.map((m) => h('article', { class: 'card message', dataset: { eventType: m.event_type } },
    h('div', { class: 'spread' },
      h('span', { class: 'muted' }, formatDate(m.created_at, { withTime: true }), ' · ', t(`channel.${m.channel}`), ' · ', m.recipient_masked),
      badge('delivery', m.status)),
    m.subject ? h('h3', {}, m.subject) : null,
    h('pre', {}, m.body)));
  ctx.show(t('messages.title'),
    h('p', { class: 'muted' }, t('messages.lead'), ' ', h('a', { href: '/me/preferences' }, t('nav.preferences'))),
    items.length ? h('div', { class: 'stack', id: 'messages' }, items) : h('p', { class: 'notice' }, t('messages.none')));
}
