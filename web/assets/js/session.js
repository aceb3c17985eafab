// The signed-in user: the access token lives in sessionStorage (this tab only), never in a
// cookie or a URL, and goes out only as `Authorization: Bearer`.
const KEY = 'jx.session';
const listeners = new Set();

function load() {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (value && value.token && value.expiresAt > Date.now()) return value;
  } catch {
    /* unreadable: treat as signed out */
  }
  return null;
}

let state = load();

/** Return {token, user: {id, role, name}, expiresAt} or null. */
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

/** Store a token response of POST /api/v1/auth/token. */
export function signIn(response) {
  state = {
    token: response.access_token,
    user: response.user,
    expiresAt: Date.now() + Math.max(30, Number(response.expires_in) - 30) * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(state));
  notify();
}

/** Remember a changed display name (after editing one's profile). */
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

/** Call `fn` whenever the session changes. */
export function onChange(fn) {
  listeners.add(fn);
}

function notify() {
  for (const fn of listeners) fn(state);
}
