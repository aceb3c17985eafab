// @ts-check
// My profile: name (needed to enrol), email, message language, employer, ID; union membership
// is shown only (the organiser records it: it opens union-only classes).
import * as api from '../api.js';
import { busy, h } from '../dom.js';
import { showDone, showErrors } from '../errors.js';
import { field, form, read } from '../forms.js';
import { formatDate, t } from '../i18n.js';
import { localPath, nextPath } from '../next.js';
import { personCategoryForm } from '../person-category.js';
import * as session from '../session.js';

/** @typedef {import('../forms.js').FormValue} FormValue */
/** @typedef {import('../types.js').ProfileOut} ProfileOut */

const ID_TYPES = ['resident_id', 'passport', 'hk_macao_permit', 'taiwan_permit', 'other'];

/**
 * What to send: the fields that changed, and a new ID number with its type.
 * @param {Record<string, unknown>} before
 * @param {Record<string, FormValue>} after
 */
function changes(before, after) {
  /** @type {Record<string, FormValue>} */
  const out = {};
  for (const [key, value] of Object.entries(after)) {
    if (key === 'id_number' || key === 'id_type') continue;
    if ((before[key] ?? '') !== value) out[key] = value;
  }
  if (after.id_number) {
    out.id_number = after.id_number;
    out.id_type = after.id_type || 'resident_id';
  }
  return out;
}

/** @param {import('../main.js').PageContext} ctx */
export default async function profile(ctx) {
  /** @type {ProfileOut} */
  const me = await api.get('/api/v1/me', { signal: ctx.signal });
  const welcome = ctx.query.get('welcome') === '1';
  // After a first sign-in (welcome) or from "fill in your profile to enrol": back to where the
  // user was going, if that is a path of this origin.
  const next = ctx.query.get('next');
  const trainee = me.role === 'trainee';
  const profileForm = form({ id: 'profile-form' },
    field({ name: 'name', label: t('profile.name'), required: true, value: me.name, autocomplete: 'name', maxlength: 100 }),
    field({ name: 'email', label: t('profile.email'), type: 'email', value: me.email || '', autocomplete: 'email', hint: t('profile.email_hint') }),
    field({ name: 'locale', label: t('profile.locale'), type: 'select', value: me.locale, options: [['zh-CN', '中文'], ['en', 'English']], hint: t('profile.locale_hint') }),
    trainee ? field({ name: 'employer', label: t('profile.employer'), value: me.employer || '', maxlength: 200 }) : null,
    trainee ? h('fieldset', {},
      h('legend', {}, t('profile.id')),
      h('p', { class: 'muted', id: 'id-use' }, t('profile.id_use')),
      h('p', { class: 'muted id-on-file' }, me.id_number_masked ? t('profile.id_on_file', { masked: me.id_number_masked }) : t('profile.id_none')),
      h('div', { class: 'grid2' },
        field({ name: 'id_type', label: t('profile.id_type'), type: 'select', value: me.id_type || 'resident_id', options: ID_TYPES.map((v) => [v, t(`id_type.${v}`)]) }),
        field({ name: 'id_number', label: t('profile.id_number'), autocomplete: 'off', maxlength: 40, hint: t('profile.id_hint') }))) : null,
    h('button', { type: 'submit' }, t('action.save')));
  profileForm.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(profileForm.querySelector('button[type=submit]'), async () => {
      const body = changes(me, read(profileForm, { keepEmpty: true }));
      if (body.email === '') delete body.email;
      if (body.employer === '' && !me.employer) delete body.employer;
      try {
        /** @type {ProfileOut} */
        const saved = Object.keys(body).length ? await api.patch('/api/v1/me', body) : me;
        Object.assign(me, saved);
        session.rename(saved.name);
        const idInput = /** @type {HTMLInputElement | null} */ (profileForm.elements.namedItem('id_number'));
        if (idInput) idInput.value = '';
        const onFile = profileForm.querySelector('fieldset .id-on-file');
        if (onFile && me.id_number_masked) onFile.textContent = t('profile.id_on_file', { masked: me.id_number_masked });
        const shown = document.querySelector('.profile-name .name');
        if (shown) shown.textContent = me.name || '—';
        showDone(profileForm, t('profile.saved'));
        const local = localPath(next);
        if (welcome) ctx.go(nextPath(next, me.role));
        else if (local) ctx.go(local);
      } catch (error) {
        showErrors(profileForm, error);
      }
    });
  });
  ctx.show(t('profile.title'),
    welcome ? h('p', { class: 'notice' }, t('profile.welcome')) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, t('profile.phone')), h('dd', { class: 'phone' }, me.phone),
      h('dt', {}, t('profile.role')), h('dd', {}, t(`role.${me.role}`)),
      trainee ? h('dt', {}, t('profile.union_member')) : null,
      trainee ? h('dd', { class: 'union-member' }, t(me.union_member ? 'profile.union_yes' : 'profile.union_no')) : null,
      h('dt', {}, t('profile.since')), h('dd', {}, formatDate(me.created_at))),
    h('p', { class: 'profile-name' }, t('profile.shown_as'), ' ', h('strong', { class: 'name' }, me.name || '—')),
    profileForm,
    trainee ? await personCategoryForm(ctx.signal) : null,
    h('p', {}, h('a', { href: '/me/preferences' }, t('nav.preferences'))));
}
