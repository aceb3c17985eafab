// @ts-check
// The signed-in user: the access token lives in sessionStorage (this tab only), never in a
// cookie or a URL, and goes out only as `Authorization: Bearer`.
const KEY = 'jx.session';

/** @typedef {import('./types.js').Role} Role */
/** @typedef {import('./types.js').TokenOut} TokenOut */
/**
 * @typedef {object} Session
 * @property {string} token
 * @property {import('./types.js').UserRef} user
 * @property {number} expiresAt  ms since the epoch
 */

/** @type {Set<(state: Session | null) => void>} */
const listeners = new Set();

/** @returns {Session | null} what this tab stored (not checked) */
function stored() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null; /* unreadable: treat as signed out */
  }
}

const saved = stored();
/** @type {Session | null} */
let state = saved && saved.token && saved.expiresAt > Date.now() ? saved : null;
// The role of the last session, kept after it ends (expired here, or rejected by a service) so
// that the user is sent to the right sign-in page.
/** @type {Role | null} */
let lastRole = saved?.user?.role ?? null;

/**
 * Return {token, user: {id, role, name}, expiresAt} or null.
 * @returns {Session | null}
 */
export function current() {
  if (state && state.expiresAt <= Date.now()) clear();
  return state;
}

/** Return the access token or null. */
export function token() {
  return current()?.token ?? null;
}

/** Return the signed-in user's role or null. */
export function role() {
  return current()?.user.role ?? null;
}

/** Return the role of the current or, after it ended, of the last session in this tab. */
export function previousRole() {
  return current()?.user.role ?? lastRole;
}

/**
 * Store a token response of POST /api/v1/auth/token.
 * @param {TokenOut} response
 */
export function signIn(response) {
  lastRole = response.user?.role ?? null;
  state = {
    token: response.access_token,
    user: response.user,
    expiresAt: Date.now() + Math.max(30, Number(response.expires_in) - 30) * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(state));
  notify();
}

/**
 * Remember a changed display name (after editing one's profile).
 * @param {string} name
 */
export function rename(name) {
  if (!state) return;
  state = { ...state, user: { ...state.user, name } };
  sessionStorage.setItem(KEY, JSON.stringify(state));
  notify();
}

/** Forget the token. */
export function clear() {
  const had = state !== null;
  state = null;
  sessionStorage.removeItem(KEY);
  if (had) notify();
}

/** Sign out on purpose: forget the token and the last role too. */
export function signOut() {
  lastRole = null;
  clear();
}

/**
 * Call `fn` whenever the session changes.
 * @param {(state: Session | null) => void} fn
 */
export function onChange(fn) {
  listeners.add(fn);
}

function notify() {
  for (const fn of listeners) fn(state);
}
