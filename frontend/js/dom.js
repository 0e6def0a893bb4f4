// @ts-check
/** The two things every part of the page does with the document: find an element, tell the person something. */

const MESSAGE_MS = 6000; // how long a message stays

/**
 * The element with this id (the page's markup has every id the modules ask for).
 * @param {string} id @returns {any}
 */
export const $ = (id) => document.getElementById(id);

/**
 * Show a short message above the panels for a few seconds.
 * @param {string} text
 */
export function say(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(Number(box.dataset.timer));
  box.dataset.timer = String(setTimeout(() => { box.hidden = true; }, MESSAGE_MS));
}
