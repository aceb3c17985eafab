// @ts-check
// The console's survey tab: the class's averages and comments, CSV.
import * as api from '../api.js';
import { resultsView } from '../survey-results.js';

/** @param {import('./console.js').Tab} tab */
export async function surveyTab({ ctx, cls }) {
  const path = `/api/v1/classes/${encodeURIComponent(cls.id)}/survey-results`;
  return resultsView(await api.get(path, { signal: ctx.signal }), `${path}.csv`, ctx.toast);
}
