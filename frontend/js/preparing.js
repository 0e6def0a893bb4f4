// @ts-check
/**
 * The "preparing this network" note: shown while a change has gone unanswered longer than PREPARING_MS,
 * which on this server means a new network shape is being compiled (seconds), not a frame on its way.
 */

const PREPARING_MS = 400; // a change unanswered this long shows the note

/** @param {HTMLElement} note */
export function createPreparing(note) {
  /** @type {number | null} */ let since = performance.now(); // the first frame is awaited from the start
  return {
    /** A change went to the server: a frame for it is awaited from now. */
    sent() { since = performance.now(); },
    /** A frame for the current settings came, or the change was refused: nothing is awaited. */
    answered() { since = null; },
    /** Whether a frame for the current settings is still awaited. */
    awaiting: () => since !== null,
    /** Show or hide the note, once per animation frame. */
    show() {
      const shown = since !== null && performance.now() - since > PREPARING_MS;
      if (note.hidden === shown) note.hidden = !shown;
    },
  };
}
