// A tiny history router: app paths render a page module into <main>; every other path
// (/verify, /dev/inbox, /api/...) is an ordinary page load served by its service.

const table = [];
let current = null;
let counter = 0;
let renderHook = () => {};

/** Register a route: pattern like '/classes/:id', a loader returning the page module. */
export function route(pattern, load, options = {}) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  table.push({ pattern, regex: new RegExp(`^${source}/?$`), names, load, options });
}

/** Return the route and parameters matching `path`, or null. */
export function match(path) {
  for (const entry of table) {
    const found = entry.regex.exec(path);
    if (found) {
      const params = {};
      entry.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1]);
      });
      return { entry, params };
    }
  }
  return null;
}

/** Set the function that renders a matched route: fn({entry, params, query, path, nav}). */
export function onRender(fn) {
  renderHook = fn;
}

/** Go to an app path (pushState) and render it. */
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
    const link = event.target.closest('a[href]');
    if (!link || link.target || link.hasAttribute('download') || link.dataset.external !== undefined) return;
    const url = new URL(link.href, location.origin);
    if (url.origin !== location.origin || !match(url.pathname)) return;
    event.preventDefault();
    if (url.pathname + url.search === location.pathname + location.search && !url.hash) {
      render();
      return;
    }
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener('popstate', render);
  render();
}
