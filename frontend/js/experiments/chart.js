// @ts-check
/**
 * One uPlot chart of a plot's panel: each series key's mean as a line, with a band from its lowest to its
 * highest value; log axes where the plot says; a categorical axis labelled at 0, 1, 2, … .
 */
import uPlot from "../../vendor/uplot/uPlot.esm.js";

// Okabe and Ito's colour-blind-safe palette (its yellow left out: too pale on white), then the page's ink.
const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#1d2329", "#8c6d31"];
const DASHES = [[], [7, 4], [2, 3]]; // past the palette, its colours again with these dashes
const BAND_ALPHA = 0.16; // opacity of a lowest-to-highest band
const AXIS = "#8a9199"; // axis and tick label grey, as the playground's charts
const GRID = "#e6e9ec"; // grid line grey
const FONT = "11px system-ui, sans-serif";
const LABEL_FONT = "12px system-ui, sans-serif";
const POINTS_UP_TO = 24; // a line over this few x shows its points
const TICK_CHARACTERS = 22; // a category's label is cut after this many characters (the CSV keeps it whole)
const CHARACTER_PX = 6.2; // a tick label character's rough width, to tell whether the labels must slant
const SLANT = -35; // degrees the labels of a crowded categorical axis turn
const MARGIN = 0.04; // of a numeric x axis's span, left free at each end (on a log axis, of its decades)
const MAX_UNIT_SPLITS = 9; // a numeric axis spanning at most this many units is marked at each whole number
const LABEL_PX = 6.5; // an axis title character's rough width, to cut a title longer than its axis

/** @typedef {{colour: string, dash: number[]}} LineStyle */

/** The style of the series key at place i of a plot's keys. @param {number} i @returns {LineStyle} */
export function styleOf(i) {
  return { colour: PALETTE[i % PALETTE.length], dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length] };
}

/** @param {string} hex @param {number} alpha */
function transparent(hex, alpha) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

/** A tick's number, short: 3 significant digits, powers of ten for the very small and large. @param {number | null} v */
export function formatNumber(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "";
  const size = Math.abs(v);
  if (v !== 0 && (size < 1e-2 || size >= 1e5)) return v.toExponential(size.toExponential(0) === size.toExponential() ? 0 : 1);
  return String(Number(v.toPrecision(3)));
}

/** @param {string} label @param {number} [length] */
function shortened(label, length = TICK_CHARACTERS) {
  return label.length > length ? `${label.slice(0, Math.max(1, length - 1))}…` : label;
}

/**
 * Grid lines and ticks only where the axis writes a value: a log axis otherwise draws one at every 2, 3, … 9
 * of each decade. The axis's own filter is uPlot's, which thins the labels to the room there is.
 * @type {uPlot.Axis.Filter}
 */
const labelled = (u, splits, i, space, increment) => {
  const filter = u.axes[i].filter;
  return typeof filter === "function" ? filter(u, splits, i, space, increment) : splits;
};

/**
 * A numeric axis's range: its values with a margin, rather than uPlot's rounding out to the next decade.
 * @param {number[]} x @param {boolean} log @returns {uPlot.Range.MinMax}
 */
function rangeOf(x, log) {
  if (!x.length) return [0, 1];
  const [low, high] = log ? [Math.log10(x[0]), Math.log10(x[x.length - 1])] : [x[0], x[x.length - 1]];
  const margin = high > low ? MARGIN * (high - low) : log ? 0.5 : 1;
  return log ? [10 ** (low - margin), 10 ** (high + margin)] : [low - margin, high + margin];
}

/**
 * Marks of a log axis at 1, 2 and 5 times each power of ten within its range (uPlot's own start at the range's
 * low end, 16.8, 168, …, when the range is not whole decades).
 * @param {uPlot.Range.MinMax} range @returns {number[]}
 */
function logSplits([low, high]) {
  if (low === null || high === null || low <= 0) return [];
  const splits = [];
  for (let power = Math.floor(Math.log10(low)); power <= Math.ceil(Math.log10(high)); power++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** power).toPrecision(1));
      if (v >= low && v <= high) splits.push(v);
    }
  }
  return splits;
}

/**
 * Whole-number marks for an axis spanning a few units (a histogram's bins, -2 to 2), else uPlot's own.
 * @param {uPlot.Range.MinMax} range @returns {Partial<uPlot.Axis>}
 */
function unitSplits([low, high]) {
  if (low === null || high === null || high - low > MAX_UNIT_SPLITS) return {};
  const first = Math.ceil(low);
  const splits = Array.from({ length: Math.floor(high) - first + 1 }, (_, i) => first + i);
  return { splits: () => splits };
}

/**
 * The x axis and its scale: categories at 0, 1, 2, … with their labels (slanted when crowded), or numbers.
 * @param {import("./series.js").PlotData} data @param {number} width
 * @returns {{scale: uPlot.Scale, axis: uPlot.Axis}}
 */
function xAxis(data, width) {
  const base = { label: data.xLabel, stroke: AXIS, font: FONT, labelFont: LABEL_FONT, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID } };
  if (!data.ticks) {
    const log = Boolean(data.spec.log_x);
    const range = rangeOf(data.x, log);
    const marks = log ? { filter: labelled } : {};
    return {
      scale: { time: false, distr: log ? 3 : 1, log: 10, range },
      axis: {
        ...base, grid: { ...base.grid, ...marks }, ticks: { ...base.ticks, ...marks },
        ...(log ? { splits: () => logSplits(range) } : unitSplits(range)), values: (_u, splits) => splits.map(formatNumber),
      },
    };
  }
  const ticks = data.ticks.map((t) => shortened(t));
  const longest = Math.max(...ticks.map((t) => t.length));
  const crowded = longest * CHARACTER_PX > (width - 60) / Math.max(1, ticks.length);
  return {
    scale: { time: false, range: [-0.5, ticks.length - 0.5] },
    axis: {
      ...base,
      splits: () => data.x,
      values: (_u, splits) => splits.map((s) => ticks[s] ?? ""),
      ...(crowded ? { rotate: SLANT, size: Math.min(140, 24 + longest * CHARACTER_PX * 0.6) } : {}),
    },
  };
}

/**
 * The data uPlot draws for a panel: x, then each line's mean (and its lowest and highest, with bands).
 * @param {import("./series.js").PlotData} data @param {import("./series.js").Panel} panel
 * @returns {uPlot.AlignedData}
 */
export function alignedData(data, panel) {
  return [data.x, ...panel.lines.flatMap((l) => (data.bands ? [l.mean, l.min, l.max] : [l.mean]))];
}

/**
 * A chart of one panel in `box`.
 * @param {HTMLElement} box @param {import("./series.js").PlotData} data @param {import("./series.js").Panel} panel
 * @param {{width: number, height: number, small: boolean, cursor: (index: number | null) => void}} how
 * @returns {uPlot}
 */
export function createChart(box, data, panel, how) {
  const { scale, axis } = xAxis(data, how.width);
  /** @type {uPlot.Series[]} */
  const series = [{}];
  /** @type {uPlot.Band[]} */
  const bands = [];
  panel.lines.forEach((line) => {
    const { colour, dash } = styleOf(data.keys.indexOf(line.key));
    const points = { show: data.x.length <= POINTS_UP_TO && !how.small, size: 5, fill: colour };
    series.push({ label: line.key, stroke: colour, width: how.small ? 1.5 : 2, dash, spanGaps: true, points });
    if (data.bands) {
      const edge = { stroke: transparent(colour, 0.35), width: 0.5, spanGaps: true, points: { show: false } };
      series.push({ ...edge, label: `${line.key}, lowest` }, { ...edge, label: `${line.key}, highest` });
      bands.push({ series: [series.length - 1, series.length - 2], fill: transparent(colour, BAND_ALPHA) });
    }
  });
  const yLabel = how.small ? undefined : shortened(data.yLabel, Math.floor((how.height - 60) / LABEL_PX));
  const yMarks = data.spec.log_y ? { filter: labelled } : {};
  return new uPlot({
    width: how.width, height: how.height, series, bands,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: { x: scale, y: { distr: data.spec.log_y ? 3 : 1, log: 10 } },
    axes: [
      how.small ? { ...axis, label: undefined, size: 30 } : axis,
      { label: yLabel, stroke: AXIS, font: FONT, labelFont: LABEL_FONT, grid: { stroke: GRID, width: 1, ...yMarks },
        ticks: { stroke: GRID, ...yMarks }, values: (_u, splits) => splits.map(formatNumber), size: how.small ? 40 : 52 },
    ],
    hooks: { setCursor: [(u) => how.cursor(u.cursor.idx ?? null)] },
  }, alignedData(data, panel), box);
}
