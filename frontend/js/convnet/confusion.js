// @ts-check
/** The confusion matrix of the test set: true class by row, guessed class by column, counts in the cells. */
import { prepare } from "../charts.js";

const LABEL_PX = 22; // px for the row and column labels
const RIGHT = [8, 119, 189]; // blue: the diagonal, right guesses
const WRONG = [245, 147, 34]; // orange: mistakes
const BLANK = [246, 247, 248]; // an empty cell
const SHORT_NAME = 2; // class names this short label the matrix; longer ones go by their index

/**
 * How the matrix labels the classes, and the key that names them when those labels are indices.
 * @param {string[]} classes @returns {{labels: string[], key: string}}
 */
export function confusionLabels(classes) {
  if (classes.every((c) => c.length <= SHORT_NAME)) return { labels: classes, key: "" };
  return { labels: classes.map((_, i) => String(i)), key: classes.map((c, i) => `${i}: ${c}`).join(", ") };
}

/**
 * @param {HTMLCanvasElement} canvas @param {Float32Array} counts  classes × classes, row by row
 * @param {string[]} labels  one a class
 */
export function drawConfusion(canvas, counts, labels) {
  const { context, width, height } = prepare(canvas);
  const n = labels.length;
  if (counts.length !== n * n) return;
  const cell = Math.max(4, Math.min((width - LABEL_PX) / n, (height - LABEL_PX) / n));
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.fillStyle = "#5f6b76";
  for (let i = 0; i < n; i++) {
    context.fillText(labels[i], LABEL_PX + (i + 0.5) * cell, LABEL_PX / 2); // guessed, along the top
    context.fillText(labels[i], LABEL_PX / 2, LABEL_PX + (i + 0.5) * cell); // true, down the side
  }
  for (let r = 0; r < n; r++) {
    let total = 0;
    for (let c = 0; c < n; c++) total += counts[r * n + c];
    for (let c = 0; c < n; c++) {
      const v = counts[r * n + c];
      const t = total ? v / total : 0;
      const end = r === c ? RIGHT : WRONG;
      const colour = v ? BLANK.map((b, k) => Math.round(b + (end[k] - b) * Math.max(0.15, t))) : BLANK;
      context.fillStyle = `rgb(${colour[0]},${colour[1]},${colour[2]})`;
      const x = LABEL_PX + c * cell, y = LABEL_PX + r * cell;
      context.fillRect(x + 0.5, y + 0.5, cell - 1, cell - 1);
      if (v && cell >= 16) {
        context.fillStyle = t > 0.5 ? "#fff" : "#1d2329";
        context.fillText(String(v), x + cell / 2, y + cell / 2);
      }
    }
  }
}
