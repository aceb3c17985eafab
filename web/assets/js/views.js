// @ts-check
// Small renderers shared by several pages (class cards, badges, course titles, levels).
import { h } from './dom.js';
import { formatDate, has, locale, pick, t } from './i18n.js';

/** @typedef {import('./types.js').ClassOut} ClassOut */
/** @typedef {import('./types.js').EnrollmentState} EnrollmentState */

/**
 * The course title in the active language.
 * @param {{title_zh: string, title_en: string}} course
 */
export function courseTitle(course) {
  return pick(course.title_zh, course.title_en);
}

/**
 * "四级/中级工" or "Level 4 (intermediate)"; a training course has no level.
 * @param {number | null | undefined} level
 * @param {string | null | undefined} label
 */
export function levelText(level, label) {
  if (level === null || level === undefined) return t('level.training');
  if (locale() === 'zh-CN' && label) return label;
  return t(`level.${level}`);
}

/**
 * A coloured status badge with a translated label.
 * @param {string} kind
 * @param {string} status
 * @param {string} [extraClass]
 */
export function badge(kind, status, extraClass = '') {
  const key = `${kind}.${status}`;
  return h('span', { class: `badge ${status} ${extraClass}`.trim() }, has(key) ? t(key) : status);
}

/**
 * "还剩 3 个名额" / "已满 · 候补 12 人".
 * @param {Pick<ClassOut, 'seats_left' | 'capacity' | 'waitlist_length'>} cls
 */
export function seatsText(cls) {
  if (cls.seats_left > 0) return t('class.seats_left', { n: cls.seats_left, cap: cls.capacity });
  return t('class.full', { n: cls.waitlist_length });
}

/**
 * "2025年6月1日 – 6月3日".
 * @param {string} start
 * @param {string} end
 */
export function dateRange(start, end) {
  return start === end ? formatDate(start) : `${formatDate(start)} – ${formatDate(end)}`;
}

/**
 * Where the class takes place (an online class gets a badge after its venue).
 * @param {Pick<ClassOut, 'venue' | 'online'>} cls
 */
export function venueText(cls) {
  return cls.online ? [cls.venue, ' ', h('span', { class: 'badge' }, t('class.online'))] : cls.venue;
}

/**
 * Whether (and why not) a class takes enrolments.
 * @param {ClassOut} cls
 */
export function openBadge(cls) {
  if (cls.status === 'cancelled') return badge('class_status', 'cancelled');
  if (cls.open_for_enrolment) return h('span', { class: 'badge ok' }, t('class.open'));
  const now = Date.now();
  if (new Date(cls.enroll_opens_at).getTime() > now) {
    return h('span', { class: 'badge warn' }, t('class.opens_at', { at: formatDate(cls.enroll_opens_at, { withTime: true }) }));
  }
  return h('span', { class: 'badge bad' }, t('class.closed'));
}

/**
 * A class in the catalogue.
 * @param {ClassOut} cls
 */
export function classCard(cls) {
  const title = courseTitle(cls.course);
  return h('article', { class: 'card class-card', dataset: { classId: cls.id } },
    h('h3', {}, h('a', { href: `/classes/${encodeURIComponent(cls.id)}` }, title)),
    cls.name ? h('p', { class: 'muted' }, cls.name) : null,
    h('div', { class: 'row' }, openBadge(cls), h('span', { class: 'badge' }, levelText(cls.course.level, cls.course.level_label))),
    h('ul', { class: 'meta' },
      h('li', {}, `${t('class.when')}: ${dateRange(cls.starts_on, cls.ends_on)}`),
      h('li', {}, `${t('class.where')}: `, venueText(cls)),
      cls.union_members_only ? h('li', {}, t('class.union_only')) : null),
    h('p', { class: `seats ${cls.seats_left > 0 ? '' : 'none'}`.trim() }, seatsText(cls)));
}

/**
 * The text for where an enrolment stands ("you are number 12 on the waitlist").
 * @param {EnrollmentState} item
 */
export function enrollmentLine(item) {
  if (item.status === 'waitlisted' && item.waitlist_position) {
    return t('enrol.waitlist_position', { n: item.waitlist_position });
  }
  if (item.status === 'offered' && item.offer_expires_at) {
    return t('enrol.offer_until', { at: formatDate(item.offer_expires_at, { withTime: true }) });
  }
  return t(`enrol.line.${item.status}`);
}
