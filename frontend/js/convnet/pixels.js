// @ts-check
/**
 * Pictures from float arrays, painted into each canvas's reusable ImageData (one pixel a value): weights and
 * activations in the playground's diverging palette (orange negative, white zero, blue positive), images as
 * dark ink on white. Arrays come laid out as the frames carry them, channels last, so a picture reads every
 * `stride`-th value from `offset`.
 */
import { SMOOTH, imageFor } from "../heatmap.js";

const LEVELS = 255; // the palette's last index
const GAP = [236, 239, 242, 255]; // RGBA between the kernels of a filter's mosaic

/**
 * The largest magnitude among values (1 when all are zero), to scale a layer's pictures together.
 * @param {Float32Array} values @param {number} [begin] @param {number} [end]
 */
export function largest(values, begin = 0, end = values.length) {
  let top = 0;
  for (let i = begin; i < end; i++) { const a = Math.abs(values[i]); if (a > top) top = a; }
  return top || 1;
}

/**
 * Write one value's colour at pixel p. @param {Uint8ClampedArray} pixels @param {number} p
 * @param {number} value @param {number} scale
 */
function put(pixels, p, value, scale) {
  const t = Math.max(-1, Math.min(1, value / scale));
  const q = Math.round((t + 1) * 0.5 * LEVELS) * 4;
  pixels[p] = SMOOTH[q]; pixels[p + 1] = SMOOTH[q + 1]; pixels[p + 2] = SMOOTH[q + 2]; pixels[p + 3] = 255;
}

/**
 * A map of values over the canvas's pixels, in the diverging palette, ±scale at the ends.
 * @param {HTMLCanvasElement} canvas @param {Float32Array} values @param {number} offset @param {number} stride
 * @param {number} scale
 */
export function drawValues(canvas, values, offset, stride, scale) {
  const image = imageFor(canvas);
  const pixels = image.data, count = image.width * image.height;
  for (let i = 0; i < count; i++) put(pixels, i * 4, values[offset + i * stride], scale);
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(image, 0, 0);
}

/**
 * An image, pixels 0–1 (or 0–255 with `full` 255), as dark ink on white.
 * @param {HTMLCanvasElement} canvas @param {ArrayLike<number>} values @param {number} [offset] @param {number} [full]
 */
export function drawInk(canvas, values, offset = 0, full = 1) {
  const image = imageFor(canvas);
  const pixels = image.data, count = image.width * image.height;
  for (let i = 0; i < count; i++) {
    const v = 255 - Math.round((Math.max(0, Math.min(full, values[offset + i])) / full) * 255);
    const p = i * 4;
    pixels[p] = pixels[p + 1] = pixels[p + 2] = v; pixels[p + 3] = 255;
  }
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(image, 0, 0);
}

/**
 * Tiles a side of the mosaic that shows a filter with this many input channels: one kernel per channel.
 * @param {number} channels
 */
export function mosaicTiles(channels) {
  return Math.ceil(Math.sqrt(channels));
}

/**
 * Pixels a side of a filter's mosaic: its channels' kernels in a square, one pixel apart.
 * @param {number} kernel @param {number} channels
 */
export function mosaicSide(kernel, channels) {
  const tiles = mosaicTiles(channels);
  return tiles * kernel + tiles - 1;
}

/**
 * Filter f of a layer's filters (kernel, kernel, channels in, filters) as a mosaic of its kernels, one per
 * input channel, left to right and top to bottom.
 * @param {HTMLCanvasElement} canvas  mosaicSide(kernel, channels) a side
 * @param {Float32Array} weights @param {number[]} shape @param {number} f @param {number} scale
 */
export function drawFilter(canvas, weights, shape, f, scale) {
  const [kernel, , channels, filters] = shape;
  const tiles = mosaicTiles(channels);
  const image = imageFor(canvas);
  const pixels = image.data, side = image.width;
  for (let p = 0; p < pixels.length; p += 4) pixels.set(GAP, p);
  for (let ch = 0; ch < channels; ch++) {
    const top = Math.floor(ch / tiles) * (kernel + 1), left = (ch % tiles) * (kernel + 1);
    for (let r = 0; r < kernel; r++) {
      for (let c = 0; c < kernel; c++) {
        put(pixels, ((top + r) * side + left + c) * 4, weights[((r * kernel + c) * channels + ch) * filters + f], scale);
      }
    }
  }
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(image, 0, 0);
}
