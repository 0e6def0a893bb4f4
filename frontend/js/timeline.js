// @ts-check
/**
 * The timeline under the loss chart: a slider over the epochs the run can show again, from its origin to now.
 * Moving it (pointer or keys) asks the server for the frame of that epoch (`seek`), one request at a time: the
 * newest wish goes when the frame asked for last has come. While an earlier epoch is on screen two buttons
 * offer to continue the run from there (`rewind`) or to go back to now. Any frame of now (after play, a step,
 * a change, another viewer's) ends looking back.
 */
import { $, setText } from "./dom.js";

const SEEK_PATIENCE_MS = 5000; // a seek unanswered this long (its frame replaced by a newer one) holds the next back no more

/**
 * @typedef {Object} TimelineHandlers
 * @property {(message: object) => boolean} send  a stream command; false while the stream is down
 * @property {() => void} halt  a seek pauses the run: show it paused
 */

/** @param {TimelineHandlers} on */
export function createTimeline(on) {
  const slider = /** @type {HTMLInputElement} */ ($("timeline"));
  const box = $("looking-back");
  let origin = 0;
  let now = 0; // the newest epoch of the run itself
  let version = -1; // the data version of the frames: a new build starts again at epoch 0
  /** @type {number | null} */ let looking = null; // the earlier epoch on screen
  /** @type {number | null | undefined} */ let wish; // the epoch to ask for next (null: now); undefined: none
  /** @type {{epoch: number | null, at: number} | null} */ let asked = null; // the seek whose frame is awaited
  let dirty = true;

  /** Send the newest wish, unless a seek still awaits its frame. */
  function flush() {
    if (wish === undefined) return;
    if (asked && performance.now() - asked.at < SEEK_PATIENCE_MS) return;
    const epoch = wish;
    wish = undefined;
    if (epoch === null && looking === null) return; // already at now: a seek would only pause the run
    if (on.send({ type: "seek", epoch })) {
      asked = { epoch, at: performance.now() };
      on.halt();
    }
  }

  slider.addEventListener("input", () => {
    const epoch = Number(slider.value);
    wish = epoch >= now ? null : epoch;
    dirty = true;
    label(epoch);
    flush();
  });
  $("back-to-now").addEventListener("click", () => {
    wish = null;
    flush();
  });
  $("continue-here").addEventListener("click", () => {
    if (looking !== null) on.send({ type: "rewind", epoch: looking });
  });

  /** The slider's words: the epoch under the thumb, and whether it is now. @param {number} epoch */
  function label(epoch) {
    const text = epoch < now ? `epoch ${epoch} of ${now}` : `epoch ${now}, now`;
    setText("timeline-shown", text);
    if (slider.getAttribute("aria-valuetext") !== text) slider.setAttribute("aria-valuetext", text);
  }

  return {
    /** A frame came: of now, or of an earlier epoch. @param {Record<string, any>} meta */
    frame(meta) {
      if (meta.data_version !== version) {
        version = meta.data_version;
        origin = 0;
      }
      if (meta.past) {
        looking = meta.epoch;
        if (asked?.epoch === meta.epoch) asked = null;
      } else {
        now = meta.epoch;
        // A frame of now ends looking back, unless it was on its way before an earlier epoch was asked for.
        if (!asked || asked.epoch === null) {
          looking = null;
          asked = null;
        }
      }
      flush();
      dirty = true;
    },
    /** The earlier epoch on screen, or null when it is now. @returns {number | null} */
    looking: () => looking,
    /** The earliest epoch the run can show again (GET .../history). @param {number} epoch */
    origin(epoch) {
      origin = epoch;
      dirty = true;
    },
    /** The run went back to `epoch` for good: it is now. @param {number} epoch */
    rewound(epoch) {
      now = epoch;
      looking = null;
      asked = null;
      wish = undefined;
      dirty = true;
    },
    /** A command was refused, or the stream opened again: no seek is awaited any more. */
    unanswered() {
      asked = null;
      flush();
    },
    /** Show the range, the thumb and the buttons (once per animation frame, when something changed). */
    draw() {
      if (!dirty) return;
      dirty = false;
      const min = String(Math.min(origin, now)), max = String(now);
      if (slider.min !== min) slider.min = min;
      if (slider.max !== max) slider.max = max;
      const moving = asked !== null || wish !== undefined; // the thumb is where the person put it
      const at = String(looking ?? now);
      if (!moving && slider.value !== at) slider.value = at;
      label(Number(slider.value));
      const back = looking !== null;
      if (box.hidden === back) {
        if (!back && box.contains(document.activeElement)) slider.focus(); // the buttons go; focus stays near
        box.hidden = !back;
        document.body.classList.toggle("looking-back", back);
      }
    },
  };
}
