// @ts-check
// Where to go after signing in: a `?next=` value is followed only when it is a path of this
// origin (no open redirects); anything else falls back to the role's home page.

const SIGN_IN = /^\/(staff\/)?sign-in(?:[/?#]|$)/;

/**
 * Where a freshly signed-in user lands.
 * @param {string | null} role
 */
export function homeOf(role) {
  if (role === 'admin') return '/admin';
  if (role === 'trainer') return '/trainer';
  if (role === 'examiner') return '/review';
  return '/';
}

/**
 * Return `value` as a path of this origin (pathname + search + hash), or null. It must be an
 * absolute path ("/me/profile"), never a scheme ("javascript:"), a host ("//evil.example"),
 * a backslash ("/\evil.example", which browsers read as "//") or a control character (which the
 * URL parser drops), and it must still be a single-slash path of our origin once parsed
 * ("/.//evil.example" parses to the path "//evil.example").
 * @param {unknown} value
 * @returns {string | null}
 */
export function localPath(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) return null;
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return null;
  let url;
  try {
    url = new URL(value, location.origin);
  } catch {
    return null;
  }
  if (url.origin !== location.origin || url.username || url.password) return null;
  if (!url.pathname.startsWith('/') || url.pathname.startsWith('//')) return null;
  return url.pathname + url.search + url.hash;
}

/**
 * The page to open after signing in: a same-origin `next` (not sign-in itself) or home.
 * @param {unknown} value
 * @param {string | null} role
 */
export function nextPath(value, role) {
  const path = localPath(value);
  if (path && !SIGN_IN.test(path)) return path;
  return homeOf(role);
}
