// Labelled, accessible form controls with a place for each field's error.
import { h, uid } from './dom.js';

function describedBy(hintId, errorId) {
  return [hintId, errorId].filter(Boolean).join(' ');
}

/**
 * A labelled control. kind: text | tel | email | password | number | date | time |
 * datetime-local | select | textarea | file | search. `options` for select: [[value, label]].
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
        selected: spec.multiple ? (spec.value || []).includes(value) : String(spec.value ?? '') === String(value),
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

/** A labelled checkbox. */
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

/** A group of radio buttons. */
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

/** A form with a live message area on top. */
export function form(props, ...children) {
  return h('form', { novalidate: true, class: 'stack', ...props },
    h('div', { class: 'form-message', role: 'alert', tabindex: '-1' }),
    ...children);
}

/**
 * Read a form into an object: data-convert="number|int|bool|list" converts; empty values are
 * left out unless `keepEmpty`.
 */
export function read(formEl, { keepEmpty = false } = {}) {
  const out = {};
  for (const el of formEl.elements) {
    if (!el.name || el.disabled || el.type === 'submit' || el.type === 'button') continue;
    if (el.type === 'radio' && !el.checked) continue;
    if (el.type === 'file') continue;
    const convert = el.dataset.convert;
    let value;
    if (el.type === 'checkbox') value = el.checked;
    else if (el.multiple) value = Array.from(el.selectedOptions, (o) => o.value);
    else value = el.value.trim();
    if (convert === 'number' && value !== '') value = Number(value);
    if (convert === 'int' && value !== '') value = Number.parseInt(value, 10);
    if (value === '' && !keepEmpty) continue;
    out[el.name] = value;
  }
  return out;
}
