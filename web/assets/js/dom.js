// @ts-check
// Building DOM without HTML strings: every piece of data becomes a text node, never markup.

/**
 * What h() and append() take as children: nodes, texts, numbers; null, undefined and false are
 * skipped; arrays are flattened.
 * @typedef {Node | string | number | false | null | undefined | readonly Child[]} Child
 */
/**
 * Attributes and properties for h(): `class`, `dataset`, `on<event>` listeners, the properties
 * in PROPS, anything else as an attribute (true means present, false/null/undefined absent).
 * @typedef {Record<string, any>} Props
 */

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate']);

/**
 * Create an element: h('a', {href: '/x', class: 'button'}, 'text', child, [more]).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props | null} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (PROPS.has(key)) Object.assign(el, { [key]: value });
    else if (key === 'href' || key === 'src' || key === 'action') el.setAttribute(key, safeUrl(value));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * Append children (strings become text nodes; null/false are skipped; arrays are flattened).
 * @template {Element} E
 * @param {E} el
 * @param {Child} children
 * @returns {E}
 */
export function append(el, children) {
  for (const child of /** @type {unknown[]} */ ([children]).flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/**
 * Replace all children of `el`.
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * Allow only same-origin paths and http(s) links; anything else (javascript:, data:) is dropped.
 * @param {unknown} value
 * @returns {string}
 */
export function safeUrl(value) {
  const text = String(value);
  if (text.startsWith('/') && !text.startsWith('//')) return text;
  if (text.startsWith('#') || text.startsWith('blob:')) return text;
  try {
    const url = new URL(text, location.origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '#';
  } catch {
    return '#';
  }
}

let idCounter = 0;
/**
 * Return a document-unique id for label/aria wiring.
 * @param {string} [prefix]
 */
export function uid(prefix = 'f') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * Mark a button busy while `work` runs; returns work's result.
 * @template T
 * @param {Element | null} button  a <button> (others are not marked)
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function busy(button, work) {
  if (!(button instanceof HTMLButtonElement)) return work();
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
