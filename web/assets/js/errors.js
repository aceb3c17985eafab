// @ts-check
// Problem+json -> friendly text in the user's language; 422 field errors next to the fields.
import { ApiError } from './api.js';
import { h, replace } from './dom.js';
import { formatDate, formatList, has, t } from './i18n.js';

/** @typedef {import('./types.js').ValidationError} ValidationError */

// Domain codes that are about one field of the form that was sent.
/** @type {Record<string, string>} */
const FIELD_OF_CODE = {
  invalid_phone: 'phone',
  phone_not_mobile: 'phone',
  phone_region_not_allowed: 'phone',
  phone_taken: 'phone',
  invalid_code: 'code',
  code_expired: 'code',
  otp_attempts_exceeded: 'code',
  invalid_credentials: 'password',
  too_many_attempts: 'password',
  weak_password: 'password',
  invalid_id_number: 'id_number',
  invalid_id_type: 'id_type',
  course_code_taken: 'code',
  capacity_below_taken: 'capacity',
  invalid_schedule: 'ends_on',
  invalid_enrolment_window: 'enroll_closes_at',
  unknown_course: 'course_id',
  unknown_trainer: 'trainer_ids',
  invalid_recipient: 'recipient',
  file_required: 'file',
  invalid_csv: 'file',
  too_many_rows: 'file',
  payload_too_large: 'file',
};

// A problem's dates (ends_on, dates[]) read as dates of the user's language, lists as lists.
/**
 * @param {unknown} value
 * @returns {unknown}
 */
function friendly(value) {
  if (Array.isArray(value)) return formatList(value.map(friendly));
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDate(value) : value;
}

/**
 * Return a friendly sentence for an error (ApiError or anything thrown).
 * @param {unknown} error
 */
export function message(error) {
  if (!(error instanceof ApiError)) return t('error.generic');
  const vars = Object.fromEntries(Object.entries(error.problem).map(([k, v]) => [k, friendly(v)]));
  vars.retry = error.problem.retry_after ?? '';
  if (has(`error.${error.code}`)) return t(`error.${error.code}`, vars);
  if (error.status === 0) return t('error.network_error');
  if (error.status >= 500) return t('error.server');
  if (error.status === 401) return t('error.unauthorized');
  if (error.status === 403) return t('error.forbidden');
  if (error.status === 404) return t('error.not_found');
  if (error.status === 429) return t('error.rate_limited', vars);
  return error.problem.detail ? t('error.with_detail', { detail: error.problem.detail })
    : t('error.generic');
}

/**
 * Return a friendly text for one pydantic error of a 422 `errors[]` entry.
 * @param {ValidationError} entry
 */
function fieldMessage(entry) {
  const key = `validation.${entry.type}`;
  return has(key) ? t(key) : t('validation.other', { msg: entry.msg || '' });
}

/**
 * Return a notice element for an error, for pages (not forms).
 * @param {unknown} error
 */
export function notice(error) {
  return h('div', { class: 'notice error', role: 'alert' }, message(error));
}

/**
 * Remove the field errors and the form-level message of `form`.
 * @param {HTMLFormElement} form
 */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  const top = form.querySelector('.form-message');
  if (top) {
    top.className = 'form-message';
    top.textContent = '';
  }
}

/**
 * @param {HTMLFormElement} form
 * @param {string} name
 * @param {string} text
 */
function setFieldError(form, name, text) {
  const control = form.elements.namedItem(name);
  const input = control instanceof RadioNodeList ? control[0] : control;
  if (!input) return false;
  const box = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
  if (!box) return false;
  input.setAttribute('aria-invalid', 'true');
  box.textContent = box.textContent ? `${box.textContent} ${text}` : text;
  return true;
}

/**
 * Show an error on a form: 422 entries next to their fields, everything else on top.
 * @param {HTMLFormElement} form
 * @param {unknown} error
 */
export function showErrors(form, error) {
  clearErrors(form);
  let placed = 0;
  /** @type {Element | RadioNodeList | null} */
  let first = null;
  if (error instanceof ApiError) {
    for (const entry of error.errors) {
      const loc = Array.isArray(entry.loc) ? entry.loc : [];
      const name = loc[0] === 'body' || loc[0] === 'query' ? loc[1] : loc[0];
      if (name !== undefined && setFieldError(form, String(name), fieldMessage(entry))) {
        placed += 1;
        first = first || form.elements.namedItem(String(name));
      }
    }
    const field = FIELD_OF_CODE[error.code];
    if (!placed && field && setFieldError(form, field, message(error))) {
      placed += 1;
      first = form.elements.namedItem(field);
    }
  }
  /** @type {HTMLElement | null} */
  const top = form.querySelector('.form-message');
  if (top) {
    top.className = 'form-message notice error';
    replace(top, placed ? t('error.check_fields') : message(error));
  }
  const target = /** @type {HTMLElement | null} */ (first instanceof RadioNodeList ? first[0] : first);
  (target || top)?.focus?.();
}

/**
 * Show a success line on top of a form.
 * @param {HTMLFormElement} form
 * @param {string} text
 */
export function showDone(form, text) {
  clearErrors(form);
  const top = form.querySelector('.form-message');
  if (top) {
    top.className = 'form-message notice ok';
    replace(top, text);
  }
}

/**
 * Put a sentence on top of a form without touching its field errors.
 * @param {HTMLFormElement} form
 * @param {string} text
 * @param {'error' | 'ok'} [kind]
 */
export function formMessage(form, text, kind = 'error') {
  /** @type {HTMLElement | null} */
  const top = form.querySelector('.form-message');
  if (!top) return;
  top.className = `form-message notice ${kind}`;
  replace(top, text);
  if (kind === 'error') top.focus();
}
