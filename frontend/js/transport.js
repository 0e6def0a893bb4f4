// @ts-check
/**
 * Play, pause, one epoch and reset, by button and by key, and the note a diverged network shows, which
 * stops them until a reset.
 */
import { $ } from "./dom.js";

/**
 * @typedef {Object} TransportHandlers
 * @property {(message: {type: string}) => boolean} send  a stream command
 * @property {number} saferRate  the learning rate the diverged note offers to reset with
 * @property {() => boolean} canLower  whether the current learning rate is above saferRate
 * @property {() => void} lower  set the learning rate to saferRate
 */

/**
 * Wire the transport buttons and keys.
 * @param {TransportHandlers} on
 * @returns {{status: (status: string) => void, playing: () => boolean, halt: () => void}}  status: a frame's or the
 *   server's; halt: the run was paused by another command (a seek)
 */
export function bindTransport(on) {
  let playing = false;
  let diverged = false;

  /** @param {boolean} on */
  function setPlaying(on) {
    playing = on;
    $("play").setAttribute("aria-pressed", String(on));
    $("play").setAttribute("aria-label", on ? "Pause" : "Play");
    document.body.classList.toggle("playing", on);
  }

  /** @param {boolean} now */
  function setDiverged(now) {
    diverged = now;
    $("diverged").hidden = !now;
    const lower = $("diverged-lower");
    lower.hidden = !(now && on.canLower());
    lower.textContent = `Reset with learning rate ${on.saferRate}`;
    $("play").disabled = now;
    $("step").disabled = now;
    if (now) setPlaying(false);
  }

  function play() {
    if (diverged) return;
    setPlaying(!playing);
    on.send({ type: playing ? "play" : "pause" });
  }
  function step() {
    if (diverged) return;
    setPlaying(false);
    on.send({ type: "step" });
  }
  function reset() {
    setPlaying(false);
    setDiverged(false);
    on.send({ type: "reset" });
  }

  // Space on a button reached with Tab presses that button; on one last clicked with the pointer it plays,
  // as it does everywhere else on the page.
  let clicked = false;
  document.addEventListener("pointerdown", () => { clicked = true; }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Tab") clicked = false;
    const target = /** @type {HTMLElement} */ (event.target);
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest("input, select, textarea, [contenteditable]")) return;
    const tabbedButton = target.closest("button") && !clicked;
    if (event.key === " " && !tabbedButton) { event.preventDefault(); if (!event.repeat) play(); }
    else if (event.key === "ArrowRight") { event.preventDefault(); step(); }
  });
  $("play").addEventListener("click", play);
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  $("diverged-reset").addEventListener("click", reset);
  $("diverged-lower").addEventListener("click", () => { on.lower(); reset(); });

  return {
    status(status) {
      if ((status === "diverged") !== diverged) setDiverged(status === "diverged");
    },
    playing: () => playing,
    halt: () => setPlaying(false),
  };
}
