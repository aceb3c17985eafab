// @ts-check
// The public draw of a lottery class: the commitment before, the seed and every rank after,
// and how anyone re-checks it (docs/lottery.md).
import * as api from '../api.js';
import { h, replace } from '../dom.js';
import { formatDate, t } from '../i18n.js';
import { courseTitle } from '../views.js';

/**
 * @typedef {object} DrawEntry
 * @property {string} application_id
 * @property {string} name_masked
 * @property {number} group
 * @property {number} rank
 * @property {'offered' | 'waitlisted' | 'ineligible'} outcome
 */
/**
 * @typedef {object} DrawDocument
 * @property {string} class_id
 * @property {string} algorithm
 * @property {string} algorithm_text
 * @property {string} commitment
 * @property {string | null} seed
 * @property {'upcoming' | 'open' | 'closed' | 'drawn'} status
 * @property {string} opens_at
 * @property {string} closes_at
 * @property {boolean} priority_unsubsidised
 * @property {number} applications
 * @property {number | null} seats
 * @property {string | null} drawn_at
 * @property {string | null} early_reason
 * @property {DrawEntry[]} entries
 */

const SHOWN = 200;

/** @param {DrawEntry[]} entries */
function table(entries) {
  return h('table', { class: 'table', id: 'draw-entries' },
    h('thead', {}, h('tr', {}, [t('draw.rank'), t('draw.application'), t('draw.name'), t('draw.group'), t('draw.outcome')]
      .map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, entries.map((e) => h('tr', { dataset: { applicationId: e.application_id } },
      h('td', {}, String(e.rank)), h('td', {}, h('code', {}, e.application_id)), h('td', {}, e.name_masked),
      h('td', {}, String(e.group)), h('td', {}, t(`draw.outcome.${e.outcome}`))))));
}

/** @param {DrawDocument} doc */
function facts(doc) {
  /** @type {[string, import('../dom.js').Child][]} */
  const rows = [
    [t('draw.status'), t(`draw.status.${doc.status}`)],
    [t('draw.window'), `${formatDate(doc.opens_at, { withTime: true })} – ${formatDate(doc.closes_at, { withTime: true })}`],
    [t('draw.applications'), String(doc.applications)],
    [t('draw.commitment'), h('code', { id: 'commitment', class: 'wrap' }, doc.commitment)],
    [t('draw.algorithm'), doc.algorithm_text],
  ];
  if (doc.priority_unsubsidised) rows.push([t('draw.priority'), t('draw.priority_text')]);
  if (doc.seed) {
    rows.push([t('draw.seed'), h('code', { id: 'seed', class: 'wrap' }, doc.seed)],
      [t('draw.drawn_at'), formatDate(doc.drawn_at || '', { withTime: true })],
      [t('draw.seats'), String(doc.seats ?? '—')]);
  }
  if (doc.early_reason) rows.push([t('draw.early_reason'), doc.early_reason]);
  return h('dl', { class: 'facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** @param {import('../main.js').PageContext} ctx */
export default async function drawPage(ctx) {
  const id = encodeURIComponent(ctx.params.id);
  /** @type {[DrawDocument, import('../types.js').ClassOut]} */
  const [doc, cls] = await Promise.all([
    api.get(`/api/v1/classes/${id}/draw`, { signal: ctx.signal }),
    api.get(`/api/v1/classes/${id}`, { signal: ctx.signal }),
  ]);
  const list = h('div', {});
  const search = h('input', { type: 'search', id: 'draw-search', 'aria-label': t('draw.search'), placeholder: t('draw.search') });
  const show = () => {
    const needle = search.value.trim().toLowerCase();
    const found = needle ? doc.entries.filter((e) => e.application_id.includes(needle)) : doc.entries;
    replace(list, table(found.slice(0, SHOWN)),
      found.length > SHOWN ? h('p', { class: 'muted' }, t('draw.more', { n: found.length - SHOWN })) : null);
  };
  search.addEventListener('input', show);
  show();
  ctx.show(t('draw.title'),
    h('p', {}, h('a', { href: `/classes/${id}` }, courseTitle(cls.course)), cls.name ? ` · ${cls.name}` : ''),
    facts(doc),
    doc.seed ? [h('h2', {}, t('draw.result')), h('p', {}, search), list] : h('p', { class: 'notice' }, t('draw.before')),
    h('h2', {}, t('draw.verify_title')),
    h('p', {}, t('draw.verify_text')),
    h('pre', {}, `jiangxin draw verify ${ctx.params.id} --url ${location.origin}`),
    h('p', {}, h('a', { href: `/api/v1/classes/${id}/draw`, 'data-external': '' }, t('draw.json'))));
}
