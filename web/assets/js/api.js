// @ts-check
// The one way the pages talk to the services: same origin, JSON, Bearer token, problem+json.
import * as session from './session.js';

/** @typedef {import('./types.js').Problem} Problem */

/**
 * @typedef {object} RequestOptions
 * @property {unknown} [body]  JSON-able, or FormData (sent as it is)
 * @property {Record<string, string | number | boolean | null | undefined>} [query]  empty values are left out
 * @property {AbortSignal} [signal]
 * @property {string} [idempotencyKey]
 * @property {boolean} [raw]  resolve to the Response itself (e.g. for a PDF)
 * @property {string} [accept]
 * @property {number} [retries]  network failures only; needs a safe method or an idempotency key
 */

/** An API's problem+json answer (or a network failure: status 0, code network_error). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || (status ? `http_${status}` : 'network_error');
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/**
 * Tell whether `error` is the rejection of an aborted fetch (the user navigated away).
 * @param {unknown} error
 */
export function isAbort(error) {
  return error instanceof Error && error.name === 'AbortError';
}

const AUTH = '/api/v1/auth/';
/** @type {(error: ApiError) => void} */
let onUnauthorized = () => {};
/**
 * Set what happens when the token is rejected (sign out and go to sign-in).
 * @param {(error: ApiError) => void} fn
 */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/**
 * @param {string} path
 * @param {RequestOptions['query']} query
 */
function url(path, query) {
  const u = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') u.searchParams.set(key, String(value));
  }
  return u.pathname + u.search;
}

/**
 * @param {Response} response
 * @returns {Promise<Problem>}
 */
async function problemOf(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      /* fall through */
    }
  }
  return { status: response.status, title: response.statusText };
}

/**
 * Call the API. Options: body (JSON-able or FormData), query, signal, idempotencyKey,
 * raw (return the Response, e.g. for a PDF), retries (network failures only; needs a
 * safe method or an idempotency key).
 * @param {string} method
 * @param {string} path
 * @param {RequestOptions} [options]
 * @returns {Promise<any>} the JSON answer (null for an empty 202/204), or the Response if `raw`
 */
export async function request(method, path, options = {}) {
  const { body, query, signal, idempotencyKey, raw = false, accept } = options;
  const retries = options.retries ?? (method === 'GET' || idempotencyKey ? 2 : 0);
  /** @type {Record<string, string>} */
  const headers = { Accept: accept || 'application/json' };
  const bearer = session.token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  /** @type {BodyInit | undefined} */
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  for (let attempt = 0; ; attempt += 1) {
    try {
      response = await fetch(url(path, query), {
        method, headers, body: payload, signal, credentials: 'omit', cache: 'no-store',
      });
      break;
    } catch (error) {
      if (isAbort(error)) throw error;
      // A shaky mobile connection: try again (the same Idempotency-Key makes it safe).
      if (attempt >= retries) throw new ApiError(0, { code: 'network_error' });
      await new Promise((resolve) => {
        setTimeout(resolve, 400 * (attempt + 1));
      });
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, await problemOf(response));
    // The token expired or was rejected, or it expired here and went unsent: sign in again.
    // (Sign-in itself answers 401 for a wrong code or password: that stays on its form.)
    if (response.status === 401 && !path.startsWith(AUTH)) onUnauthorized(error);
    throw error;
  }
  if (raw) return response;
  if (response.status === 204 || response.status === 202) {
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }
  return response.json();
}

/** @type {(path: string, options?: RequestOptions) => Promise<any>} */
export const get = (path, options) => request('GET', path, options);
/** @typedef {(path: string, body?: unknown, options?: RequestOptions) => Promise<any>} Send */
/** @type {Send} */
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
/** @type {Send} */
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });
/** @type {Send} */
export const patch = (path, body, options = {}) => request('PATCH', path, { ...options, body });

/** Return a fresh Idempotency-Key. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Download a protected file with the Authorization header, then save it under `filename`.
 * @param {string} path
 * @param {string} filename  empty: the name the service gives (Content-Disposition)
 * @param {string} [accept]
 * @returns {Promise<Blob>}
 */
export async function download(path, filename, accept) {
  /** @type {Response} */
  const response = await request('GET', path, { raw: true, accept });
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') || '';
  const named = /filename="?([^";]+)"?/.exec(disposition);
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename || (named ? named[1] : 'download');
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return blob;
}
