// @ts-check
// One class in the trainer console: roster, attendance, scores and results, certificates, import.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import * as session from '../session.js';
import { courseTitle, dateRange, venueText } from '../views.js';
import { attendanceTab } from './console-attendance.js';
import { certificatesTab } from './console-certificates.js';
import { checkinTab } from './console-checkin.js';
import { claimTab } from './console-claim.js';
import { importTab } from './console-import.js';
import { updateLive } from './console-live.js';
import { rosterTab } from './console-roster.js';
import { scoresTab } from './console-scores.js';
import { surveyTab } from './console-survey.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').ClassOut} ClassOut */
/** @typedef {import('../types.js').RosterOut} RosterOut */

/**
 * What each tab of the console gets; it returns the tab's content.
 * @typedef {object} Tab
 * @property {PageContext} ctx
 * @property {ClassOut} cls
 * @property {RosterOut} roster
 * @property {string} base  the console's path for this class
 * @property {() => Promise<void>} refresh  bring the tab's live cells up to date now
 */

/** @type {Record<string, (tab: Tab) => Promise<HTMLElement>>} */
const TABS = {
  roster: rosterTab,
  attendance: attendanceTab,
  checkin: checkinTab,
  scores: scoresTab,
  certificates: certificatesTab,
  import: importTab,
  claim: claimTab,
  survey: surveyTab,
};

/** @param {PageContext} ctx */
export default async function consolePage(ctx) {
  const id = ctx.params.id;
  const tab = ctx.params.tab || 'roster';
  const admin = session.role() === 'admin';
  // Every tab for the class's trainers and administrators (both may import a roster).
  const names = Object.keys(TABS);
  if (!names.includes(tab)) {
    ctx.go(`/trainer/classes/${encodeURIComponent(id)}/roster`, { replace: true });
    return;
  }
  const base = `/trainer/classes/${encodeURIComponent(id)}`;
  /** @type {[ClassOut, RosterOut]} */
  const [cls, roster] = await Promise.all([
    api.get(`/api/v1/classes/${encodeURIComponent(id)}`, { signal: ctx.signal }),
    api.get(`/api/v1/classes/${encodeURIComponent(id)}/roster`, { signal: ctx.signal }),
  ]);
  /** @type {HTMLElement | null} */
  let body = null;
  // The current state in every tab without a reload: the roster's read-only cells follow it.
  const refresh = async () => {
    try {
      /** @type {RosterOut} */
      const fresh = await api.get(`/api/v1/classes/${encodeURIComponent(id)}/roster`, { signal: ctx.signal, retries: 0 });
      if (body) updateLive(body, fresh);
    } catch {
      /* keep what is shown; the next tick tries again */
    }
  };
  body = await TABS[tab]({ ctx, cls, roster, base, refresh });
  ctx.show(courseTitle(cls.course),
    h('p', { class: 'muted' }, cls.name ? `${cls.name} · ` : '', dateRange(cls.starts_on, cls.ends_on), ' · ', venueText(cls)),
    h('nav', { class: 'tabs', 'aria-label': t('console.tabs') },
      names.map((name) => h('a', { href: `${base}/${name}`, 'aria-current': name === tab ? 'page' : null }, t(`console.tab.${name}`)))),
    h('h2', {}, t(`console.tab.${tab}`)),
    body,
    h('p', {}, h('a', { href: admin ? '/admin/classes' : '/trainer' }, t('console.back'))));
  ctx.every(refresh, 10_000);
}
