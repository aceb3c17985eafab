// @ts-check
// The page a trainee's phone camera opens from the trainer's QR code: one tap checks in (or out).
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { message } from '../errors.js';
import { t } from '../i18n.js';
import { clock } from './console-checkin.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').CheckinOut} CheckinOut */

const DEVICE_KEY = 'jx-device';

/** Return this browser's own random id (kept in localStorage): the service flags a second
 * trainee checking in from the same browser in one session. */
function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
    id = api.newKey().replace(/[^A-Za-z0-9]/g, '');
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/** Ask the phone where it is (for a class with a geofence); null if it cannot say in time.
 * @returns {Promise<{lat: number, lng: number, accuracy_m: number} | null>} */
function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) {
      resolve(null);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy_m: Math.min(p.coords.accuracy, 100000) }),
      () => resolve(null), { timeout: 8000, maximumAge: 60000 });
  });
}

/** @param {PageContext} ctx */
export default async function checkinPage(ctx) {
  const token = ctx.params.token;
  const kind = token.split('~')[3] === 'out' ? 'out' : 'in';
  const result = h('div', { id: 'checkin-result', role: 'status' });
  const button = h('button', { type: 'button', class: 'big', id: 'checkin-button' }, t(`checkin.tap.${kind}`));
  /** @param {{lat: number, lng: number, accuracy_m: number} | null} where */
  const send = async (where) => {
    /** @type {CheckinOut} */
    const done = await api.post('/api/v1/checkins', {
      token, kind, device: deviceId(), ...(where ? { location: where } : {}),
    });
    const at = kind === 'in' ? done.checked_in_at : done.checked_out_at;
    result.replaceChildren(
      h('p', { class: 'notice ok' }, t(done.already_recorded ? 'checkin.already' : `checkin.done.${kind}`, { time: clock(at) })));
    if (done.flags.includes('shared_device')) result.append(h('p', { class: 'notice' }, t('checkin.flagged')));
    button.hidden = true;
  };
  button.addEventListener('click', () => busy(button, async () => {
    try {
      await send(null);
    } catch (error) {
      // A class with a geofence needs the phone's position: ask for it, then try once more.
      if (error instanceof api.ApiError && error.code === 'outside_venue' && !('distance_m' in error.problem)) {
        try {
          await send(await position());
          return;
        } catch (again) {
          result.replaceChildren(h('p', { class: 'notice bad' }, message(again)));
          return;
        }
      }
      result.replaceChildren(h('p', { class: 'notice bad' }, message(error)));
    }
  }));
  ctx.show(t(`checkin.title.${kind}`),
    h('p', { class: 'muted' }, t('checkin.page_how')),
    button, result);
}
