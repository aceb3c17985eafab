// @ts-check
// Roster import from CSV (the class's trainers and administrators): upload, then one result per
// row: created, already enrolled, or refused and why.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { has, t } from '../i18n.js';
import { showErrors } from '../errors.js';
import { field, form } from '../forms.js';
import * as session from '../session.js';
import { badge } from '../views.js';

/** @typedef {import('./console.js').Tab} Tab */
/** @typedef {import('../types.js').ImportRowOut} ImportRowOut */

const SAMPLE = 'phone,name,email,union_member,employer,id_type,id_number\n13800138000,张三,,true,某某物流公司,,\n';
// The gateway refuses bodies over 5 MB; say so before uploading.
const MAX_BYTES = 5 * 1024 * 1024;

function sampleLink() {
  const href = URL.createObjectURL(new Blob(['\ufeff', SAMPLE], { type: 'text/csv' }));
  return h('a', { href, download: 'roster-sample.csv' }, t('import.sample'));
}

/**
 * Why a row was not added, in the words of someone importing (not of the trainee).
 * @param {ImportRowOut} row
 */
function why(row) {
  if (!row.code) return '';
  if (has(`import.why.${row.code}`)) return t(`import.why.${row.code}`);
  if (has(`error.${row.code}`)) return t(`error.${row.code}`);
  return row.detail || row.code;
}

/** @type {Record<string, string>} */
const TONE = { created: 'ok', refused: 'bad', already_enrolled: '' };

/** @param {import('../types.js').ImportOut} r */
function results(r) {
  return h('div', { class: 'stack', id: 'import-result' },
    h('p', { class: `notice ${r.refused ? 'warn' : 'ok'}`, role: 'status' },
      t('import.summary', { created: r.created, already: r.already_enrolled, refused: r.refused })),
    r.rows.length ? h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'muted' }, t('import.caption')),
      h('thead', {}, h('tr', {}, [t('import.row'), t('roster.phone'), t('import.result'), t('roster.status'), t('import.why')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, r.rows.map((row) => h('tr', { dataset: { result: row.result, row: String(row.row) } },
        h('td', { class: 'num' }, String(row.row)),
        h('td', { class: 'phone' }, row.phone_masked),
        h('td', {}, badge('import', row.result, TONE[row.result] ?? '')),
        h('td', {}, row.status ? badge('status', row.status) : '—', row.waitlist_position ? ` #${row.waitlist_position}` : ''),
        h('td', { class: 'why' }, why(row))))))) : h('p', { class: 'notice' }, t('import.no_rows')));
}

/** @param {Tab} tab */
export async function importTab({ cls }) {
  const progress = h('progress', { hidden: true, 'aria-label': t('import.uploading') });
  const out = h('div', { 'aria-live': 'polite' });
  const trainer = session.role() !== 'admin';
  const upload = form({ id: 'import-form' },
    h('p', { class: 'muted' }, t('import.lead'), ' ', sampleLink()),
    trainer ? h('p', { class: 'muted union-note' }, t('import.union_note')) : null,
    field({ name: 'file', label: t('import.file'), type: 'file', accept: '.csv,text/csv', required: true, hint: t('import.hint') }),
    h('button', { type: 'submit' }, t('import.submit')),
    progress);
  upload.addEventListener('submit', (event) => {
    event.preventDefault();
    const file = /** @type {HTMLInputElement} */ (upload.elements.namedItem('file')).files?.[0];
    if (!file) {
      showErrors(upload, new api.ApiError(422, { code: 'file_required' }));
      return;
    }
    if (file.size > MAX_BYTES) {
      showErrors(upload, new api.ApiError(413, { code: 'payload_too_large' }));
      return;
    }
    const body = new FormData();
    body.append('file', file, file.name);
    busy(upload.querySelector('button[type=submit]'), async () => {
      progress.hidden = false;
      out.replaceChildren();
      try {
        const r = await api.post(`/api/v1/classes/${encodeURIComponent(cls.id)}/roster/import`, body);
        out.replaceChildren(results(r));
        upload.reset();
      } catch (error) {
        showErrors(upload, error);
      } finally {
        progress.hidden = true;
      }
    });
  });
  return h('div', {}, upload, out);
}
