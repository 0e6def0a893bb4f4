// @ts-check
/** The output: the followed image's class probabilities as bars with the class names, the guess in ink. */
import { prepare } from "../charts.js";

const ROW_PX = 18; // px a class's bar takes
const NAME_PX = 96; // px at most for a class name at the left
const VALUE_PX = 42; // px for the percentage at the right
const BAR = "#9aa5b1"; // grey: a class not guessed
const GUESS = "#1d2329"; // ink: the class guessed
const TRUTH = "#0877bd"; // blue outline: the followed test image's class

/**
 * Size the chart for this many classes (once per network).
 * @param {HTMLCanvasElement} canvas @param {number} classes
 */
export function sizeProbabilities(canvas, classes) {
  canvas.style.height = `${classes * ROW_PX + 4}px`;
}

/**
 * @param {HTMLCanvasElement} canvas @param {Float32Array} probabilities @param {string[]} classes
 * @param {number | null} truth  the class of the followed test image, null for a drawing
 */
export function drawProbabilities(canvas, probabilities, classes, truth) {
  const { context, width } = prepare(canvas);
  let guess = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[guess]) guess = i;
  const names = Math.min(NAME_PX, Math.max(...classes.map((c) => context.measureText(c).width)) + 8);
  const room = Math.max(10, width - names - VALUE_PX);
  context.textBaseline = "middle";
  for (let i = 0; i < classes.length; i++) {
    const y = i * ROW_PX + 2, mid = y + ROW_PX / 2 - 1;
    const p = probabilities[i] ?? 0;
    context.fillStyle = i === guess ? GUESS : "#5f6b76";
    context.textAlign = "right";
    context.fillText(classes[i], names - 6, mid, NAME_PX - 6);
    context.fillStyle = i === guess ? GUESS : BAR;
    context.fillRect(names, y + 2, Math.max(1, p * room), ROW_PX - 5);
    if (i === truth) {
      context.strokeStyle = TRUTH;
      context.lineWidth = 2;
      context.strokeRect(names - 1, y + 1, room + 2, ROW_PX - 3);
    }
    context.fillStyle = "#5f6b76";
    context.textAlign = "left";
    // Rounded as the guess's text is; squeezed into its room when it reads "100.0%".
    context.fillText(`${(p * 100).toFixed(p < 0.1 ? 0 : 1)}%`, names + room + 6, mid, VALUE_PX - 6);
  }
}
