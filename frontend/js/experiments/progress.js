// @ts-check
/**
 * An experiment's progress as a card shows it: a bar of the networks trained, the status, and the counts with
 * the time left (or taken).
 */
import { ENDED } from "./api.js";
import { make } from "./make.js";

/** Seconds as a person reads them. @param {number} seconds */
function duration(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - 60 * minutes)} s`;
}

/** What a status says of the progress. @param {import("./api.js").Status} status */
function progressText(status) {
  const parts = [`${status.done} / ${status.networks} networks`];
  if (status.status === "queued" && status.queue_position) parts.push(`${status.queue_position} ahead in the queue`);
  if (status.status === "running" && status.eta_seconds !== null && status.eta_seconds !== undefined) parts.push(`about ${duration(status.eta_seconds)} left`);
  if (ENDED.has(status.status) && status.elapsed_seconds) parts.push(`took ${duration(status.elapsed_seconds)}`);
  return parts.join(" · ");
}

/** The progress part of a card, hidden until it has a status to show. */
export function createProgress() {
  const bar = make("progress", { max: 1, value: 0, ariaLabel: "Networks trained" });
  const phase = make("span", { className: "phase", role: "status" });
  const counts = make("span", { className: "counts" });
  const element = make("div", { className: "progress", hidden: true }, bar, make("p", {}, phase, " ", counts));
  return {
    element,
    /** @param {import("./api.js").Status} status */
    show(status) {
      element.hidden = false;
      bar.max = Math.max(1, status.networks);
      bar.value = status.done;
      phase.textContent = status.status;
      counts.textContent = progressText(status);
    },
  };
}
