// @ts-check
/**
 * Colours and grids: a diverging, colour-blind-safe orange <-> white <-> blue palette
 * (the TensorFlow Playground's), quantised U8 grids painted with putImageData, and the
 * small maps of input features and dataset previews computed here from their formulas.
 */

const NEGATIVE = [245, 147, 34]; // orange: label -1, negative values
const MIDDLE = [232, 234, 235]; // near-white: zero
const POSITIVE = [8, 119, 189]; // blue: label +1, positive values
const LEVELS = 256; // entries in a lookup table, one per U8 value
export const EXTENT = 6; // the plane spans [-EXTENT, EXTENT] on both axes
const SMALL_MAP = 32; // cells per side of a feature map or dataset preview

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
 * A function of the plane sampled on a size x size grid (row 0 at x2 = +EXTENT), scaled to
 * [-1, 1] by its largest magnitude and quantised to U8.
 * @param {(x1: number, x2: number) => number} f @param {number} [size] @returns {Uint8Array}
 */
export function sample(f, size = SMALL_MAP) {
  const raw = new Float32Array(size * size);
  let peak = 1e-9;
  for (let row = 0; row < size; row++) {
    const x2 = EXTENT - ((row + 0.5) / size) * 2 * EXTENT;
    for (let col = 0; col < size; col++) {
      const x1 = -EXTENT + ((col + 0.5) / size) * 2 * EXTENT;
      const v = f(x1, x2);
      raw[row * size + col] = v;
      peak = Math.max(peak, Math.abs(v));
    }
  }
  return Uint8Array.from(raw, (v) => Math.round((v / peak + 1) * 0.5 * (LEVELS - 1)));
}

/** The input features' formulas, as backend/engine/features.py defines them. */
export const FEATURE_FORMULAS = {
  x1: (/** @type {number} */ x1, /** @type {number} */ _x2) => x1,
  x2: (/** @type {number} */ _x1, /** @type {number} */ x2) => x2,
  x1_squared: (/** @type {number} */ x1, /** @type {number} */ _x2) => x1 * x1,
  x2_squared: (/** @type {number} */ _x1, /** @type {number} */ x2) => x2 * x2,
  x1_x2: (/** @type {number} */ x1, /** @type {number} */ x2) => x1 * x2,
  sin_x1: (/** @type {number} */ x1, /** @type {number} */ _x2) => Math.sin(x1),
  sin_x2: (/** @type {number} */ _x1, /** @type {number} */ x2) => Math.sin(x2),
};

/** How each feature is written for people. @type {Record<string, string>} */
export const FEATURE_LABELS = {
  x1: "x₁", x2: "x₂", x1_squared: "x₁²", x2_squared: "x₂²", x1_x2: "x₁x₂", sin_x1: "sin(x₁)", sin_x2: "sin(x₂)",
};

const SPIRAL_TURNS = 1.75; // turns of each spiral arm, as the generator draws them
const SIX_BUMPS = [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]];

/** The ideal label field of each dataset, for its preview tile (not the generator itself). */
export const DATASET_SKETCHES = {
  circle: (/** @type {number} */ x1, /** @type {number} */ x2) => (Math.hypot(x1, x2) < 3 ? 1 : -1),
  xor: (/** @type {number} */ x1, /** @type {number} */ x2) => (x1 * x2 >= 0 ? 1 : -1),
  gauss: (/** @type {number} */ x1, /** @type {number} */ x2) => Math.tanh(x1 + x2),
  spiral: (/** @type {number} */ x1, /** @type {number} */ x2) => {
    const r = Math.hypot(x1, x2);
    const arm = SPIRAL_TURNS * 2 * Math.PI * (r / 5);
    return r > 5.5 ? 0 : Math.cos(Math.atan2(x1, x2) - arm) > 0 ? 1 : -1;
  },
  plane: (/** @type {number} */ x1, /** @type {number} */ x2) => (x1 + x2) / 12,
  multigauss: (/** @type {number} */ x1, /** @type {number} */ x2) => {
    let best = 0;
    for (const [cx, cy, sign] of SIX_BUMPS) {
      const v = sign * Math.max(0, 1 - Math.hypot(x1 - cx, x2 - cy) / 2);
      if (Math.abs(v) > Math.abs(best)) best = v;
    }
    return best;
  },
  custom: (/** @type {number} */ x1, /** @type {number} */ x2) =>
    (Math.hypot(x1 + 2.5, x2 - 2) < 1.5 ? 1 : Math.hypot(x1 - 2.5, x2 + 2) < 1.5 ? -1 : 0),
};

/**
 * Draw a U8 grid into a canvas whose size is the grid's.
 * @param {HTMLCanvasElement} canvas @param {Uint8Array} values @param {number} [offset] @param {Uint8ClampedArray} [table]
 */
export function drawGrid(canvas, values, offset = 0, table = SMOOTH) {
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  let image = images.get(canvas);
  if (!image || image.width !== canvas.width || image.height !== canvas.height) {
    image = context.createImageData(canvas.width, canvas.height);
    images.set(canvas, image);
  }
  paint(image, values, offset, table);
  context.putImageData(image, 0, 0);
}

/** One reusable ImageData per canvas, so per-frame drawing allocates nothing. @type {WeakMap<HTMLCanvasElement, ImageData>} */
const images = new WeakMap();
