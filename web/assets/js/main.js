// @ts-check
// The application shell: navigation by role, language switch, routes, toasts, dev inbox link.
import * as api from './api.js';
import { h, replace } from './dom.js';
import { notice } from './errors.js';
import { locale, setLocale, t, withLang } from './i18n.js';
import * as router from './router.js';
import * as session from './session.js';

/** @typedef {import('./types.js').Role} Role */
/**
 * The context each page module gets (see context() below).
 * @typedef {object} PageContext
 * @property {Record<string, string>} params  the route's :parameters
 * @property {URLSearchParams} query
 * @property {string} path  pathname and search
 * @property {AbortSignal} signal  aborted when the user navigates away
 * @property {HTMLElement} main
 * @property {(text: string) => void} toast
 * @property {(to: string, options?: {replace?: boolean}) => void} go
 * @property {() => void} reload
 * @property {(title: string, ...nodes: import('./dom.js').Child[]) => void} show
 * @property {(fn: () => unknown, ms: number) => void} every
 * @property {() => boolean} isCurrent
 */

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
/** @type {Role[]} */
const STAFF = ['trainer', 'admin'];
/** @type {Role[]} */
const APPROVERS = ['examiner', 'admin'];
const page = (/** @type {string} */ name) => () => import(`./pages/${name}.js`);

router.route('/', page('catalogue'));
const signInPage = page('signin');
router.route('/sign-in', signInPage);
router.route('/staff/sign-in', signInPage, { staff: true });
router.route('/classes/:id', page('class'));
router.route('/classes/:id/draw', page('draw'));
router.route('/survey', page('survey'));
router.route('/survey/:code', page('survey'));
router.route('/me/enrolments', page('enrolments'), { roles: ['trainee'] });
router.route('/checkin/:token', page('checkin'), { roles: ['trainee'] });
router.route('/me/certificates', page('certificates'), { roles: ['trainee'] });
router.route('/me/certificates/:id', page('certificate'), { roles: ['trainee', 'trainer', 'examiner', 'admin'] });
router.route('/me/messages', page('messages'), { roles: ['trainee', 'trainer', 'admin'] });
router.route('/me/profile', page('profile'), { roles: ['trainee', 'trainer', 'examiner', 'admin'] });
router.route('/me/preferences', page('preferences'), { roles: ['trainee', 'trainer', 'admin'] });
router.route('/trainer', page('trainer'), { roles: STAFF });
router.route('/trainer/classes/:id', page('console'), { roles: STAFF });
router.route('/trainer/classes/:id/:tab', page('console'), { roles: STAFF });
router.route('/review', page('review'), { roles: APPROVERS });
router.route('/admin', page('admin'), { roles: ['admin'] });
router.route('/admin/courses', page('admin-courses'), { roles: ['admin'] });
router.route('/admin/classes', page('admin-classes'), { roles: ['admin'] });
router.route('/admin/users', page('admin-users'), { roles: ['admin'] });
router.route('/admin/messages', page('admin-messages'), { roles: ['admin'] });
router.route('/admin/classes/:id/lottery', page('admin-lottery'), { roles: ['admin'] });
router.route('/admin/surveys', page('admin-surveys'), { roles: ['admin'] });

/** @type {Record<Role | 'anonymous', [string, string][]>} */
const NAV = {
  anonymous: [['/', 'nav.catalogue'], ['/sign-in', 'nav.sign_in']],
  trainee: [
    ['/', 'nav.catalogue'], ['/me/enrolments', 'nav.enrolments'],
    ['/me/certificates', 'nav.certificates'], ['/me/messages', 'nav.messages'],
    ['/me/profile', 'nav.profile'],
  ],
  trainer: [['/trainer', 'nav.my_classes'], ['/', 'nav.catalogue'], ['/me/profile', 'nav.profile']],
  examiner: [['/review', 'nav.review'], ['/me/profile', 'nav.profile']],
  admin: [
    ['/admin', 'nav.dashboard'], ['/review', 'nav.review'], ['/admin/courses', 'nav.courses'],
    ['/admin/classes', 'nav.classes'], ['/admin/users', 'nav.users'],
    ['/admin/messages', 'nav.admin_messages'], ['/admin/surveys', 'nav.surveys'],
  ],
};

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;
/**
 * Show a short message at the bottom of the screen (announced to screen readers).
 * @param {string} text
 */
export function toast(text) {
  const box = /** @type {HTMLElement} */ (document.getElementById('toast'));
  box.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.textContent = '';
  }, 5000);
}

function renderNav() {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  nav.setAttribute('aria-label', t('nav.label'));
  const items = NAV[session.role() || 'anonymous'];
  const here = location.pathname;
  const matches = (/** @type {string} */ href) => (href === '/' ? here === '/' || here.startsWith('/classes/')
    : here === href || here.startsWith(`${href}/`));
  // The longest matching item is the current one (/admin/classes is not also /admin).
  const current = items.map(([href]) => href).filter(matches).sort((x, y) => y.length - x.length)[0];
  replace(nav, h('ul', {}, items.map(([href, key]) => h('li', {},
    h('a', { href, 'aria-current': href === current ? 'page' : null }, t(key))))));
}

function renderTools() {
  const tools = /** @type {HTMLElement} */ (document.getElementById('tools'));
  const other = locale() === 'en' ? 'zh-CN' : 'en';
  const signedIn = session.current();
  replace(tools,
    signedIn ? h('span', { class: 'who', title: signedIn.user.name || '' },
      signedIn.user.name || t(`role.${signedIn.user.role}`)) : null,
    h('button', {
      type: 'button', class: 'small', lang: other,
      title: t('lang.switch_label'),
      onclick: () => {
        setLocale(other);
        router.render();
      },
    }, other === 'en' ? 'English' : '中文'),
    signedIn ? h('button', {
      type: 'button', class: 'small',
      onclick: () => {
        session.signOut();
        toast(t('signin.signed_out'));
        router.navigate('/');
      },
    }, t('nav.sign_out')) : null);
}

/** @type {Promise<boolean> | null} */
let inboxProbe = null;
/** Ask once per tab whether the notification service runs with the dev inbox (local runs). */
function devInboxAvailable() {
  if (inboxProbe) return inboxProbe;
  const cached = sessionStorage.getItem('jx.devinbox');
  if (cached !== null) {
    inboxProbe = Promise.resolve(cached === '1');
    return inboxProbe;
  }
  inboxProbe = fetch('/dev/inbox?limit=1', { credentials: 'omit' })
    .then((response) => response.ok, () => false)
    .then((ok) => {
      sessionStorage.setItem('jx.devinbox', ok ? '1' : '0');
      return ok;
    });
  return inboxProbe;
}

async function renderFooter() {
  const inbox = await devInboxAvailable();
  const foot = /** @type {HTMLElement} */ (document.getElementById('foot'));
  replace(foot,
    inbox ? h('a', { href: withLang('/dev/inbox'), dataset: { external: '' }, class: 'dev-inbox' }, t('foot.dev_inbox')) : null,
    h('a', { href: withLang('/verify'), dataset: { external: '' } }, t('foot.verify')),
    session.current() ? null : h('a', { href: '/staff/sign-in' }, t('foot.staff')),
    h('span', {}, t('foot.about')));
}

function chrome() {
  document.documentElement.lang = locale();
  /** @type {HTMLElement} */ (document.querySelector('.skip')).textContent = t('skip');
  renderNav();
  renderTools();
  renderFooter();
}

/**
 * The context each page module gets.
 * @param {import('./router.js').Found} found
 * @returns {PageContext}
 */
function context(found) {
  return {
    params: found.params,
    query: found.query,
    path: found.path,
    signal: found.signal,
    main,
    toast,
    go: router.navigate,
    reload: router.render,
    /** Replace the page content (if this navigation is still current) and set the title. */
    show(title, ...nodes) {
      if (!found.isCurrent()) return;
      document.title = `${title} · ${t('app.name')}`;
      const heading = h('h1', { tabindex: '-1' }, title);
      replace(main, heading, ...nodes);
    },
    /** Run `fn` every `ms` while this page is shown and the tab visible. */
    every(fn, ms) {
      const timer = setInterval(() => {
        if (!found.isCurrent()) clearInterval(timer);
        else if (document.visibilityState === 'visible') fn();
      }, ms);
      found.signal.addEventListener('abort', () => clearInterval(timer));
    },
    isCurrent: found.isCurrent,
  };
}

let firstRender = true;
router.onRender(async (found) => {
  chrome();
  const { entry } = found;
  if (!entry) {
    const ctx = context(found);
    ctx.show(t('notfound.title'), h('p', {}, t('notfound.text')), h('a', { href: '/' }, t('nav.catalogue')));
    return;
  }
  const roles = entry.options.roles;
  const who = session.role();
  if (roles && !who) {
    router.navigate(signInFor(found.path), { replace: true });
    return;
  }
  const ctx = context(found);
  if (roles && who && !roles.includes(who)) {
    ctx.show(t('error.forbidden_title'), h('p', {}, t('error.forbidden')));
    return;
  }
  if (!firstRender) main.setAttribute('aria-busy', 'true');
  try {
    const module = await entry.load();
    await module.default(ctx, entry.options);
  } catch (error) {
    // A 401 has already sent the user to sign in (see whenUnauthorized below).
    if (api.isAbort(error) || (error instanceof api.ApiError && error.status === 401) || !found.isCurrent()) return;
    ctx.show(t('error.page_title'), notice(error),
      h('button', { type: 'button', class: 'secondary', onclick: () => router.render() }, t('action.retry')));
  } finally {
    main.removeAttribute('aria-busy');
    if (found.isCurrent() && !firstRender) main.querySelector('h1')?.focus();
    firstRender = false;
  }
});

/**
 * The sign-in page for someone going to `path`, with `path` as its `next`: staff sign in with a
 * password, so a trainer's or administrator's expired session (or a staff-only page) leads there.
 * @param {string} path
 */
function signInFor(path) {
  const role = session.previousRole();
  const roles = router.match(path.split(/[?#]/)[0])?.entry.options.roles;
  const staff = role ? STAFF.includes(role) : Boolean(roles && !roles.includes('trainee'));
  return `${staff ? '/staff/sign-in' : '/sign-in'}?next=${encodeURIComponent(path)}`;
}

// Any 401 from an API (an expired or rejected token, or one that expired in this tab and so was
// not sent): forget the session and go to sign-in, coming back here afterwards.
api.whenUnauthorized(() => {
  session.clear();
  // Several requests of one page may fail together: only the first one leaves the page.
  if (router.match(location.pathname)?.entry.load === signInPage) return;
  toast(t('error.session_expired'));
  router.navigate(signInFor(location.pathname + location.search + location.hash), { replace: true });
});
session.onChange(() => chrome());
setLocale(locale());
router.start();
