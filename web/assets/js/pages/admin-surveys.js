// @ts-check
// Administrators: survey results per trainer, CSV.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { resultsView } from '../survey-results.js';

/** @param {import('../main.js').PageContext} ctx */
export default async function adminSurveys(ctx) {
  const path = '/api/v1/admin/survey-results';
  const results = await api.get(path, { signal: ctx.signal });
  ctx.show(t('survey.by_trainer'), h('p', { class: 'muted' }, t('survey.by_trainer_lead')),
    resultsView(results, `${path}.csv`, ctx.toast));
}
