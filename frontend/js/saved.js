// @ts-check
/**
 * Saved runs. "Save & share" keeps the run on the server for good and shows a link to it; the page opened at
 * that link (/r/{id}) shows the saved run as it was saved, continuing it in a session of its own: playing it
 * forks it, and the saved run itself never changes.
 */
import { ApiError, createSession, getRun, importSession, saveSession } from "./api.js";
import { $, say, setText } from "./dom.js";

const SAVED_PATH = /^\/r\/([^/]+)\/?$/; // the path of a saved run's page (the server serves this page there)
const COPIED_MS = 2000; // how long the copy button says it copied

/** The id of the saved run a page's path names, or null. @param {string} path */
export function savedRunOf(path) {
  const match = SAVED_PATH.exec(path);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch { // a malformed escape: no run's id (openSaved then says there is no such run)
    return match[1];
  }
}

/**
 * A saved run's export document; null, having said why and moved the page to the playground's own address,
 * when it cannot be had (the page then starts a fresh run).
 * @param {string} id @returns {Promise<Record<string, any> | null>}
 */
export async function openSaved(id) {
  try {
    const run = await getRun(id);
    if (run.lab !== "playground") throw new Error(`it is a run of the ${run.lab} lab`);
    return run.document;
  } catch (error) {
    say(error instanceof ApiError && error.status === 404 ? "There is no such saved run (it may have been deleted); here is a new one."
      : `The saved run could not be opened (${/** @type {Error} */ (error).message}); here is a new one.`);
    history.replaceState(null, "", `/${location.search}${location.hash}`);
    return null;
  }
}

/**
 * Where a page's new sessions come from: on a saved run's page its continuation (the document imported), else
 * the page's config. A document the server refuses is dropped with a note, and the saved settings start afresh.
 * @param {Record<string, any> | null} document
 * @returns {(config: Record<string, any>) => Promise<{id: string, config: Record<string, any>}>}
 */
export function sessionMaker(document) {
  let saved = document;
  return async (config) => {
    if (!saved) return createSession(config);
    try {
      return await importSession(saved);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 422)) throw error;
      say(`The saved run could not be continued (${error.message}); its settings start again from epoch 0.`);
      saved = null;
      return createSession(config);
    }
  };
}

/** Why a save was refused, in words. @param {unknown} error */
function refusal(error) {
  if (!(error instanceof ApiError)) return `the server could not be reached (${/** @type {Error} */ (error).message})`;
  if (error.status === 404) return "the run had ended on the server; it has been made again, so try once more";
  const wait = error.retryAfter ? ` Try again in ${error.retryAfter < 120 ? `${error.retryAfter} s` : `${Math.ceil(error.retryAfter / 60)} min`}.` : "";
  return `${error.message.replace(/\.?$/, ".")}${wait}`;
}

/**
 * Wire the save button and the share box. While the timeline shows an earlier epoch, the run is saved as it
 * was there: the link opens what the person was looking at.
 * @param {() => string | null} session  the id of the session to save
 * @param {() => number | null} looking  the earlier epoch on screen, or null
 */
export function bindSave(session, looking) {
  const button = /** @type {HTMLButtonElement} */ ($("save"));
  const box = $("share");
  const link = /** @type {HTMLInputElement} */ ($("share-link"));
  const copy = /** @type {HTMLButtonElement} */ ($("copy-link"));

  button.addEventListener("click", async () => {
    const id = session();
    if (!id) { say("Not saved: the run has not started yet."); return; }
    button.disabled = true;
    try {
      const saved = await saveSession(id, looking());
      link.value = location.origin + saved.url;
      setText("share-epoch", String(saved.epoch));
      copy.textContent = "Copy";
      box.hidden = false;
      link.focus();
      link.select();
    } catch (error) {
      say(`Not saved: ${refusal(error)}`);
    } finally {
      button.disabled = false;
    }
  });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link.value);
      copy.textContent = "Copied";
      setTimeout(() => { copy.textContent = "Copy"; }, COPIED_MS);
    } catch {
      link.focus();
      link.select();
      say("Copying was not allowed here: the link is selected, press Ctrl+C (⌘C on a Mac).");
    }
  });
  $("share-close").addEventListener("click", () => {
    box.hidden = true;
    button.focus();
  });
}
