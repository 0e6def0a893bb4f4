// @ts-check
/** Test accuracy by epoch (the losses use the playground's chart), on a 0–100 % axis. */
import { axes, line, prepare } from "../charts.js";

const ACCURACY = "#0877bd"; // blue: test accuracy

/**
 * @param {HTMLCanvasElement} canvas @param {import("./history.js").Point[]} history
 */
export function drawAccuracy(canvas, history) {
  const { context, width, height } = prepare(canvas);
  if (history.length < 1) return;
  const y = axes(context, width, height, 0, 1, false, history[0].epoch, history[history.length - 1].epoch);
  line(context, history, (s) => /** @type {import("./history.js").Point} */ (s).test_accuracy, y, width, ACCURACY);
}
