// @ts-check
/**
 * Colours and grids: a diverging, colour-blind-safe orange <-> white <-> blue palette
 * (the TensorFlow Playground's), and quantised U8 grids over [-1, 1] painted with putImageData:
 * the frames' output and thumbnails, and the previews of features and datasets the server sends.
 */

const NEGATIVE = [245, 147, 34]; // orange: label -1, negative values
const MIDDLE = [232, 234, 235]; // near-white: zero
const POSITIVE = [8, 119, 189]; // blue: label +1, positive values
const LEVELS = 256; // entries in a lookup table, one per U8 value

/**
 * A lookup table from U8 value (over [-1, 1]) to RGBA.
 * @param {boolean} discrete  two flat colours split at zero
 * @returns {Uint8ClampedArray}
 */
function makeTable(discrete) {
  const table = new Uint8ClampedArray(LEVELS * 4);
  for (let q = 0; q < LEVELS; q++) {
    const v = (q / (LEVELS - 1)) * 2 - 1;
    const t = discrete ? (v < 0 ? -1 : 1) * 0.75 : v;
    const end = t < 0 ? NEGATIVE : POSITIVE;
    const a = Math.abs(t);
    for (let c = 0; c < 3; c++) table[q * 4 + c] = MIDDLE[c] + (end[c] - MIDDLE[c]) * a;
    table[q * 4 + 3] = 255;
  }
  return table;
}

export const SMOOTH = makeTable(false);
export const DISCRETE = makeTable(true);

/**
 * CSS colour of a value in [-1, 1].
 * @param {number} value @returns {string}
 */
export function colorOf(value) {
  const q = Math.round((Math.max(-1, Math.min(1, value)) + 1) * 0.5 * (LEVELS - 1)) * 4;
  return `rgb(${SMOOTH[q]},${SMOOTH[q + 1]},${SMOOTH[q + 2]})`;
}

/**
 * Paint cells [offset, offset + width*height) of a U8 grid into an ImageData of that size.
 * @param {ImageData} image @param {Uint8Array} values @param {number} offset @param {Uint8ClampedArray} table
 */
export function paint(image, values, offset = 0, table = SMOOTH) {
  const pixels = image.data;
  const count = image.width * image.height;
  for (let i = 0; i < count; i++) {
    const q = values[offset + i] * 4;
    const p = i * 4;
    pixels[p] = table[q]; pixels[p + 1] = table[q + 1]; pixels[p + 2] = table[q + 2]; pixels[p + 3] = 255;
  }
}

/**
 * Draw a U8 grid into a canvas whose size is the grid's.
 * @param {HTMLCanvasElement} canvas @param {Uint8Array} values @param {number} [offset] @param {Uint8ClampedArray} [table]
 */
export function drawGrid(canvas, values, offset = 0, table = SMOOTH) {
  const image = imageFor(canvas);
  paint(image, values, offset, table);
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(image, 0, 0);
}

/**
 * The canvas's reusable ImageData of its size, to paint and put.
 * @param {HTMLCanvasElement} canvas @returns {ImageData}
 */
export function imageFor(canvas) {
  let image = images.get(canvas);
  if (!image || image.width !== canvas.width || image.height !== canvas.height) {
    image = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).createImageData(canvas.width, canvas.height);
    images.set(canvas, image);
  }
  return image;
}

/** One reusable ImageData per canvas, so per-frame drawing allocates nothing. @type {WeakMap<HTMLCanvasElement, ImageData>} */
const images = new WeakMap();
