// @ts-check
// Labelled, accessible form controls with a place for each field's error.
import { h, uid } from './dom.js';

/**
 * @typedef {object} FieldSpec
 * @property {string} name
 * @property {string} label
 * @property {string} [type]  the kind of control (see field()); text when absent
 * @property {string | number | string[]} [value]  string[] for a multiple select
 * @property {string[][]} [options]  a select's [value, label] pairs
 * @property {boolean} [multiple]
 * @property {boolean} [required]
 * @property {boolean} [disabled]
 * @property {string} [hint]
 * @property {string} [placeholder]
 * @property {string} [autocomplete]
 * @property {string} [inputmode]
 * @property {'number' | 'int' | 'bool'} [convert]  how read() converts the value
 * @property {number | string} [min]
 * @property {number | string} [max]
 * @property {number} [step]
 * @property {number} [maxlength]
 * @property {number} [minlength]
 * @property {string} [pattern]
 * @property {string} [accept]
 * @property {string} [inputClass]
 */

/** @typedef {string | number | boolean | string[]} FormValue */

/**
 * @param {string | null} hintId
 * @param {string} errorId
 */
function describedBy(hintId, errorId) {
  return [hintId, errorId].filter(Boolean).join(' ');
}

/**
 * A labelled control. kind: text | tel | email | password | number | date | time |
 * datetime-local | select | textarea | file | search. `options` for select: [[value, label]].
 * @param {FieldSpec} spec
 */
export function field(spec) {
  const id = uid(spec.name);
  const errorId = `${id}-error`;
  const hintId = spec.hint ? `${id}-hint` : null;
  const kind = spec.type || 'text';
  const common = {
    id,
    name: spec.name,
    required: spec.required || false,
    'aria-describedby': describedBy(hintId, errorId),
    autocomplete: spec.autocomplete,
    inputmode: spec.inputmode,
    placeholder: spec.placeholder,
    dataset: spec.convert ? { convert: spec.convert } : undefined,
    disabled: spec.disabled,
  };
  let control;
  if (kind === 'select') {
    control = h('select', { ...common, multiple: spec.multiple || false },
      (spec.options || []).map(([value, label]) => h('option', {
        value,
        selected: spec.multiple ? /** @type {string[]} */ (spec.value || []).includes(value) : String(spec.value ?? '') === String(value),
      }, label)));
  } else if (kind === 'textarea') {
    control = h('textarea', { ...common, maxlength: spec.maxlength, value: spec.value ?? '' });
  } else {
    control = h('input', {
      ...common,
      type: kind,
      value: spec.value ?? '',
      min: spec.min, max: spec.max, step: spec.step,
      maxlength: spec.maxlength, minlength: spec.minlength, pattern: spec.pattern,
      accept: spec.accept,
      class: spec.inputClass,
    });
  }
  return h('div', { class: 'field' },
    h('label', { for: id }, spec.label),
    control,
    hintId ? h('p', { class: 'hint', id: hintId }, spec.hint) : null,
    h('p', { class: 'field-error', id: errorId, 'data-error-for': spec.name }),
  );
}

/**
 * A labelled checkbox.
 * @param {{name: string, label: string, checked?: boolean, hint?: string}} spec
 */
export function checkbox({ name, label, checked = false, hint }) {
  const id = uid(name);
  const errorId = `${id}-error`;
  return h('div', { class: 'field' },
    h('label', { class: 'check', for: id },
      h('input', { type: 'checkbox', id, name, checked, dataset: { convert: 'bool' },
        'aria-describedby': errorId }),
      label),
    hint ? h('p', { class: 'hint' }, hint) : null,
    h('p', { class: 'field-error', id: errorId, 'data-error-for': name }));
}

/**
 * A group of radio buttons.
 * @param {{name: string, legend: string, options: string[][], value: string}} spec
 */
export function radios({ name, legend, options, value }) {
  const errorId = uid(`${name}-error`);
  return h('fieldset', { 'aria-describedby': errorId },
    h('legend', {}, legend),
    options.map(([v, label]) => {
      const id = uid(name);
      return h('label', { class: 'check', for: id },
        h('input', { type: 'radio', id, name, value: v, checked: String(value) === String(v) }),
        label);
    }),
    h('p', { class: 'field-error', id: errorId, 'data-error-for': name }));
}

/**
 * A form with a live message area on top.
 * @param {import('./dom.js').Props} props
 * @param {...import('./dom.js').Child} children
 */
export function form(props, ...children) {
  return h('form', { novalidate: true, class: 'stack', ...props },
    h('div', { class: 'form-message', role: 'alert', tabindex: '-1' }),
    ...children);
}

/**
 * Read a form into an object: data-convert="number|int|bool|list" converts; empty values are
 * left out unless `keepEmpty`.
 * @param {HTMLFormElement} formEl
 * @param {{keepEmpty?: boolean}} [options]
 * @returns {Record<string, FormValue>}
 */
export function read(formEl, { keepEmpty = false } = {}) {
  /** @type {Record<string, FormValue>} */
  const out = {};
  for (const el of formEl.elements) {
    if (!isControl(el) || !el.name || el.disabled || el.type === 'submit' || el.type === 'button') continue;
    if (el instanceof HTMLInputElement && el.type === 'radio' && !el.checked) continue;
    if (el.type === 'file') continue;
    const convert = el.dataset.convert;
    /** @type {FormValue} */
    let value;
    if (el instanceof HTMLInputElement && el.type === 'checkbox') value = el.checked;
    else if (el instanceof HTMLSelectElement && el.multiple) value = Array.from(el.selectedOptions, (o) => o.value);
    else value = el.value.trim();
    if (convert === 'number' && value !== '') value = Number(value);
    if (convert === 'int' && value !== '') value = Number.parseInt(String(value), 10);
    if (value === '' && !keepEmpty) continue;
    out[el.name] = value;
  }
  return out;
}

/**
 * Tell whether `el` is a control with a value of its own (not a button, fieldset or output).
 * @param {Element} el
 * @returns {el is HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement}
 */
function isControl(el) {
  return el instanceof HTMLInputElement || el instanceof HTMLSelectElement
    || el instanceof HTMLTextAreaElement;
}
