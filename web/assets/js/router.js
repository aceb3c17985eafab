// @ts-check
// A tiny history router: app paths render a page module into <main>; every other path
// (/verify, /dev/inbox, /api/...) is an ordinary page load served by its service.

/**
 * @typedef {object} RouteOptions
 * @property {import('./types.js').Role[]} [roles]  who may open it (anyone when absent)
 * @property {boolean} [staff]  the sign-in page for trainers and administrators
 */
/**
 * A page module: its default export renders the page (see docs/web.md).
 * @typedef {{default: (ctx: import('./main.js').PageContext, options: RouteOptions) => Promise<void>}} PageModule
 */
/**
 * @typedef {object} Route
 * @property {string} pattern
 * @property {RegExp} regex
 * @property {string[]} names
 * @property {() => Promise<PageModule>} load
 * @property {RouteOptions} options
 */
/**
 * What the render hook gets: the route matched (entry null: none) and the navigation.
 * @typedef {object} Found
 * @property {Route | null} entry
 * @property {Record<string, string>} params
 * @property {URLSearchParams} query
 * @property {string} path  pathname and search
 * @property {AbortSignal} signal  aborted when the user navigates away
 * @property {() => boolean} isCurrent  false once another navigation started
 */

/** @type {Route[]} */
const table = [];
/** @type {AbortController | null} */
let current = null;
let counter = 0;
/** @type {(found: Found) => void} */
let renderHook = () => {};

/**
 * Register a route: pattern like '/classes/:id', a loader returning the page module.
 * @param {string} pattern
 * @param {() => Promise<PageModule>} load
 * @param {RouteOptions} [options]
 */
export function route(pattern, load, options = {}) {
  /** @type {string[]} */
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  table.push({ pattern, regex: new RegExp(`^${source}/?$`), names, load, options });
}

/**
 * Return the route and parameters matching `path`, or null.
 * @param {string} path
 * @returns {{entry: Route, params: Record<string, string>} | null}
 */
export function match(path) {
  for (const entry of table) {
    const found = entry.regex.exec(path);
    if (found) {
      /** @type {Record<string, string>} */
      const params = {};
      entry.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1]);
      });
      return { entry, params };
    }
  }
  return null;
}

/**
 * Set the function that renders a matched route: fn({entry, params, query, path, nav}).
 * @param {(found: Found) => void} fn
 */
export function onRender(fn) {
  renderHook = fn;
}

/**
 * Go to an app path (pushState) and render it.
 * @param {string} to
 * @param {{replace?: boolean}} [options]
 */
export function navigate(to, { replace = false } = {}) {
  const url = new URL(to, location.origin);
  if (url.origin !== location.origin || !match(url.pathname)) {
    location.assign(url.href);
    return;
  }
  if (replace) history.replaceState(null, '', url.pathname + url.search + url.hash);
  else history.pushState(null, '', url.pathname + url.search + url.hash);
  render();
}

/** Render the current location again (after a language switch or sign-in). */
export function render() {
  counter += 1;
  const nav = counter;
  if (current) current.abort();
  current = new AbortController();
  const found = match(location.pathname);
  renderHook({
    ...(found || { entry: null, params: {} }),
    query: new URLSearchParams(location.search),
    path: location.pathname + location.search,
    signal: current.signal,
    isCurrent: () => nav === counter,
  });
}

/** Start: follow clicks on app links and the back button. */
export function start() {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    /** @type {HTMLAnchorElement | null} */
    const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!link || link.target || link.hasAttribute('download') || link.dataset.external !== undefined) return;
    const url = new URL(link.href, location.origin);
    if (url.origin !== location.origin || !match(url.pathname)) return;
    event.preventDefault();
    // The navigation's tab of the page shown: stay, keeping its search, filters and what is
    // being typed (its link has no query; the address has the page's).
    if (link.closest('#nav') && link.getAttribute('aria-current') === 'page' && url.pathname === location.pathname && !url.hash) {
      window.scrollTo(0, 0);
      return;
    }
    if (url.pathname + url.search === location.pathname + location.search && !url.hash) {
      render();
      return;
    }
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener('popstate', render);
  render();
}
