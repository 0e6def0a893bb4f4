// @ts-check
/** Decoding the stream's binary frames (safetensors layout; docs/protocol.md). */

/**
 * @typedef {{shape: number[], data: Uint8Array | Float32Array}} NamedArray
 * @typedef {{meta: Record<string, any>, arrays: Record<string, NamedArray>}} Frame
 */

const EXPONENT_BIAS = 15; // IEEE 754 half-precision exponent bias
const MANTISSA_SCALE = 1 / 1024; // half-precision mantissa has 10 bits

/**
 * IEEE 754 half floats (as raw 16-bit words) to 32-bit floats.
 * @param {Uint16Array} words @returns {Float32Array}
 */
export function halfToFloat(words) {
  const out = new Float32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const h = words[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) out[i] = sign * 2 ** (1 - EXPONENT_BIAS) * mantissa * MANTISSA_SCALE;
    else if (exponent === 0x1f) out[i] = mantissa ? NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exponent - EXPONENT_BIAS) * (1 + mantissa * MANTISSA_SCALE);
  }
  return out;
}

const decoder = new TextDecoder();

/**
 * One binary frame: metadata with its values parsed, and every array as a typed array.
 * @param {ArrayBuffer} buffer @returns {Frame}
 */
export function decodeFrame(buffer) {
  const view = new DataView(buffer);
  const length = Number(view.getBigUint64(0, true));
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 8, length)));
  /** @type {Record<string, any>} */
  const meta = {};
  for (const [key, value] of Object.entries(header.__metadata__ ?? {})) meta[key] = JSON.parse(/** @type {string} */ (value));
  delete header.__metadata__;
  const start = 8 + length;
  /** @type {Record<string, NamedArray>} */
  const arrays = {};
  for (const [name, spec] of Object.entries(header)) {
    const [begin, end] = spec.data_offsets;
    const bytes = buffer.slice(start + begin, start + end);
    const data = spec.dtype === "U8" ? new Uint8Array(bytes)
      : spec.dtype === "F32" ? new Float32Array(bytes)
      : halfToFloat(new Uint16Array(bytes));
    arrays[name] = { shape: spec.shape, data };
  }
  return { meta, arrays };
}

/**
 * A quantised U8 value back in its range: q over [lo, hi] means lo + q / 255 * (hi - lo).
 * @param {number} q @param {number[]} range @returns {number}
 */
export function dequantise(q, range) {
  return range[0] + (q / 255) * (range[1] - range[0]);
}
