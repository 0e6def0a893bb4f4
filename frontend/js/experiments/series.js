// @ts-check
/**
 * From an experiment's rows to what one plot shows, as docs/experiments.md defines the plot kinds: the rows
 * grouped by series key, and for each key the mean (geometric on a log axis), lowest and highest over its rows
 * at each x. Pure: no drawing here (plot.js draws), so the CSV a plot offers is exactly what it draws.
 */

/**
 * @typedef {import("./api.js").PlotSpec} PlotSpec
 * @typedef {import("./api.js").Row} Row
 * @typedef {import("./api.js").StatusAxis} StatusAxis
 *
 * @typedef {Object} Line  one series key's values at each x (null where it has none)
 * @property {string} key
 * @property {(number | null)[]} mean
 * @property {(number | null)[]} min
 * @property {(number | null)[]} max
 * @property {number[]} count  the values each point is over
 *
 * @typedef {{title: string, lines: Line[]}} Panel  one chart; a histogram has one per layer
 *
 * @typedef {Object} PlotData
 * @property {PlotSpec} spec
 * @property {string} xLabel
 * @property {string} yLabel
 * @property {number[]} x  ascending positions
 * @property {string[] | null} ticks  the label at each position of a categorical axis; null: x is a number
 * @property {string[]} keys  every series key, in order: a key's colour follows its place here
 * @property {string} seriesLabel  what tells the keys apart: the series axes' labels ("" when nothing does)
 * @property {Panel[]} panels
 * @property {boolean} bands  whether each line has a band from its lowest to its highest value
 *
 * @typedef {Object} Context  what a plot reads besides its rows
 * @property {StatusAxis[]} axes  the experiment's, with their values' labels
 * @property {import("./api.js").Options} options
 */

const NETWORKS = "networks"; // the key of rows that no series axis tells apart
const JOIN = " · "; // between the parts of a series key (a features label has commas of its own)
const NUMERIC = new Set(["int", "number"]); // axes plotted at their values rather than at 0, 1, 2, …

/**
 * A row's series key and the order it sorts in (each series axis's value index; networks before baselines).
 * @param {Row} row @param {string[]} series @param {Context} context
 * @returns {{key: string, order: number[]}}
 */
function keyOf(row, series, context) {
  const parts = [], order = [];
  for (const name of series) {
    if (name === "model") {
      const baseline = context.options.baselines.findIndex((b) => b.name === row.model);
      order.push(row.model === "network" ? -1 : baseline);
      if (row.model !== "network") parts.push(context.options.baselines[baseline]?.label ?? row.model);
      continue;
    }
    const k = context.axes.findIndex((a) => a.name === name);
    const c = k < 0 ? null : row.cell[k];
    order.push(c ?? -1);
    if (c !== null && c !== undefined) parts.push(context.axes[k].labels[c]);
  }
  return { key: parts.join(JOIN) || NETWORKS, order };
}

/** @param {number[]} a @param {number[]} b */
function compareOrders(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** @param {unknown} v @param {boolean} [log] @returns {v is number} */
function usable(v, log = false) {
  return typeof v === "number" && Number.isFinite(v) && (!log || v > 0);
}

/**
 * The mean of values: on a log axis the geometric mean (values spread over decades would put the arithmetic
 * one above most of them; the lessons' tests take the geometric mean too).
 * @param {number[]} values @param {boolean} log
 */
function mean(values, log) {
  if (log) return Math.exp(values.reduce((s, x) => s + Math.log(x), 0) / values.length);
  return values.reduce((s, x) => s + x, 0) / values.length;
}

/**
 * Values gathered per panel, key and x position, then reduced to lines (geometric means on a log axis).
 * @param {number} panels @param {number} positions @param {boolean} [log]
 */
function gatherer(panels, positions, log = false) {
  /** @type {Map<string, {order: number[], values: number[][][]}>} */
  const keys = new Map();
  return {
    /** @param {{key: string, order: number[]}} key @param {number} panel @param {number} at @param {number} value */
    add(key, panel, at, value) {
      let entry = keys.get(key.key);
      if (!entry) {
        entry = { order: key.order, values: Array.from({ length: panels }, () => Array.from({ length: positions }, () => [])) };
        keys.set(key.key, entry);
      }
      entry.values[panel][at].push(value);
    },
    /** @param {string[]} titles @returns {{keys: string[], panels: Panel[]}} */
    reduce(titles) {
      const sorted = [...keys.entries()].sort((a, b) => compareOrders(a[1].order, b[1].order));
      const panels = titles.map((title, p) => ({
        title,
        lines: sorted.filter(([, e]) => e.values[p].some((v) => v.length)).map(([key, e]) => {
          const at = e.values[p];
          return {
            key,
            mean: at.map((v) => (v.length ? mean(v, log) : null)),
            min: at.map((v) => (v.length ? Math.min(...v) : null)),
            max: at.map((v) => (v.length ? Math.max(...v) : null)),
            count: at.map((v) => v.length),
          };
        }),
      }));
      return { keys: sorted.map(([key]) => key), panels };
    },
  };
}

/**
 * A measure against an axis: numbers at their values, any other kind at 0, 1, 2, … labelled. A row with no
 * value on the x axis (a baseline, where the axis leaves the data alone) counts at every x.
 * @param {PlotSpec} spec @param {Row[]} rows @param {Context} context @returns {Omit<PlotData, "seriesLabel">}
 */
function measurePlot(spec, rows, context) {
  const k = context.axes.findIndex((a) => a.name === spec.x);
  const axis = context.axes[k];
  const numeric = Boolean(axis && NUMERIC.has(axis.kind));
  /** @type {number[]} */
  let x;
  /** @type {(number | undefined)[]} */
  let slot; // the position of each of the axis's values (undefined: not drawn, ≤ 0 on a log axis)
  if (!axis) {
    x = [0];
    slot = [0];
  } else if (numeric) {
    x = [...new Set(axis.values.map(Number))].filter((v) => usable(v, spec.log_x)).sort((a, b) => a - b);
    slot = axis.values.map((v) => { const i = x.indexOf(Number(v)); return i < 0 ? undefined : i; });
  } else {
    x = axis.values.map((_, i) => i);
    slot = x;
  }
  const gather = gatherer(1, x.length, spec.log_y);
  for (const row of rows) {
    const value = row.measures?.[spec.y ?? ""];
    if (!usable(value, spec.log_y)) continue;
    const key = keyOf(row, spec.series, context);
    const c = axis ? row.cell[k] : 0;
    const at = c === null || c === undefined ? x.map((_, i) => i) : [slot[c]];
    for (const i of at) if (i !== undefined) gather.add(key, 0, i, value);
  }
  const measure = context.options.measures.find((m) => m.name === spec.y);
  return {
    spec, x, ticks: numeric ? null : axis ? axis.labels : ["all networks"], bands: true,
    xLabel: axis?.label ?? "", yLabel: measure?.label ?? spec.y ?? "", ...gather.reduce([""]),
  };
}

/**
 * A curve over the recorded epochs.
 * @param {PlotSpec} spec @param {Row[]} rows @param {Context} context @returns {Omit<PlotData, "seriesLabel">}
 */
function curvePlot(spec, rows, context) {
  const name = spec.y ?? "";
  const recorded = rows.filter((r) => r.curves?.[name] && r.epochs);
  const x = [...new Set(recorded.flatMap((r) => /** @type {number[]} */ (r.epochs)))]
    .filter((e) => usable(e, spec.log_x)).sort((a, b) => a - b);
  const position = new Map(x.map((e, i) => [e, i]));
  const gather = gatherer(1, x.length, spec.log_y);
  for (const row of recorded) {
    const key = keyOf(row, spec.series, context);
    const values = /** @type {(number | null)[]} */ (row.curves?.[name]);
    /** @type {number[]} */ (row.epochs).forEach((epoch, i) => {
      const at = position.get(epoch);
      const value = values[i];
      if (at !== undefined && usable(value, spec.log_y)) gather.add(key, 0, at, value);
    });
  }
  const curve = context.options.curves.find((c) => c.name === name);
  return { spec, x, ticks: null, bands: true, xLabel: "epoch", yLabel: curve?.label ?? name, ...gather.reduce([""]) };
}

/**
 * The activations at initialisation, one panel per layer: the hidden layers input side first, then the
 * output unit (a shallower network's output unit joins the deeper ones' in the last panel).
 * @param {PlotSpec} spec @param {Row[]} rows @param {Context} context @returns {Omit<PlotData, "seriesLabel">}
 */
function histogramPlot(spec, rows, context) {
  const edges = context.options.histogram_edges;
  const x = edges.slice(1).map((e, i) => (e + edges[i]) / 2);
  const layered = rows.filter((r) => r.activations?.histogram?.length);
  const hidden = Math.max(0, ...layered.map((r) => /** @type {number[][]} */ (r.activations?.histogram).length - 1));
  const titles = [...Array.from({ length: hidden }, (_, i) => `hidden layer ${i + 1}`), "output unit"];
  const gather = gatherer(titles.length, x.length);
  for (const row of layered) {
    const key = keyOf(row, spec.series, context);
    const layers = /** @type {number[][]} */ (row.activations?.histogram);
    layers.forEach((shares, j) => {
      const panel = j === layers.length - 1 ? hidden : j;
      shares.forEach((share, i) => { if (i < x.length && usable(share)) gather.add(key, panel, i, share); });
    });
  }
  return {
    spec, x, ticks: null, bands: false, xLabel: "activation at initialisation", yLabel: "share of activations",
    ...gather.reduce(titles),
  };
}

const KINDS = { measure: measurePlot, curve: curvePlot, histogram: histogramPlot };

/**
 * What a plot shows of these rows.
 * @param {PlotSpec} spec @param {Row[]} rows @param {Context} context @returns {PlotData}
 */
export function plotData(spec, rows, context) {
  const seriesLabel = spec.series.map((name) => (name === "model"
    ? "model" : context.axes.find((a) => a.name === name)?.label ?? name)).join(JOIN);
  return { ...(KINDS[spec.kind] ?? measurePlot)(spec, rows, context), seriesLabel };
}

/** A CSV field, quoted where it must be (RFC 4180). @param {string | number | null} value */
function field(value) {
  const text = value === null ? "" : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A plot's data as CSV: one line per series key and x (a histogram's lines name their layer first).
 * @param {PlotData} data @returns {string}
 */
export function plotCSV(data) {
  const layered = data.panels.length > 1 || data.spec.kind === "histogram";
  const lines = [[...(layered ? ["layer"] : []), "x", "series", "mean", "min", "max"].join(",")];
  for (const panel of data.panels) {
    for (const line of panel.lines) {
      data.x.forEach((x, i) => {
        if (!line.count[i]) return;
        const at = data.ticks ? data.ticks[i] : x;
        lines.push([...(layered ? [panel.title] : []), at, line.key, line.mean[i], line.min[i], line.max[i]].map(field).join(","));
      });
    }
  }
  return `${lines.join("\n")}\n`;
}
