// @ts-check
/** Building the page's parts: the cards, plots and form are made here rather than written in the markup. */

/**
 * A new element with properties (className, textContent, hidden, type, htmlFor, ariaLabel, …; `data` sets
 * data attributes) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Record<string, any>} [properties] @param {(Node | string)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function make(tag, properties = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(properties)) {
    if (name === "data") Object.assign(element.dataset, value);
    else /** @type {any} */ (element)[name] = value;
  }
  element.append(...children);
  return element;
}
