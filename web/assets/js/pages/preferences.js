// @ts-check
// Notification preferences: which channels may be used, and which comes first.
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { showDone, showErrors } from '../errors.js';
import { checkbox, form, radios, read } from '../forms.js';
import { t } from '../i18n.js';

/** @typedef {import('../main.js').PageContext} PageContext */

/** @param {PageContext} ctx */
export default async function preferences(ctx) {
  /** @type {import('../types.js').PreferencesOut} */
  const prefs = await api.get('/api/v1/me/preferences', { signal: ctx.signal });
  const prefsForm = form({ id: 'preferences-form' },
    h('p', { class: 'muted' }, t('prefs.lead')),
    checkbox({ name: 'sms', label: t('prefs.sms'), checked: prefs.sms }),
    checkbox({ name: 'email', label: t('prefs.email'), checked: prefs.email, hint: t('prefs.email_hint') }),
    radios({ name: 'preferred', legend: t('prefs.preferred'), value: prefs.preferred, options: [['sms', t('prefs.sms_short')], ['email', t('prefs.email_short')]] }),
    h('p', { class: 'muted' }, t('prefs.critical')),
    h('button', { type: 'submit' }, t('action.save')));
  prefsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(prefsForm.querySelector('button[type=submit]'), async () => {
      try {
        await api.put('/api/v1/me/preferences', read(prefsForm));
        showDone(prefsForm, t('prefs.saved'));
      } catch (error) {
        showErrors(prefsForm, error);
      }
    });
  });
  ctx.show(t('prefs.title'), prefsForm, h('p', {}, h('a', { href: '/me/messages' }, t('nav.messages'))));
}
