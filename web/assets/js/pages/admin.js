// @ts-check
// The administrator's dashboard: enrolments today, seats filled, notifications, error queues.
import * as api from '../api.js';
import { h } from '../dom.js';
import { message } from '../errors.js';
import { formatNumber, t } from '../i18n.js';

/** @typedef {import('../types.js').OpsQueues} OpsQueues */

/**
 * @param {string} label
 * @param {string} value
 * @param {string} [id]
 */
function stat(label, value, id) {
  return h('div', { class: 'stat', id },
    h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
}

/** @param {PromiseSettledResult<unknown>} result */
function failed(result) {
  return h('p', { class: 'notice error' }, message(result.status === 'rejected' ? result.reason : undefined));
}

const SERVICES = ['enrollment', 'certification', 'notification'];

/**
 * Messages parked in each service's .error queue, plus what waits in queues and outboxes.
 * @param {PromiseSettledResult<OpsQueues>[]} results
 */
function queues(results) {
  /** @type {(state: OpsQueues, suffix: string) => number | null} null: a depth is unknown */
  const parked = (state, suffix) => state.queues.filter((q) => q.name.endsWith(suffix))
    .reduce((/** @type {number | null} */ sum, q) => (sum === null || q.messages === null ? null : sum + q.messages), 0);
  const waiting = (/** @type {OpsQueues} */ state) => state.queues.filter((q) => !/\.(error|skipped)$/.test(q.name))
    .reduce((sum, q) => sum + (q.messages ?? 0), 0);
  const rows = results.map((result, i) => {
    if (result.status !== 'fulfilled') {
      return h('tr', {}, h('th', { scope: 'row' }, SERVICES[i]), h('td', { colspan: 4 }, message(result.reason)));
    }
    const state = result.value;
    const errors = parked(state, '.error');
    return h('tr', { dataset: { service: state.service } },
      h('th', { scope: 'row' }, state.service),
      h('td', { class: 'num error-count' }, errors === null ? '?' : h('span', { class: `badge ${errors ? 'bad' : 'ok'}` }, formatNumber(errors))),
      h('td', { class: 'num' }, formatNumber(parked(state, '.skipped'))),
      h('td', { class: 'num' }, formatNumber(waiting(state))),
      h('td', { class: 'num' }, `${formatNumber(state.outbox.pending)} / ${formatNumber(state.outbox.parked)}`));
  });
  return h('div', { class: 'table-wrap' }, h('table', { id: 'queue-depths' },
    h('thead', {}, h('tr', {}, [t('dash.service'), t('dash.error_queue'), t('dash.skipped_queue'), t('dash.work_queues'), t('dash.outbox')]
      .map((c, i) => h('th', { scope: 'col', class: i ? 'num' : null }, c)))),
    h('tbody', {}, rows)));
}

/** @param {import('../main.js').PageContext} ctx */
export default async function dashboard(ctx) {
  const [enrol, notes, ...ops] = await Promise.allSettled([
    api.get('/api/v1/admin/stats', { signal: ctx.signal }),
    api.get('/api/v1/notifications/stats', { signal: ctx.signal }),
    ...SERVICES.map((name) => api.get(`/api/v1/ops/${name}/queues`, { signal: ctx.signal })),
  ]);
  /** @type {import('../types.js').StatsOut | undefined} */
  const e = enrol.status === 'fulfilled' ? enrol.value : undefined;
  /** @type {import('../types.js').NotificationStats | undefined} */
  const n = notes.status === 'fulfilled' ? notes.value : undefined;
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
    queues(ops),
    h('p', {}, h('a', { href: '/admin/messages' }, t('nav.admin_messages'))));
}
