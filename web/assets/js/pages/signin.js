// @ts-check
// Sign in: trainees with phone + SMS code; trainers and administrators with phone + password.
import * as api from '../api.js';
import { busy, h, replace } from '../dom.js';
import { showErrors } from '../errors.js';
import { field, form, read } from '../forms.js';
import { locale, t, withLang } from '../i18n.js';
import { nextPath } from '../next.js';
import * as session from '../session.js';

/** @typedef {import('../main.js').PageContext} PageContext */
/** @typedef {import('../types.js').OtpOut} OtpOut */

/**
 * Only a path of this origin may be a `next` target (no open redirects); else home.
 * @param {URLSearchParams} query
 * @param {string | null} role
 */
function nextOf(query, role) {
  return nextPath(query.get('next'), role);
}

/**
 * @param {PageContext} ctx
 * @param {import('../types.js').TokenOut} response
 */
async function finish(ctx, response) {
  session.signIn(response);
  const role = response.user.role;
  if (role === 'trainee') {
    /** @type {import('../types.js').ProfileOut} */
    const me = await api.get('/api/v1/me');
    if (!me.profile_complete) {
      ctx.go(`/me/profile?welcome=1&next=${encodeURIComponent(nextOf(ctx.query, role))}`);
      return;
    }
  }
  ctx.toast(t('signin.welcome', { name: response.user.name || '' }));
  ctx.go(nextOf(ctx.query, role));
}

function inboxHint() {
  if (sessionStorage.getItem('jx.devinbox') !== '1') return null;
  return h('p', { class: 'notice' }, t('signin.dev_hint'), ' ',
    h('a', { href: withLang('/dev/inbox'), target: '_blank', rel: 'noopener' }, t('foot.dev_inbox')));
}

/**
 * @param {PageContext} ctx
 * @param {string} phone
 * @param {OtpOut | null} sent
 */
function codeStep(ctx, phone, sent) {
  let wait = Number(sent?.resend_after ?? 60);
  const resend = h('button', { type: 'button', class: 'plain', disabled: true });
  const tick = () => {
    if (wait > 0) {
      resend.disabled = true;
      resend.textContent = t('signin.resend_in', { s: wait });
      wait -= 1;
    } else {
      resend.disabled = false;
      resend.textContent = t('signin.resend');
    }
  };
  tick();
  ctx.every(tick, 1000);
  const codeForm = form({ id: 'code-form' },
    h('p', {}, t('signin.code_sent', { phone })),
    inboxHint(),
    h('input', { type: 'hidden', name: 'phone', value: phone }),
    field({
      name: 'code', label: t('signin.code'), type: 'text', required: true, inputmode: 'numeric',
      autocomplete: 'one-time-code', maxlength: 6, pattern: '[0-9]{6}', inputClass: 'code-input',
      hint: t('signin.code_hint'),
    }),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, t('signin.submit')),
      resend,
      h('button', { type: 'button', class: 'plain', onclick: () => ctx.reload() }, t('signin.other_phone'))));
  resend.addEventListener('click', () => busy(resend, async () => {
    try {
      /** @type {OtpOut | null} */
      const again = await api.post('/api/v1/auth/otp', { phone, locale: locale() });
      wait = Number(again?.resend_after ?? 60);
      tick();
      ctx.toast(t('signin.code_resent'));
    } catch (error) {
      showErrors(codeForm, error);
    }
  }));
  codeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = codeForm.querySelector('button[type=submit]');
    busy(button, async () => {
      const data = read(codeForm);
      try {
        await finish(ctx, await api.post('/api/v1/auth/token', { phone, code: data.code || '' }));
      } catch (error) {
        showErrors(codeForm, error);
      }
    });
  });
  return codeForm;
}

/**
 * @param {PageContext} ctx
 * @param {HTMLElement} holder  where the code step replaces this form
 */
function traineeForm(ctx, holder) {
  const phoneForm = form({ id: 'phone-form' },
    field({
      name: 'phone', label: t('signin.phone'), type: 'tel', required: true, autocomplete: 'tel',
      inputmode: 'tel', hint: t('signin.phone_hint'), maxlength: 20,
    }),
    h('button', { type: 'submit' }, t('signin.send_code')));
  phoneForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = phoneForm.querySelector('button[type=submit]');
    busy(button, async () => {
      const { phone = '' } = read(phoneForm);
      try {
        const sent = await api.post('/api/v1/auth/otp', { phone, locale: locale() });
        replace(holder, codeStep(ctx, String(phone), sent));
        /** @type {HTMLInputElement} */ (holder.querySelector('input[name=code]')).focus();
      } catch (error) {
        showErrors(phoneForm, error);
      }
    });
  });
  return phoneForm;
}

/** @param {PageContext} ctx */
function staffForm(ctx) {
  const staff = form({ id: 'staff-form' },
    field({ name: 'phone', label: t('signin.phone'), type: 'tel', required: true, autocomplete: 'username', inputmode: 'tel' }),
    field({ name: 'password', label: t('signin.password'), type: 'password', required: true, autocomplete: 'current-password' }),
    h('button', { type: 'submit' }, t('signin.submit')));
  staff.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(staff.querySelector('button[type=submit]'), async () => {
      const { phone = '', password = '' } = read(staff);
      try {
        await finish(ctx, await api.post('/api/v1/auth/token', { phone, password }));
      } catch (error) {
        showErrors(staff, error);
      }
    });
  });
  return staff;
}

/**
 * @param {PageContext} ctx
 * @param {import('../router.js').RouteOptions} options
 */
export default async function signIn(ctx, options) {
  if (session.current()) {
    ctx.go(nextOf(ctx.query, session.role()), { replace: true });
    return;
  }
  if (options.staff) {
    ctx.show(t('signin.staff_title'), h('p', {}, t('signin.staff_lead')), staffForm(ctx),
      h('p', {}, h('a', { href: '/sign-in' }, t('signin.trainee_link'))));
    return;
  }
  const holder = h('div', {});
  holder.append(traineeForm(ctx, holder));
  ctx.show(t('signin.title'), h('p', {}, t('signin.lead')), holder,
    h('p', {}, h('a', { href: `/staff/sign-in${location.search}` }, t('signin.staff_link'))));
}
