// Roster import from CSV (administrators): upload, then one result per row.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { has, t } from '../i18n.js';
import { showErrors } from '../errors.js';
import { field, form } from '../forms.js';
import { badge } from '../views.js';

const SAMPLE = 'phone,name,email,union_member,employer,id_type,id_number\n13800138000,张三,,true,某某物流公司,,\n';

function sampleLink() {
  const href = URL.createObjectURL(new Blob(['\ufeff', SAMPLE], { type: 'text/csv' }));
  return h('a', { href, download: 'roster-sample.csv' }, t('import.sample'));
}

function results(r) {
  return h('div', { class: 'stack', id: 'import-result' },
    h('p', { class: 'notice ok', role: 'status' }, t('import.summary', { created: r.created, already: r.already_enrolled, refused: r.refused })),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, [t('import.row'), t('roster.phone'), t('import.result'), t('roster.status'), t('import.why')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, r.rows.map((row) => h('tr', { dataset: { result: row.result } },
        h('td', { class: 'num' }, String(row.row)),
        h('td', {}, row.phone_masked),
        h('td', {}, badge('import', row.result, row.result === 'refused' ? 'bad' : row.result === 'created' ? 'ok' : '')),
        h('td', {}, row.status ? badge('status', row.status) : '—', row.waitlist_position ? ` #${row.waitlist_position}` : ''),
        h('td', {}, row.code ? (has(`error.${row.code}`) ? t(`error.${row.code}`) : row.detail || row.code) : '')))))));
}

export async function importTab({ cls }) {
  const progress = h('progress', { hidden: true, 'aria-label': t('import.uploading') });
  const out = h('div', { 'aria-live': 'polite' });
  const upload = form({ id: 'import-form' },
    h('p', { class: 'muted' }, t('import.lead'), ' ', sampleLink()),
    field({ name: 'file', label: t('import.file'), type: 'file', accept: '.csv,text/csv', required: true, hint: t('import.hint') }),
    h('button', { type: 'submit' }, t('import.submit')),
    progress);
  upload.addEventListener('submit', (event) => {
    event.preventDefault();
    const file = upload.elements.namedItem('file').files[0];
    if (!file) {
      showErrors(upload, new api.ApiError(422, { code: 'file_required' }));
      return;
    }
    const body = new FormData();
    body.append('file', file, file.name);
    busy(upload.querySelector('button[type=submit]'), async () => {
      progress.hidden = false;
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
