// @ts-check
// In-page confirmation (an HTML <dialog>, never window.confirm), optionally asking for a reason.
import { h, uid } from './dom.js';
import { t } from './i18n.js';

/** @typedef {{label: string, options: [string, string][], value: string}} Choice */

/**
 * Ask before doing something that cannot be undone. Resolves to false when cancelled, true
 * when confirmed, or the entered text when `reason` is set (a label for the reason field).
 * With `choice`, a select offers its options too; the one picked is written to `choice.value`.
 * @param {string} text
 * @param {{ok?: string, danger?: boolean, reason?: string | null, required?: boolean, choice?: Choice | null}} [options]
 * @returns {Promise<boolean | string>}
 */
export function confirm(text, { ok = t('action.confirm'), danger = false, reason = null, required = false, choice = null } = {}) {
  return new Promise((resolve) => {
    const reasonId = uid('reason');
    const input = reason ? h('input', { type: 'text', id: reasonId, name: 'reason', maxlength: 200, required }) : null;
    const select = choice ? h('select', { id: `${reasonId}-choice`, name: 'choice' },
      choice.options.map(([value, label]) => h('option', { value, selected: value === choice.value }, label))) : null;
    const error = h('p', { class: 'field-error', role: 'alert' });
    const dialog = h('dialog', { 'aria-labelledby': `${reasonId}-title`, class: 'confirm' },
      h('form', { method: 'dialog', class: 'stack' },
        h('p', { id: `${reasonId}-title`, class: 'big' }, text),
        select && choice ? h('div', { class: 'field' }, h('label', { for: `${reasonId}-choice` }, choice.label), select) : null,
        input ? h('div', { class: 'field' }, h('label', { for: reasonId }, reason), input, error) : null,
        h('div', { class: 'row' },
          h('button', { type: 'submit', value: 'ok', class: danger ? 'danger' : '' }, ok),
          h('button', { type: 'submit', value: 'cancel', class: 'plain', formnovalidate: true }, t('action.cancel')))));
    const form = /** @type {HTMLFormElement} */ (dialog.querySelector('form'));
    form.addEventListener('submit', (event) => {
      if (/** @type {HTMLButtonElement | null} */ (event.submitter)?.value === 'ok' && input && required && !input.value.trim()) {
        event.preventDefault();
        error.textContent = t('validation.missing');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
    });
    dialog.addEventListener('close', () => {
      const confirmed = dialog.returnValue === 'ok';
      if (choice && select) choice.value = /** @type {HTMLSelectElement} */ (select).value;
      dialog.remove();
      if (!confirmed) resolve(false);
      else resolve(input ? input.value.trim() : true);
    });
    document.body.append(dialog);
    dialog.showModal();
    (input || /** @type {HTMLButtonElement} */ (dialog.querySelector('button[value=ok]'))).focus();
  });
}
