// @ts-check
/** What every page does with the document: find an element, set its text, tell the person something. */

const MESSAGE_MS = 6000; // how long a message stays

/**
 * The element with this id (the page's markup has every id the modules ask for).
 * @param {string} id @returns {any}
 */
export const $ = (id) => document.getElementById(id);

/**
 * Set an element's text, only when it changes (a frame sets many that mostly do not).
 * @param {string} id @param {string} value
 */
export function setText(id, value) {
  const el = $(id);
  if (el.textContent !== value) el.textContent = value;
}

/**
 * Set a data attribute, only when it changes.
 * @param {HTMLElement} el @param {string} key @param {string} value
 */
export function setData(el, key, value) {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}

/**
 * The stream's state in the header's connection box; the page dims while offline.
 * @param {import("./stream.js").Connection} connection @param {string} detail
 */
export function showConnection(connection, detail) {
  const box = $("connection");
  box.dataset.state = connection;
  box.querySelector(".text").textContent =
    connection === "live" ? "live" : connection === "connecting" ? "connecting…" : "offline, reconnecting…";
  box.title = detail;
  document.body.classList.toggle("offline", connection !== "live");
}

/**
 * What the server answers, or, when it cannot be reached, a note saying so in the connection box.
 * @template T @param {() => Promise<T>} ask @returns {Promise<T>}
 */
export async function fromServer(ask) {
  try {
    return await ask();
  } catch (error) {
    $("connection").dataset.state = "reconnecting";
    $("connection").querySelector(".text").textContent = "server unreachable; reload to try again";
    throw error;
  }
}

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
