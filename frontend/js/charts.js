// @ts-check
/**
 * Charts over time, drawn on canvases: train and test loss, and gradient flow
 * (each weight layer's gradient norm on a log scale, with its latest update-to-weight
 * ratio and the share of its units that are saturated). Either marks an earlier epoch the page looks back at.
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
const MARK_COLOUR = "#c2255c"; // the epoch looked back at: a crimson no line of the charts uses
// Viridis stops (colour-blind safe, ordered dark to light): input-side layers dark, output side light.
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [190, 208, 40]];

/**
 * A colour for weight layer i of n, from viridis.
 * @param {number} i @param {number} n @param {number} [alpha] @returns {string}
 */
export function layerColour(i, n, alpha = 1) {
  const t = n <= 1 ? 0 : i / (n - 1);
  const x = t * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - k;
  const c = VIRIDIS[k].map((v, j) => Math.round(v + (VIRIDIS[k + 1][j] - v) * f));
  return alpha === 1 ? `rgb(${c[0]},${c[1]},${c[2]})` : `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
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

/** An epoch as an axis writes it: whole epochs as they are, fractions (the ConvNet lab's) to two places. @param {number} epoch */
function epochLabel(epoch) {
  return String(+epoch.toFixed(2));
}

/**
 * Axes with a few y labels; returns a function from value to y.
 * @param {CanvasRenderingContext2D} context @param {number} width @param {number} height
 * @param {number} lo @param {number} hi @param {boolean} log
 * @param {number} firstEpoch @param {number} lastEpoch @param {typeof PAD} [pad]
 */
export function axes(context, width, height, lo, hi, log, firstEpoch, lastEpoch, pad = PAD) {
  const bottom = height - pad.bottom, top = pad.top;
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
    context.beginPath(); context.moveTo(pad.left, ty); context.lineTo(width - pad.right, ty); context.stroke();
    context.fillText(short(t), pad.left - 4, ty);
  });
  context.textAlign = "left";
  context.textBaseline = "alphabetic";
  context.fillText(`epoch ${epochLabel(firstEpoch)}`, pad.left, height - 5);
  context.textAlign = "right";
  context.fillText(epochLabel(lastEpoch), width - pad.right, height - 5);
  return y;
}

/**
 * The x of an epoch on a chart of this history.
 * @param {Sample[]} history @param {number} width @param {typeof PAD} pad @returns {(epoch: number) => number}
 */
function epochToX(history, width, pad) {
  const first = history[0].epoch, span = Math.max(1, history[history.length - 1].epoch - first);
  return (e) => pad.left + ((e - first) / span) * (width - pad.left - pad.right);
}

/**
 * A vertical line at the epoch looked back at, named at its top (on the side with room).
 * @param {CanvasRenderingContext2D} context @param {Sample[]} history @param {number} epoch
 * @param {number} width @param {number} height @param {typeof PAD} pad
 */
function mark(context, history, epoch, width, height, pad) {
  const x = Math.round(epochToX(history, width, pad)(epoch)) + 0.5;
  context.strokeStyle = context.fillStyle = MARK_COLOUR;
  context.lineWidth = 2;
  context.setLineDash([]);
  context.beginPath(); context.moveTo(x, pad.top); context.lineTo(x, height - pad.bottom); context.stroke();
  const text = epochLabel(epoch);
  const room = context.measureText(text).width + 8;
  const left = x + room < width - pad.right;
  context.clearRect(left ? x + 1 : x - room, pad.top, room, 14);
  context.fillStyle = MARK_COLOUR;
  context.textAlign = left ? "left" : "right";
  context.textBaseline = "top";
  context.fillText(text, left ? x + 4 : x - 4, pad.top + 1);
  context.textBaseline = "alphabetic";
}

/**
 * A line through history values.
 * @param {CanvasRenderingContext2D} context @param {Sample[]} history
 * @param {(s: Sample, i: number) => number | null | undefined} value @param {(v: number) => number} y
 * @param {number} width @param {string} colour @param {number[]} [dash]
 * @param {{pad?: typeof PAD, lineWidth?: number}} [style]
 */
export function line(context, history, value, y, width, colour, dash = [], { pad = PAD, lineWidth = 1.6 } = {}) {
  const x = epochToX(history, width, pad);
  context.strokeStyle = colour;
  context.lineWidth = lineWidth;
  context.setLineDash(dash);
  context.beginPath();
  let drawing = false;
  for (const [i, s] of history.entries()) {
    const v = value(s, i);
    if (v == null || !Number.isFinite(v)) { drawing = false; continue; }
    if (drawing) context.lineTo(x(s.epoch), y(v)); else context.moveTo(x(s.epoch), y(v));
    drawing = true;
  }
  context.stroke();
  context.setLineDash([]);
}

/**
 * Train (grey) and test (black, dashed) loss over time.
 * @param {HTMLCanvasElement} canvas @param {Sample[]} history @param {number | null} [marked]  an epoch looked back at
 */
export function drawLoss(canvas, history, marked = null) {
  const { context, width, height } = prepare(canvas);
  if (history.length < 1) return;
  let hi = 0;
  for (const s of history) for (const v of [s.train_loss, s.test_loss]) if (v != null && Number.isFinite(v)) hi = Math.max(hi, v);
  const y = axes(context, width, height, 0, hi || 1, false, history[0].epoch, history[history.length - 1].epoch);
  line(context, history, (s) => s.train_loss, y, width, TRAIN_COLOUR);
  line(context, history, (s) => s.test_loss, y, width, TEST_COLOUR, [4, 3]);
  if (marked !== null) mark(context, history, marked, width, height, PAD);
}

const FLOW_PAD = { ...PAD, right: 34 }; // the gradient chart keeps room on the right for its line names
const FLOW_SMOOTHING = 0.85; // weight of the past in the running mean (in log space) drawn over the noisy norms
const RAW_ALPHA = 0.22; // opacity of the raw per-frame norms behind the running mean
const NAME_GAP = 11; // px at least between two line names at the right edge

/**
 * The short name of weight layer i of n at the end of its line: L1, L2, …, out.
 * @param {number} i @param {number} n
 */
function layerName(i, n) {
  return i === n - 1 ? "out" : `L${i + 1}`;
}

/**
 * The gradient-flow legend: a swatch and a name for each weight layer.
 * @param {HTMLElement} element @param {number} n  weight layers
 * @param {string[]} [names]  what each layer is called (a lab's own names; "layer 1", …, "output" unless given)
 */
export function drawLegend(element, n, names) {
  element.replaceChildren(...Array.from({ length: n }, (_, i) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = layerColour(i, n);
    item.append(swatch, `${names?.[i] ?? (i === n - 1 ? "output" : `layer ${i + 1}`)} (${layerName(i, n)})`);
    return item;
  }));
}

/**
 * Per-layer gradient norm over time on a log scale, one viridis line per weight layer: the raw
 * per-frame norms faint, a running mean in log space bold, and each line named at its right end,
 * so a layer whose gradient sits orders of magnitude below the others is plain to see.
 * @param {HTMLCanvasElement} canvas @param {Sample[]} history @param {number | null} [marked]  an epoch looked back at
 */
export function drawGradientFlow(canvas, history, marked = null) {
  const { context, width, height } = prepare(canvas);
  if (history.length < 1) return;
  const layers = history[history.length - 1].gradient_norms.length;
  let lo = Infinity, hi = 0;
  for (const s of history) for (const v of s.gradient_norms) if (Number.isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > 0)) { lo = 1e-4; hi = 1; }
  lo = Math.max(MIN_LOG, 10 ** Math.floor(Math.log10(lo)));
  hi = 10 ** Math.ceil(Math.log10(hi));
  if (hi <= lo) hi = lo * 10;
  const y = axes(context, width, height, lo, hi, true, history[0].epoch, history[history.length - 1].epoch, FLOW_PAD);
  /** @type {{name: string, colour: string, y: number}[]} */
  const ends = [];
  for (let i = 0; i < layers; i++) {
    const raw = history.map((s) => (s.gradient_norms.length === layers ? s.gradient_norms[i] : NaN));
    const smooth = runningMean(raw);
    const colour = layerColour(i, layers);
    line(context, history, (_, k) => raw[k], y, width, layerColour(i, layers, RAW_ALPHA), [], { pad: FLOW_PAD, lineWidth: 1 });
    line(context, history, (_, k) => smooth[k], y, width, colour, [], { pad: FLOW_PAD, lineWidth: 2.2 });
    const last = smooth.findLast(Number.isFinite);
    if (last !== undefined) ends.push({ name: layerName(i, layers), colour, y: y(last) });
  }
  // Names at the right edge, nudged apart where lines end close together.
  ends.sort((a, b) => a.y - b.y);
  for (let k = 1; k < ends.length; k++) ends[k].y = Math.max(ends[k].y, ends[k - 1].y + NAME_GAP);
  const overflow = ends.length ? ends[ends.length - 1].y - (height - FLOW_PAD.bottom) : 0;
  if (overflow > 0) for (const end of ends) end.y -= overflow;
  for (let k = ends.length - 2; k >= 0; k--) ends[k].y = Math.min(ends[k].y, ends[k + 1].y - NAME_GAP);
  context.font = `600 ${FONT}`;
  context.textAlign = "left";
  context.textBaseline = "middle";
  for (const end of ends) {
    context.fillStyle = end.colour;
    context.fillText(end.name, width - FLOW_PAD.right + 4, end.y);
  }
  if (marked !== null) {
    context.font = FONT;
    mark(context, history, marked, width, height, FLOW_PAD);
  }
}

/**
 * An exponential running mean of positive values in log space (a geometric mean); gaps stay gaps.
 * @param {number[]} values @returns {number[]}
 */
function runningMean(values) {
  let mean = NaN;
  return values.map((v) => {
    if (!(Number.isFinite(v) && v > 0)) { mean = NaN; return NaN; }
    const log = Math.log10(v);
    mean = Number.isFinite(mean) ? FLOW_SMOOTHING * mean + (1 - FLOW_SMOOTHING) * log : log;
    return 10 ** mean;
  });
}

const BAR_GAP = 3; // px between bars
const MAX_BAR = 90; // px, widest bar
const LABELLED_BAR = 34; // px, bars at least this wide carry their value
const RATIO_RANGE = [-6, 0]; // log10 of the update-to-weight ratio shown: 1e-6 .. 1

/**
 * The latest per-layer update-to-weight ratio (log) and saturation, as two rows of bars (one where the frames
 * carry no saturation, as the ConvNet lab's).
 * @param {HTMLCanvasElement} canvas @param {Sample | undefined} latest
 */
export function drawLayerBars(canvas, latest) {
  const { context, width, height } = prepare(canvas);
  if (!latest) return;
  const n = latest.update_ratios.length;
  const rows = /** @type {{title: string, values: Float32Array, scale: (v: number) => number, label: (v: number) => string}[]} */ ([
    { title: "update / weight (log, 1e-6 … 1)", values: latest.update_ratios,
      scale: (/** @type {number} */ v) => (Math.log10(Math.max(v, 1e-12)) - RATIO_RANGE[0]) / (RATIO_RANGE[1] - RATIO_RANGE[0]),
      label: (/** @type {number} */ v) => short(v) },
    { title: "saturated units", values: latest.saturation,
      scale: (/** @type {number} */ v) => v, label: (/** @type {number} */ v) => `${Math.round(v * 100)}%` },
  ]).filter((row) => row.values.length);
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
