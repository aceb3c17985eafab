// @ts-check
// The claim pack for the human-resources bureau: each document as XLSX or PDF, laid out by a
// city template, downloaded with a progress bar (the service streams it with its length).
import * as api from '../api.js';
import { busy, h, uid } from '../dom.js';
import { notice, showDone, showErrors } from '../errors.js';
import { checkbox, field, form, read } from '../forms.js';
import * as session from '../session.js';
import { t } from '../i18n.js';

/** @typedef {import('./console.js').Tab} Tab */

const DOCUMENTS = ['application', 'ledger', 'roster', 'scores', 'notice'];

/**
 * Fetch a file with the Authorization header, showing its progress, then save it.
 * @param {string} path
 * @param {HTMLProgressElement} bar
 */
async function fetchWithProgress(path, bar) {
  /** @type {Response} */
  const response = await api.request('GET', path, { raw: true, accept: '*/*' });
  const total = Number(response.headers.get('Content-Length') || 0);
  const reader = /** @type {ReadableStream<Uint8Array>} */ (response.body).getReader();
  /** @type {BlobPart[]} */
  const parts = [];
  let received = 0;
  bar.hidden = false;
  bar.max = total || 1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(new Uint8Array(value));
    received += value.length;
    bar.value = total ? received : 0;
  }
  bar.value = bar.max;
  const named = /filename="?([^";]+)"?/.exec(response.headers.get('Content-Disposition') || '');
  const blob = new Blob(parts, { type: response.headers.get('Content-Type') || 'application/octet-stream' });
  const href = URL.createObjectURL(blob);
  const link = h('a', { href, download: named ? named[1] : 'claim' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/**
 * The class's teaching and assessment plans, printed on the class-opening application.
 * @param {string} classId
 * @param {{teaching_plan: string, assessment_plan: string}} plans
 */
function plansForm(classId, plans) {
  const sheet = form({ id: 'plans-form', class: 'stack' },
    field({ name: 'teaching_plan', label: t('claim.teaching_plan'), type: 'textarea', value: plans.teaching_plan, maxlength: 4000 }),
    field({ name: 'assessment_plan', label: t('claim.assessment_plan'), type: 'textarea', value: plans.assessment_plan, maxlength: 4000 }),
    h('button', { type: 'submit' }, t('claim.save_plans')));
  sheet.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = read(sheet, { keepEmpty: true });
    busy(sheet.querySelector('button[type=submit]'), async () => {
      try {
        await api.put(`/api/v1/classes/${encodeURIComponent(classId)}/plans`, v);
        showDone(sheet, t('claim.plans_saved'));
      } catch (error) {
        showErrors(sheet, error);
      }
    });
  });
  return h('details', { class: 'card' }, h('summary', {}, t('claim.plans')), sheet);
}

/** @param {Tab} tab */
export async function claimTab({ ctx, cls }) {
  /** @type {[{items: {id: string, name: string, city: string}[]}, {teaching_plan: string, assessment_plan: string}]} */
  const [templates, plans] = await Promise.all([
    api.get('/api/v1/claim-templates', { signal: ctx.signal }),
    api.get(`/api/v1/classes/${encodeURIComponent(cls.id)}/plans`, { signal: ctx.signal }),
  ]);
  const admin = session.role() === 'admin';
  const picker = field({ name: 'template', label: t('claim.template'), type: 'select', value: 'default',
    options: templates.items.map((tpl) => [tpl.id, `${tpl.name}（${tpl.city}）`]) });
  const unmasked = admin ? checkbox({ name: 'unmasked', label: t('claim.unmasked'), hint: t('claim.unmasked_hint') }) : null;
  const barId = uid('progress');
  const bar = /** @type {HTMLProgressElement} */ (h('progress', { id: barId, class: 'claim-progress', max: 1, value: 0, hidden: true }));
  const problem = h('div', {});
  const select = /** @type {HTMLSelectElement} */ (picker.querySelector('select'));
  const rows = DOCUMENTS.map((doc) => h('tr', { dataset: { document: doc } },
    h('th', { scope: 'row' }, t(`claim.doc.${doc}`)),
    ['xlsx', 'pdf'].map((fmt) => {
      const button = h('button', { type: 'button', class: 'secondary small', dataset: { format: fmt } }, fmt.toUpperCase());
      button.addEventListener('click', () => busy(button, async () => {
        problem.replaceChildren();
        const full = Boolean(unmasked?.querySelector('input')?.checked);
        const query = `?template=${encodeURIComponent(select.value)}${full ? '&unmasked=true' : ''}`;
        try {
          await fetchWithProgress(`/api/v1/classes/${encodeURIComponent(cls.id)}/claim-pack/${doc}.${fmt}${query}`, bar);
        } catch (error) {
          problem.replaceChildren(notice(error));
        }
      }));
      return h('td', {}, button);
    })));
  return h('div', { class: 'stack' },
    h('p', { class: 'muted' }, t('claim.how')),
    picker, unmasked,
    h('div', { class: 'table-wrap' }, h('table', { id: 'claim-pack' }, h('tbody', {}, rows))),
    h('label', { for: barId, class: 'muted' }, t('claim.progress')), bar, problem,
    plansForm(cls.id, plans));
}
