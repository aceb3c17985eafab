// The administrator's dashboard: enrolments today, seats filled, notifications, error queues.
import * as api from '../api.js';
import { h } from '../dom.js';
import { message } from '../errors.js';
import { formatNumber, t } from '../i18n.js';

function stat(label, value, id) {
  return h('div', { class: 'stat', id },
    h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
}

function failed(result) {
  return h('p', { class: 'notice error' }, message(result.reason));
}

export default async function dashboard(ctx) {
  const [enrol, notes] = await Promise.allSettled([
    api.get('/api/v1/admin/stats', { signal: ctx.signal }),
    api.get('/api/v1/notifications/stats', { signal: ctx.signal }),
  ]);
  const e = enrol.value;
  const n = notes.value;
  const filled = e && e.seats_capacity ? `${formatNumber((e.seats_filled / e.seats_capacity) * 100)}%` : '—';
  ctx.show(t('dash.title'),
    h('h2', {}, t('dash.enrolment')),
    e ? h('div', { class: 'stats', id: 'enrolment-stats' },
      stat(t('dash.enrolments_today'), formatNumber(e.enrolments_today), 'stat-enrolments-today'),
      stat(t('dash.confirmed_today'), formatNumber(e.confirmed_today)),
      stat(t('dash.waitlisted_today'), formatNumber(e.waitlisted_today)),
      stat(t('dash.cancellations_today'), formatNumber(e.cancellations_today)),
      stat(t('dash.seats_filled'), `${formatNumber(e.seats_filled)} / ${formatNumber(e.seats_capacity)}`, 'stat-seats'),
      stat(t('dash.fill_rate'), filled),
      stat(t('dash.waitlisted_total'), formatNumber(e.waitlisted_total)),
      stat(t('dash.classes_open'), `${formatNumber(e.classes_open)} / ${formatNumber(e.classes_upcoming)}`),
      stat(t('dash.trainees'), formatNumber(e.trainees))) : failed(enrol),
    h('h2', {}, t('dash.notifications')),
    n ? h('div', { class: 'stats', id: 'notification-stats' },
      stat(t('dash.sent'), formatNumber(n.sent), 'stat-sent'),
      stat(t('dash.delivered'), formatNumber(n.delivered)),
      stat(t('dash.failed'), formatNumber(n.failed), 'stat-failed'),
      stat(t('dash.waiting'), formatNumber(n.queued + n.deferred + n.unknown)),
      stat(t('dash.suppressed'), formatNumber(n.suppressed))) : failed(notes),
    h('h2', {}, t('dash.queues')),
    h('p', { class: 'notice warn', id: 'queue-depths' }, t('dash.queues_unavailable')),
    h('p', {}, h('a', { href: '/admin/messages' }, t('nav.admin_messages'))));
}
