// @ts-check
/**
 * Charts over time, drawn on canvases: train and test loss, and gradient flow
 * (each weight layer's gradient norm on a log scale, with its latest update-to-weight
 * ratio and the share of its units that are saturated).
 */

/**
 * @typedef {Object} Sample  what one frame adds to the history
 * @property {number} epoch
 * @property {number | null} train_loss
 * @property {number | null} test_loss
 * @property {Float32Array} gradient_norms
 * @property {Float32Array} update_ratios
 * @property {Float32Array} saturation
 */

const PAD = { left: 44, right: 10, top: 10, bottom: 20 }; // px around a chart's plot area
const AXIS = "#8a9199"; // axis and label grey
const GRID = "#e6e9ec"; // grid line grey
const FONT = "11px system-ui, sans-serif";
const TRAIN_COLOUR = "#6b7480"; // grey: training loss (as in the Playground)
const TEST_COLOUR = "#111"; // black: test loss
const MIN_LOG = 1e-8; // smallest value a log axis shows
// Viridis stops (colour-blind safe, ordered dark to light): input-side layers dark, output side light.
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [190, 208, 40]];

/**
 * A colour for weight layer i of n, from viridis.
 * @param {number} i @param {number} n @returns {string}
 */
export function layerColour(i, n) {
  const t = n <= 1 ? 0 : i / (n - 1);
  const x = t * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - k;
  const c = VIRIDIS[k].map((v, j) => Math.round(v + (VIRIDIS[k + 1][j] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * Size a canvas's backing store to its CSS box and return a context in CSS pixels.
 * @param {HTMLCanvasElement} canvas
 * @returns {{context: CanvasRenderingContext2D, width: number, height: number}}
 */
export function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  const w = Math.round(width * ratio), h = Math.round(height * ratio);
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = FONT;
  return { context, width, height };
}

/** @param {number} v */
function short(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1000 || a < 0.01 ? v.toExponential(0) : String(+v.toPrecision(2));
}

/**
 * Axes with a few y labels; returns a function from value to y.
 * @param {CanvasRenderingContext2D} context @param {number} width @param {number} height
 * @param {number} lo @param {number} hi @param {boolean} log
 * @param {number} firstEpoch @param {number} lastEpoch
 */
function axes(context, width, height, lo, hi, log, firstEpoch, lastEpoch) {
  const bottom = height - PAD.bottom, top = PAD.top;
  const f = log ? Math.log10 : (/** @type {number} */ v) => v;
  const a = f(lo), b = f(hi);
  const y = (/** @type {number} */ v) => bottom - ((f(Math.max(v, log ? MIN_LOG : -Infinity)) - a) / (b - a || 1)) * (bottom - top);
  context.strokeStyle = GRID;
  context.fillStyle = AXIS;
  context.lineWidth = 1;
  context.textAlign = "right";
  context.textBaseline = "middle";
  const ticks = log
    ? Array.from({ length: Math.floor(b) - Math.ceil(a) + 1 }, (_, i) => 10 ** (Math.ceil(a) + i))
    : [lo, (lo + hi) / 2, hi];
  const step = Math.max(1, Math.ceil(ticks.length / 5));
  ticks.filter((_, i) => i % step === 0).forEach((t) => {
    const ty = Math.round(y(t)) + 0.5;
    context.beginPath(); context.moveTo(PAD.left, ty); context.lineTo(width - PAD.right, ty); context.stroke();
    context.fillText(short(t), PAD.left - 4, ty);
  });
  context.textAlign = "left";
  context.textBaseline = "alphabetic";
  context.fillText(`epoch ${firstEpoch}`, PAD.left, height - 5);
  context.textAlign = "right";
  context.fillText(String(lastEpoch), width - PAD.right, height - 5);
  return y;
}

/**
 * A line through history values.
 * @param {CanvasRenderingContext2D} context @param {Sample[]} history
 * @param {(s: Sample) => number | null | undefined} value @param {(v: number) => number} y
 * @param {number} width @param {string} colour @param {number[]} [dash]
 */
function line(context, history, value, y, width, colour, dash = []) {
  const first = history[0].epoch, span = Math.max(1, history[history.length - 1].epoch - first);
  const x = (/** @type {number} */ e) => PAD.left + ((e - first) / span) * (width - PAD.left - PAD.right);
  context.strokeStyle = colour;
  context.lineWidth = 1.6;
  context.setLineDash(dash);
  context.beginPath();
  let drawing = false;
  for (const s of history) {
    const v = value(s);
    if (v == null || !Number.isFinite(v)) { drawing = false; continue; }
    if (drawing) context.lineTo(x(s.epoch), y(v)); else context.moveTo(x(s.epoch), y(v));
    drawing = true;
  }
  context.stroke();
  context.setLineDash([]);
}

/**
 * Train (grey) and test (black, dashed) loss over time.
 * @param {HTMLCanvasElement} canvas @param {Sample[]} history
 */
export function drawLoss(canvas, history) {
  const { context, width, height } = prepare(canvas);
  if (history.length < 1) return;
  let hi = 0;
  for (const s of history) for (const v of [s.train_loss, s.test_loss]) if (v != null && Number.isFinite(v)) hi = Math.max(hi, v);
  const y = axes(context, width, height, 0, hi || 1, false, history[0].epoch, history[history.length - 1].epoch);
  line(context, history, (s) => s.train_loss, y, width, TRAIN_COLOUR);
  line(context, history, (s) => s.test_loss, y, width, TEST_COLOUR, [4, 3]);
}

/**
 * Per-layer gradient norm over time on a log scale, one viridis line per weight layer.
 * @param {HTMLCanvasElement} canvas @param {Sample[]} history
 */
export function drawGradientFlow(canvas, history) {
  const { context, width, height } = prepare(canvas);
  if (history.length < 1) return;
  const layers = history[history.length - 1].gradient_norms.length;
  let lo = Infinity, hi = 0;
  for (const s of history) for (const v of s.gradient_norms) if (Number.isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > 0)) { lo = 1e-4; hi = 1; }
  lo = Math.max(MIN_LOG, 10 ** Math.floor(Math.log10(lo)));
  hi = 10 ** Math.ceil(Math.log10(hi));
  if (hi <= lo) hi = lo * 10;
  const y = axes(context, width, height, lo, hi, true, history[0].epoch, history[history.length - 1].epoch);
  for (let i = 0; i < layers; i++) {
    line(context, history, (s) => (s.gradient_norms.length === layers ? s.gradient_norms[i] : null), y, width, layerColour(i, layers));
  }
}

const BAR_GAP = 3; // px between bars
const MAX_BAR = 90; // px, widest bar
const LABELLED_BAR = 34; // px, bars at least this wide carry their value
const RATIO_RANGE = [-6, 0]; // log10 of the update-to-weight ratio shown: 1e-6 .. 1

/**
 * The latest per-layer update-to-weight ratio (log) and saturation, as two rows of bars.
 * @param {HTMLCanvasElement} canvas @param {Sample | undefined} latest
 */
export function drawLayerBars(canvas, latest) {
  const { context, width, height } = prepare(canvas);
  if (!latest) return;
  const n = latest.update_ratios.length;
  const rows = [
    { title: "update / weight (log, 1e-6 … 1)", values: latest.update_ratios,
      scale: (/** @type {number} */ v) => (Math.log10(Math.max(v, 1e-12)) - RATIO_RANGE[0]) / (RATIO_RANGE[1] - RATIO_RANGE[0]),
      label: (/** @type {number} */ v) => short(v) },
    { title: "saturated units", values: latest.saturation,
      scale: (/** @type {number} */ v) => v, label: (/** @type {number} */ v) => `${Math.round(v * 100)}%` },
  ];
  const rowHeight = height / rows.length;
  const barWidth = Math.min(MAX_BAR, Math.max(4, (width - PAD.left - PAD.right - BAR_GAP * (n - 1)) / Math.max(1, n)));
  rows.forEach((row, r) => {
    const top = r * rowHeight + 26, bottom = (r + 1) * rowHeight - 4;
    context.fillStyle = AXIS;
    context.textAlign = "left";
    context.fillText(row.title, PAD.left, r * rowHeight + 10);
    context.strokeStyle = GRID;
    context.beginPath(); context.moveTo(PAD.left, bottom + 0.5); context.lineTo(width - PAD.right, bottom + 0.5); context.stroke();
    for (let i = 0; i < n; i++) {
      const v = row.values[i];
      if (!Number.isFinite(v)) continue;
      const t = Math.max(0, Math.min(1, row.scale(v)));
      const x = PAD.left + i * (barWidth + BAR_GAP);
      const h = Math.max(1, t * (bottom - top));
      context.fillStyle = layerColour(i, n);
      context.fillRect(x, bottom - h, barWidth, h);
      if (barWidth >= LABELLED_BAR) {
        context.fillStyle = AXIS;
        context.textAlign = "center";
        context.fillText(row.label(v), x + barWidth / 2, bottom - h - 3);
      }
    }
  });
}
