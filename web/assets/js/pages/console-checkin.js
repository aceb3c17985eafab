// @ts-check
// Check-in for one class: the full-screen QR code of the session open now (a new code every
// 20 s), the sessions of a day, minutes attended per trainee, and trainers' corrections.
import * as api from '../api.js';
import { busy, h, uid } from '../dom.js';
import { notice, showDone, showErrors } from '../errors.js';
import { checkbox, field, form, read } from '../forms.js';
import { ZONE, formatDate, locale, t, today } from '../i18n.js';
import { ON_ROSTER } from './console-attendance.js';

/** @typedef {import('./console.js').Tab} Tab */
/** @typedef {import('../types.js').CheckinCodeOut} CheckinCodeOut */
/** @typedef {import('../types.js').ClassHoursOut} ClassHoursOut */
/** @typedef {import('../types.js').ClassCheckin} ClassCheckin */
/** @typedef {import('../types.js').SessionOut} SessionOut */

// The code changes every 20 s and is accepted for 30 s: asking every 5 s shows each new code
// within 5 s of its slot, so the one on screen is never older than 25 s.
const POLL_MS = 5_000;
const MODULE_PX = 8;
const QUIET = 4;

/**
 * Return a moment as HH:MM:SS in Beijing time, as the sessions are (or —).
 * @param {string | null | undefined} value
 */
export function clock(value) {
  if (!value) return '—';
  return new Intl.DateTimeFormat(locale(), {
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: ZONE,
  }).format(new Date(value));
}

/**
 * Draw QR modules on a canvas: black squares on white, with a quiet zone.
 * @param {HTMLCanvasElement} canvas
 * @param {string[]} rows
 */
function drawQr(canvas, rows) {
  const size = (rows.length + 2 * QUIET) * MODULE_PX;
  canvas.width = size;
  canvas.height = size;
  const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  g.fillStyle = '#fff';
  g.fillRect(0, 0, size, size);
  g.fillStyle = '#000';
  rows.forEach((row, r) => {
    for (let c = 0; c < row.length; c += 1) {
      if (row[c] === '1') g.fillRect((c + QUIET) * MODULE_PX, (r + QUIET) * MODULE_PX, MODULE_PX, MODULE_PX);
    }
  });
}

/**
 * The QR stage: kind switch, the code, the session it is for; refreshed every 20 s.
 * @param {Tab} tab
 */
function qrStage({ ctx, cls }) {
  let kind = /** @type {'in' | 'out'} */ (ctx.query.get('kind') === 'out' ? 'out' : 'in');
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { id: 'checkin-qr', role: 'img', 'aria-label': t('checkin.qr_label') }));
  const caption = h('p', { class: 'qr-caption', id: 'checkin-session' });
  const problem = h('div', {});
  const stage = h('div', { class: 'qr-stage', id: 'qr-stage' }, h('p', { class: 'qr-kind', id: 'qr-kind' }), canvas, caption);
  const kindButtons = ['in', 'out'].map((k) => h('button', {
    type: 'button', class: k === kind ? '' : 'secondary', dataset: { kind: k }, 'aria-pressed': String(k === kind),
  }, t(`checkin.kind.${k}`)));
  const full = h('button', { type: 'button', class: 'secondary', id: 'qr-fullscreen' }, t('checkin.fullscreen'));
  full.addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else stage.requestFullscreen().catch(() => {});
  });

  async function load() {
    const asked = kind;
    try {
      /** @type {CheckinCodeOut} */
      const code = await api.get(`/api/v1/classes/${encodeURIComponent(cls.id)}/checkin-code`, { query: { kind: asked }, signal: ctx.signal });
      if (asked !== kind) return; // the trainer switched kinds meanwhile: that answer will do
      stage.hidden = false;
      problem.replaceChildren();
      if (canvas.dataset.token === code.token) return;
      drawQr(canvas, code.qr);
      canvas.dataset.token = code.token;
      canvas.dataset.url = code.url;
      canvas.dataset.refreshAt = code.refresh_at;
      /** @type {HTMLElement} */ (stage.querySelector('.qr-kind')).textContent = t(`checkin.kind.${code.kind}`);
      caption.textContent = t('checkin.session', {
        date: formatDate(code.session.date), no: code.session.no,
        from: code.session.starts_at.slice(0, 5), to: code.session.ends_at.slice(0, 5),
      });
    } catch (error) {
      if (api.isAbort(error)) return;
      stage.hidden = true;
      problem.replaceChildren(notice(error));
    }
  }
  for (const button of kindButtons) {
    button.addEventListener('click', () => {
      kind = /** @type {'in' | 'out'} */ (button.dataset.kind);
      for (const b of kindButtons) {
        b.className = b === button ? '' : 'secondary';
        b.setAttribute('aria-pressed', String(b === button));
      }
      load();
    });
  }
  load();
  ctx.every(load, POLL_MS);
  return h('section', { class: 'stack' },
    h('p', { class: 'muted' }, t('checkin.how')),
    h('div', { class: 'row' }, kindButtons, full),
    problem, stage);
}

/**
 * A form giving one class day its sessions (one or two).
 * @param {Tab} tab
 * @param {SessionOut[]} sessions
 */
function sessionForm({ ctx, cls, roster }, sessions) {
  const days = roster.schedule_days;
  const day = days.includes(today()) ? today() : days[0];
  const ofDay = sessions.filter((s) => s.date === day);
  const time = (/** @type {string | undefined} */ v) => (v ? v.slice(0, 5) : '');
  const sheet = form({ id: 'sessions-form', class: 'stack' },
    field({ name: 'day', label: t('checkin.day'), type: 'select', value: day, options: days.map((d) => [d, formatDate(d, { weekday: true })]) }),
    h('div', { class: 'row' },
      field({ name: 'start1', label: t('checkin.start', { no: 1 }), type: 'time', value: time(ofDay[0]?.starts_at), required: true }),
      field({ name: 'end1', label: t('checkin.end', { no: 1 }), type: 'time', value: time(ofDay[0]?.ends_at), required: true })),
    h('div', { class: 'row' },
      field({ name: 'start2', label: t('checkin.start', { no: 2 }), type: 'time', value: time(ofDay[1]?.starts_at) }),
      field({ name: 'end2', label: t('checkin.end', { no: 2 }), type: 'time', value: time(ofDay[1]?.ends_at) })),
    h('button', { type: 'submit' }, t('checkin.save_sessions')));
  sheet.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = /** @type {Record<string, string>} */ (read(sheet));
    const times = [[v.start1, v.end1], [v.start2, v.end2]].filter(([a, b]) => a && b)
      .map(([a, b]) => ({ starts_at: a, ends_at: b }));
    busy(sheet.querySelector('button[type=submit]'), async () => {
      try {
        await api.put(`/api/v1/classes/${encodeURIComponent(cls.id)}/sessions`, { days: [v.day], times });
        showDone(sheet, t('checkin.sessions_saved', { day: formatDate(v.day) }));
        ctx.reload();
      } catch (error) {
        showErrors(sheet, error);
      }
    });
  });
  return sheet;
}

/**
 * Minutes per session and in total for every trainee holding a seat.
 * @param {ClassHoursOut} hours
 * @param {SessionOut[]} sessions
 * @param {ClassCheckin[]} checkins
 */
function minutesTable(hours, sessions, checkins) {
  if (!hours.items.length) return h('p', { class: 'notice' }, t('attendance.nobody'));
  const seen = new Map(checkins.map((c) => [`${c.enrollment_id}|${c.date}|${c.no}`, c]));
  const heads = sessions.map((s) => `${formatDate(s.date)} ${t('checkin.no', { no: s.no })}`);
  const rows = hours.items.map((item) => h('tr', { dataset: { enrollmentId: item.enrollment_id } },
    h('td', { class: 'name' }, item.name || '—'),
    item.sessions.map((s) => {
      const c = seen.get(`${item.enrollment_id}|${s.date}|${s.no}`);
      const marks = [s.late ? t('checkin.late') : '', s.left_early ? t('checkin.left_early') : '',
        s.missing_checkout ? t('checkin.missing_out') : '', c?.flags.includes('shared_device') ? t('checkin.shared_device') : '']
        .filter(Boolean);
      return h('td', { class: 'num session-minutes' },
        h('span', { class: 'minutes' }, String(s.minutes)),
        c ? h('small', { class: 'times' }, ` ${clock(c.checked_in_at)}–${clock(c.checked_out_at)}`) : null,
        marks.length ? h('small', { class: 'flag' }, ` ${marks.join(' ')}`) : null);
    }),
    h('td', { class: 'num total-minutes' }, String(item.minutes)),
    h('td', {}, item.warned.length || item.at_risk.length
      ? h('span', { class: 'badge warn' }, t('checkin.at_risk')) : item.enough ? t('checkin.enough') : '—')));
  return h('div', { class: 'table-wrap' }, h('table', { id: 'minutes' },
    h('caption', { class: 'muted' }, t('checkin.minutes_caption', {
      required: hours.required_minutes, ratio: Math.round(hours.min_attendance_ratio * 100),
    })),
    h('thead', {}, h('tr', {}, [t('roster.name'), ...heads, t('checkin.total'), t('checkin.standing')]
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}

/**
 * A trainer's record or correction of one check-in, with a reason.
 * @param {Tab} tab
 * @param {SessionOut[]} sessions
 */
function correctionForm({ ctx, cls, roster }, sessions) {
  const seated = roster.items.filter((e) => ON_ROSTER.has(e.status));
  const sheet = form({ id: 'correction-form', class: 'stack' },
    field({ name: 'enrollment_id', label: t('roster.name'), type: 'select', options: seated.map((e) => [e.enrollment_id, e.name || e.phone_masked]) }),
    field({ name: 'session', label: t('checkin.which_session'), type: 'select', options: sessions.map((s) => [`${s.date}/${s.no}`, `${formatDate(s.date)} ${t('checkin.no', { no: s.no })} ${s.starts_at.slice(0, 5)}-${s.ends_at.slice(0, 5)}`]) }),
    h('div', { class: 'row' },
      field({ name: 'in_time', label: t('checkin.in_time'), type: 'time' }),
      field({ name: 'out_time', label: t('checkin.out_time'), type: 'time' })),
    checkbox({ name: 'confirm_to_end', label: t('checkin.confirm_to_end') }),
    field({ name: 'reason', label: t('checkin.reason'), required: true, maxlength: 200 }),
    h('button', { type: 'submit' }, t('checkin.record')));
  sheet.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = /** @type {Record<string, any>} */ (read(sheet));
    const [day, no] = String(v.session).split('/');
    const at = (/** @type {string} */ hhmm) => (hhmm ? new Date(`${day}T${hhmm}:00+08:00`).toISOString() : undefined);
    busy(sheet.querySelector('button[type=submit]'), async () => {
      try {
        await api.put(`/api/v1/classes/${encodeURIComponent(cls.id)}/sessions/${day}/${no}/checkins/${encodeURIComponent(v.enrollment_id)}`, {
          checked_in_at: at(v.in_time), checked_out_at: at(v.out_time),
          confirm_to_end: Boolean(v.confirm_to_end), reason: v.reason,
        });
        showDone(sheet, t('checkin.recorded'));
        ctx.reload();
      } catch (error) {
        showErrors(sheet, error);
      }
    });
  });
  return sheet;
}

/**
 * The venue's geofence: check-ins must come from within the radius (empty: no geofence).
 * @param {Tab} tab
 * @param {{lat: number | null, lng: number | null, radius_m: number | null}} fence
 */
function geofenceForm({ cls }, fence) {
  const sheet = form({ id: 'geofence-form', class: 'stack' },
    h('p', { class: 'muted' }, t('checkin.geofence_how')),
    h('div', { class: 'row' },
      field({ name: 'lat', label: t('checkin.lat'), type: 'number', step: 0.000001, value: fence.lat ?? '', convert: 'number' }),
      field({ name: 'lng', label: t('checkin.lng'), type: 'number', step: 0.000001, value: fence.lng ?? '', convert: 'number' }),
      field({ name: 'radius_m', label: t('checkin.radius'), type: 'number', step: 1, min: 20, value: fence.radius_m ?? '', convert: 'int' })),
    h('button', { type: 'submit' }, t('checkin.save_geofence')));
  sheet.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = read(sheet);
    const body = { lat: v.lat ?? null, lng: v.lng ?? null, radius_m: v.radius_m ?? null };
    busy(sheet.querySelector('button[type=submit]'), async () => {
      try {
        await api.put(`/api/v1/classes/${encodeURIComponent(cls.id)}/geofence`, body);
        showDone(sheet, t(body.lat === null ? 'checkin.geofence_cleared' : 'checkin.geofence_saved'));
      } catch (error) {
        showErrors(sheet, error);
      }
    });
  });
  return sheet;
}

/** @param {Tab} tab */
export async function checkinTab(tab) {
  const id = encodeURIComponent(tab.cls.id);
  /** @type {[{items: SessionOut[]}, ClassHoursOut, {items: ClassCheckin[]}, {lat: number | null, lng: number | null, radius_m: number | null}]} */
  const [sessions, hours, checkins, fence] = await Promise.all([
    api.get(`/api/v1/classes/${id}/sessions`, { signal: tab.ctx.signal }),
    api.get(`/api/v1/classes/${id}/hours`, { signal: tab.ctx.signal }),
    api.get(`/api/v1/classes/${id}/checkins`, { signal: tab.ctx.signal }),
    api.get(`/api/v1/classes/${id}/geofence`, { signal: tab.ctx.signal }),
  ]);
  const details = (/** @type {string} */ title, /** @type {HTMLElement} */ body) => {
    const summaryId = uid('summary');
    return h('details', { class: 'card' }, h('summary', { id: summaryId }, title), body);
  };
  return h('div', { class: 'stack' },
    qrStage(tab),
    h('h3', {}, t('checkin.minutes')),
    minutesTable(hours, sessions.items, checkins.items),
    details(t('checkin.correct'), correctionForm(tab, sessions.items)),
    details(t('checkin.sessions'), sessionForm(tab, sessions.items)),
    details(t('checkin.geofence'), geofenceForm(tab, fence)));
}
