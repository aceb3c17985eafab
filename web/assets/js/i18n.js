// @ts-check
// zh-CN by default, English on request; the choice is remembered in localStorage.
import { MESSAGES } from './messages.js';

/** @typedef {'zh-CN' | 'en'} Locale */

/** @type {readonly Locale[]} */
export const LOCALES = ['zh-CN', 'en'];
const KEY = 'jx.locale';
let current = read();

/**
 * @param {unknown} value
 * @returns {value is Locale}
 */
function isLocale(value) {
  return LOCALES.some((known) => known === value);
}

/** @returns {Locale} */
function read() {
  try {
    const saved = localStorage.getItem(KEY);
    return isLocale(saved) ? saved : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

/** Return the active locale ('zh-CN' or 'en'). */
export function locale() {
  return current;
}

/**
 * Switch the locale, remember it and set <html lang>.
 * @param {string} next
 */
export function setLocale(next) {
  current = isLocale(next) ? next : 'zh-CN';
  try {
    localStorage.setItem(KEY, current);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  document.documentElement.lang = current;
}

/**
 * Return a link to a server-rendered page (/verify, /dev/inbox) in the active language: those
 * pages run no script and cannot read the stored choice, so it travels as ?lang=en.
 * @param {string} href
 */
export function withLang(href) {
  if (current !== 'en') return href;
  return `${href}${href.includes('?') ? '&' : '?'}lang=en`;
}

/**
 * Translate `key`, filling {name} placeholders from `vars`; falls back to Chinese, then the key.
 * @param {string} key
 * @param {Record<string, unknown>} [vars]
 * @returns {string}
 */
export function t(key, vars) {
  const text = MESSAGES[current][key] ?? MESSAGES['zh-CN'][key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/**
 * Tell whether a translation exists for `key`.
 * @param {string} key
 */
export function has(key) {
  return key in MESSAGES[current] || key in MESSAGES['zh-CN'];
}

/**
 * Pick the Chinese or English variant of a bilingual field pair.
 * @param {string} zh
 * @param {string} en
 */
export function pick(zh, en) {
  return current === 'en' ? en || zh : zh || en;
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
// Classes run on Beijing time (domain.md): moments are shown in it wherever the browser is.
export const ZONE = 'Asia/Shanghai';

/**
 * Format an ISO date (2025-06-01) or datetime for the active locale; a time of day is shown in
 * Beijing time and says so.
 * @param {string | null | undefined} value
 * @param {{withTime?: boolean, weekday?: boolean}} [options]
 */
export function formatDate(value, { withTime = false, weekday = false } = {}) {
  if (!value) return '—';
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { year: 'numeric', month: 'short', day: 'numeric', timeZone: ZONE };
  let date;
  if (dateOnly.test(value)) {
    // A calendar day, in no zone: read and written in UTC so that it never shifts.
    const [y, m, d] = value.split('-').map(Number);
    date = new Date(Date.UTC(y, m - 1, d));
    options.timeZone = 'UTC';
  } else {
    date = new Date(value);
  }
  if (Number.isNaN(date.getTime())) return String(value);
  if (weekday) options.weekday = 'short';
  if (withTime) Object.assign(options, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  // One date format per language everywhere (the verification page, exports and messages
  // write the same): 2026年12月7日, and 7 Dec 2026 (British order, not "Dec 7, 2026").
  const text = new Intl.DateTimeFormat(current === 'en' ? 'en-GB' : current, options).format(date);
  return withTime && !dateOnly.test(value) ? t('time.beijing', { time: text }) : text;
}

/**
 * Join texts as a list of the active locale (a、b和c / a, b, and c).
 * @param {unknown[]} values
 */
export function formatList(values) {
  return new Intl.ListFormat(current, { type: 'conjunction' }).format(values.map(String));
}

/**
 * Format a number for the active locale.
 * @param {number | string | null | undefined} value
 * @param {number} [digits]
 */
export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined || value === '') return '—';
  return new Intl.NumberFormat(current, { maximumFractionDigits: digits }).format(Number(value));
}

/** Return today's date as YYYY-MM-DD in Beijing time (the classes' calendar). */
export function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date());
}
