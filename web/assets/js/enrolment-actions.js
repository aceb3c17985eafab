// @ts-check
// Buttons on an enrolment: accept an offered seat before its deadline, or cancel.
import * as api from './api.js';
import { busy, h } from './dom.js';
import { confirm } from './dialog.js';
import { message } from './errors.js';
import { t } from './i18n.js';

const CANCELLABLE = new Set(['confirmed', 'waitlisted', 'offered']);

/**
 * Return the action buttons for an enrolment; `after(updated)` runs when one succeeded.
 * @param {import('./types.js').EnrollmentState} item
 * @param {{toast: (text: string) => void, after: (updated: unknown) => void}} page
 */
export function enrollmentActions(item, { toast, after }) {
  const buttons = [];
  const out = h('div', { class: 'row actions' });
  const fail = (/** @type {unknown} */ error) => {
    out.querySelector('.notice')?.remove();
    out.append(h('p', { class: 'notice error', role: 'alert' }, message(error)));
  };
  const offerOpen = item.status === 'offered'
    && (!item.offer_expires_at || new Date(item.offer_expires_at).getTime() > Date.now());
  if (offerOpen) {
    const accept = h('button', { type: 'button', class: 'accept' }, t('enrol.accept'));
    accept.addEventListener('click', () => busy(accept, async () => {
      try {
        const updated = await api.post(`/api/v1/enrollments/${encodeURIComponent(item.id)}/accept`);
        toast(t('enrol.accepted'));
        after(updated);
      } catch (error) {
        fail(error);
      }
    }));
    buttons.push(accept);
  }
  if (CANCELLABLE.has(item.status)) {
    const label = item.status === 'offered' ? t('enrol.decline') : t('enrol.cancel');
    const cancel = h('button', { type: 'button', class: 'danger cancel' }, label);
    cancel.addEventListener('click', async () => {
      const question = item.status === 'confirmed' ? t('enrol.cancel_confirm_seat') : t('enrol.cancel_confirm');
      if (!(await confirm(question, { ok: label, danger: true }))) return;
      await busy(cancel, async () => {
        try {
          const updated = await api.post(`/api/v1/enrollments/${encodeURIComponent(item.id)}/cancel`);
          toast(t('enrol.cancelled'));
          after(updated);
        } catch (error) {
          fail(error);
        }
      });
    });
    buttons.push(cancel);
  }
  out.append(...buttons);
  return buttons.length ? out : null;
}
