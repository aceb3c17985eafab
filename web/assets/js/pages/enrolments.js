// @ts-check
// My enrolments: where each stands (waitlist position, offer deadline), results, history.
import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { formatDate, formatNumber, has, t } from '../i18n.js';
import { enrollmentActions } from '../enrolment-actions.js';
import { myFairPlaces } from '../mine-fair.js';
import { moveControl } from '../move-enrolment.js';
import { badge, courseTitle, dateRange, enrollmentLine, venueText } from '../views.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').EnrolmentDetail} EnrolmentDetail */
/** @template T @typedef {import('../types.js').List<T>} List */

const MOVING = new Set(['waitlisted', 'offered', 'confirmed', 'attended']);

/** @param {import('../types.js').HistoryEntry[]} items */
function history(items) {
  return h('details', { class: 'history' },
    h('summary', {}, t('enrol.history')),
    h('ol', { class: 'history' }, items.map((entry) => h('li', {},
      h('time', { datetime: entry.at }, formatDate(entry.at, { withTime: true })), ' · ',
      has(`status.${entry.to_status}`) ? t(`status.${entry.to_status}`) : entry.to_status,
      entry.reason ? ` (${has(`reason.${entry.reason}`) ? t(`reason.${entry.reason}`) : entry.reason})` : '',
      ' · ', has(`actor.${entry.actor_role}`) ? t(`actor.${entry.actor_role}`) : entry.actor_role))));
}

/** @param {EnrolmentDetail} item */
function result(item) {
  const r = item.result;
  if (!r || (r.theory_score === null && r.practical_score === null && r.passed === null)) return null;
  const outcome = r.passed === null ? t('result.pending') : r.passed ? t('result.passed') : t('result.failed');
  return h('p', { class: 'result' },
    t('result.scores', { theory: formatNumber(r.theory_score, 1), practical: formatNumber(r.practical_score, 1) }),
    ' · ', h('strong', {}, outcome));
}

/**
 * @param {EnrolmentDetail} item
 * @param {PageContext} ctx
 */
function card(item, ctx) {
  const cls = item.class_info;
  return h('article', { class: 'card enrolment', dataset: { enrollmentId: item.id, status: item.status } },
    h('div', { class: 'spread' },
      h('h3', {}, h('a', { href: `/classes/${encodeURIComponent(item.class_id)}` }, courseTitle(cls.course))),
      badge('status', item.status)),
    h('p', { class: 'big status-line' }, enrollmentLine(item)),
    item.cancel_reason && item.status === 'cancelled' && has(`reason.${item.cancel_reason}`)
      ? h('p', { class: 'muted' }, t(`reason.${item.cancel_reason}`)) : null,
    h('ul', { class: 'meta' },
      h('li', {}, `${t('class.when')}: ${dateRange(cls.starts_on, cls.ends_on)}`),
      h('li', {}, `${t('class.where')}: `, venueText(cls)),
      cls.status === 'cancelled' ? h('li', {}, badge('class_status', 'cancelled')) : null),
    result(item),
    item.certificate_number ? h('p', {}, t('cert.number'), ': ', item.certificate_number, ' ',
      h('a', { href: '/me/certificates' }, t('nav.certificates'))) : null,
    enrollmentActions(item, { toast: ctx.toast, after: () => ctx.reload() }),
    moveControl(item, { toast: ctx.toast, after: () => ctx.reload() }),
    history(item.history || []));
}

/** @param {PageContext} ctx */
export default async function enrollments(ctx) {
  /** @type {List<EnrolmentDetail>} */
  let data = await api.get('/api/v1/me/enrollments', { signal: ctx.signal });
  const list = h('div', { class: 'stack', id: 'enrolments' });
  const draw = () => {
    if (!data.items.length) {
      replace(list, h('p', { class: 'notice' }, t('enrol.none'), ' ', h('a', { href: '/' }, t('nav.catalogue'))));
      return;
    }
    replace(list, data.items.map((item) => card(item, ctx)));
  };
  draw();
  ctx.show(t('enrol.mine_title'), h('p', { class: 'muted' }, t('enrol.mine_lead')), await myFairPlaces(ctx), list);
  // Waitlist positions and offers change as others cancel: refresh while someone is waiting.
  let last = JSON.stringify(data);
  ctx.every(async () => {
    if (!data.items.some((i) => MOVING.has(i.status))) return;
    try {
      const fresh = await api.get('/api/v1/me/enrollments', { signal: ctx.signal, retries: 0 });
      const text = JSON.stringify(fresh);
      if (text === last || document.querySelector('dialog[open], details.move[open]')) return;
      // Keep the keyboard focus on the same control of the same enrolment after redrawing.
      const focused = list.contains(document.activeElement) ? document.activeElement : null;
      /** @type {HTMLElement | null | undefined} */
      const focusedCard = focused?.closest('[data-enrollment-id]');
      const cardId = focusedCard?.dataset.enrollmentId;
      const role = focused ? `${focused.tagName}.${[...focused.classList].join('.')}` : null;
      data = fresh;
      last = text;
      draw();
      if (cardId && role) {
        const again = list.querySelector(`[data-enrollment-id="${CSS.escape(cardId)}"] ${role.toLowerCase().replace(/\.$/, '')}`);
        /** @type {HTMLElement} */ (again || list).focus?.();
      }
    } catch {
      /* try again at the next tick */
    }
  }, 5000);
}
