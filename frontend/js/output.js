// @ts-check
/**
 * The output panel's map: the network's decision over the plane with the data on top.
 * A hovered neuron or feature replaces the decision map while the pointer rests on it.
 * Clicking adds a point of class +1, shift-clicking one of class -1.
 */
import { DISCRETE, SMOOTH, colorOf, paint } from "./heatmap.js";
import { prepare } from "./charts.js";

const POINT_RADIUS = 3.2; // px, a data point
const TRAIN_STROKE = "#fff"; // outline of a training point
const TEST_STROKE = "#111"; // outline of a test point

/**
 * @typedef {Object} Points  the data, as the stream last sent it
 * @property {number} version  the data_version of the frames drawn from these points
 * @property {Float32Array} train  [x1, x2, label] rows
 * @property {Float32Array} test
 * @property {Float32Array} labels  train labels then test labels, in projection order
 */

/**
 * The points a points message carries (docs/protocol.md).
 * @param {import("./protocol.js").Frame} message @returns {Points}
 */
export function pointsOf(message) {
  const train = message.arrays.train_points, test = message.arrays.test_points;
  const t = /** @type {Float32Array} */ (train.data), s = /** @type {Float32Array} */ (test.data);
  const labels = new Float32Array(t.length / 3 + s.length / 3);
  for (let i = 0; i < t.length / 3; i++) labels[i] = t[3 * i + 2];
  for (let i = 0; i < s.length / 3; i++) labels[t.length / 3 + i] = s[3 * i + 2];
  return { version: message.meta.data_version, train: t, test: s, labels };
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {number} extent  the map shows [-extent, extent] on both axes
 * @param {(x1: number, x2: number, label: number) => void} addPoint
 */
export function createOutput(canvas, extent, addPoint) {
  /** @type {Map<number, {canvas: HTMLCanvasElement, image: ImageData}>} */
  const scratch = new Map();

  /** An offscreen canvas of size n with its ImageData, reused. @param {number} n */
  function scratchOf(n) {
    let entry = scratch.get(n);
    if (!entry) {
      const c = document.createElement("canvas");
      c.width = c.height = n;
      entry = { canvas: c, image: /** @type {CanvasRenderingContext2D} */ (c.getContext("2d")).createImageData(n, n) };
      scratch.set(n, entry);
    }
    return entry;
  }

  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const x1 = -extent + ((event.clientX - box.left) / box.width) * 2 * extent;
    const x2 = extent - ((event.clientY - box.top) / box.height) * 2 * extent;
    const clamp = (/** @type {number} */ v) => Math.max(-extent, Math.min(extent, v));
    addPoint(clamp(x1), clamp(x2), event.shiftKey ? -1 : 1);
  });

  /**
   * @param {{values: Uint8Array, offset: number, size: number}} grid  a square U8 grid over [-1, 1]
   * @param {Points | null} points
   * @param {{discretize: boolean, showTest: boolean}} options
   */
  function draw(grid, points, options) {
    const { context, width, height } = prepare(canvas);
    const { canvas: small, image } = scratchOf(grid.size);
    paint(image, grid.values, grid.offset, options.discretize ? DISCRETE : SMOOTH);
    /** @type {CanvasRenderingContext2D} */ (small.getContext("2d")).putImageData(image, 0, 0);
    context.imageSmoothingEnabled = true;
    context.drawImage(small, 0, 0, width, height);
    if (!points) return;
    const at = (/** @type {number} */ v) => ((v + extent) / (2 * extent));
    const dots = (/** @type {Float32Array} */ rows, /** @type {string} */ stroke) => {
      context.strokeStyle = stroke;
      context.lineWidth = 1;
      for (let i = 0; i < rows.length; i += 3) {
        context.fillStyle = colorOf(rows[i + 2]);
        context.beginPath();
        context.arc(at(rows[i]) * width, (1 - at(rows[i + 1])) * height, POINT_RADIUS, 0, 2 * Math.PI);
        context.fill();
        context.stroke();
      }
    };
    dots(points.train, TRAIN_STROKE);
    if (options.showTest) dots(points.test, TEST_STROKE);
  }

  return { draw };
}
