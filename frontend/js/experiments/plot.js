// @ts-check
/**
 * One plot of an experiment as a figure: its title, PNG and CSV buttons, its chart (or a histogram's small
 * multiples, one chart per layer), a legend naming each series key, and a line saying what lines and bands
 * are. It redraws from each new PlotData, making its charts again only when their lines change.
 */
import { alignedData, createChart, formatNumber, styleOf } from "./chart.js";
import { fileName, saveBlob, saveText } from "./files.js";
import { make } from "./make.js";
import { plotCSV } from "./series.js";

const HEIGHT = 250; // px of a plot's chart
const SMALL_HEIGHT = 140; // px of one panel of small multiples
const FALLBACK_WIDTH = 320; // px, for a chart made before its box is laid out (the resize observer corrects it)
const PNG_PAD = 12; // px around a saved picture's content, in CSS pixels
const PNG_TITLE = "600 14px system-ui, sans-serif";
const PNG_TEXT = "12px system-ui, sans-serif";
const PNG_LINE = 18; // px between lines of a saved picture's legend
const INK = "#1d2329";

/** @typedef {import("./series.js").PlotData} PlotData */

/**
 * A plot's figure, empty until its first data.
 * @param {import("./api.js").PlotSpec} spec
 */
export function createPlot(spec) {
  const small = spec.kind === "histogram";
  const pngButton = make("button", { type: "button", textContent: "PNG", title: "Save this plot as a picture", disabled: true });
  const csvButton = make("button", { type: "button", textContent: "CSV", title: "Save this plot's numbers (x, series, mean, min, max)", disabled: true });
  const charts = make("div", { className: small ? "charts multiples" : "charts" });
  const empty = make("p", { className: "plot-empty", textContent: "The plot fills in as networks finish." });
  const at = make("p", { className: "plot-at", ariaLive: "off" });
  const legend = make("ul", { className: "plot-legend", ariaLabel: "Series" });
  const note = make("p", { className: "plot-note", textContent: notes(spec) });
  const figure = make("figure", { className: "plot", data: { kind: spec.kind, lines: "0" } },
    make("figcaption", {}, make("h3", { textContent: spec.title }), make("span", { className: "plot-actions" }, pngButton, csvButton)),
    empty, charts, at, legend, note);

  /** @type {{chart: import("../../vendor/uplot/uPlot.esm.js"), box: HTMLElement, height: number}[]} */
  let panels = [];
  /** @type {PlotData | null} */
  let data = null;
  let shape = "";
  const resized = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const panel = panels.find((p) => p.box === entry.target);
      const width = Math.floor(entry.contentRect.width);
      if (panel && width > 0 && width !== panel.chart.width) panel.chart.setSize({ width, height: panel.height });
    }
  });

  /** Make the charts again for data whose lines or x differ from the last. @param {PlotData} next */
  function rebuild(next) {
    destroyCharts();
    charts.replaceChildren();
    panels = next.panels.map((panel, p) => {
      const box = make("div", { className: "chart" });
      if (small) charts.append(make("div", { className: "panel-box" }, make("h4", { textContent: panel.title }), box));
      else charts.append(box);
      const height = small ? SMALL_HEIGHT : HEIGHT;
      const width = box.clientWidth || FALLBACK_WIDTH;
      const chart = createChart(box, next, panel, { width, height, small, cursor: (index) => readOut(p, index) });
      resized.observe(box);
      return { chart, box, height };
    });
  }

  /** The legend's values at the cursor. @param {number} p  the panel @param {number | null} index */
  function readOut(p, index) {
    if (!data) return;
    const panel = data.panels[p];
    const x = index === null ? null : data.ticks ? data.ticks[index] : formatNumber(data.x[index]);
    at.textContent = x === null ? "" : `${small ? `${panel.title}, ` : ""}${data.xLabel || "x"} ${x}`;
    for (const item of legend.querySelectorAll("li[data-key]")) {
      const line = panel.lines.find((l) => l.key === /** @type {HTMLElement} */ (item).dataset.key);
      const value = /** @type {HTMLElement} */ (item.querySelector(".value"));
      const mean = index === null || !line ? null : line.mean[index];
      value.textContent = mean === null ? "" : data.bands && line
        ? `${formatNumber(mean)} (${formatNumber(line.min[index ?? 0])}–${formatNumber(line.max[index ?? 0])})`
        : formatNumber(mean);
    }
  }

  function drawLegend() {
    if (!data) return;
    const title = data.seriesLabel ? [make("li", { className: "legend-title", textContent: `${data.seriesLabel}:` })] : [];
    legend.replaceChildren(...title, ...data.keys.map((key, i) => {
      const { colour, dash } = styleOf(i);
      const swatch = make("i", { ariaHidden: "true" });
      swatch.style.background = dash.length ? `repeating-linear-gradient(90deg, ${colour} 0 ${dash[0]}px, transparent 0 ${dash[0] + dash[1]}px)` : colour;
      return make("li", { data: { key } }, swatch, make("span", { className: "key", textContent: key }), make("span", { className: "value" }));
    }));
  }

  function destroyCharts() {
    for (const panel of panels) {
      resized.unobserve(panel.box);
      panel.chart.destroy();
    }
    panels = [];
  }

  /** The plot as one picture: its title, its charts where they sit on the page, and its legend. @returns {Promise<Blob>} */
  function picture() {
    const ratio = window.devicePixelRatio || 1;
    const frame = charts.getBoundingClientRect();
    const keys = data?.keys ?? [];
    const heading = data?.seriesLabel ? `${data.seriesLabel}:` : "";
    const canvas = document.createElement("canvas");
    const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    context.font = PNG_TEXT;
    const width = frame.width + 2 * PNG_PAD;
    /** @type {[string, number, number][]} */
    const places = []; // each key and where its legend entry goes
    let x = PNG_PAD + (heading ? context.measureText(heading).width + 12 : 0), y = 0;
    for (const key of keys) {
      const entry = 22 + context.measureText(key).width + 16;
      if (x + entry > width - PNG_PAD && x > PNG_PAD) { x = PNG_PAD; y += PNG_LINE; }
      places.push([key, x, y]);
      x += entry;
    }
    const top = PNG_PAD + 22, legendTop = top + frame.height + 10;
    canvas.width = Math.ceil(width * ratio);
    canvas.height = Math.ceil((legendTop + y + PNG_LINE + PNG_PAD) * ratio);
    context.scale(ratio, ratio);
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = INK;
    context.font = PNG_TITLE;
    context.fillText(spec.title, PNG_PAD, PNG_PAD + 12);
    context.font = PNG_TEXT;
    context.textAlign = "center"; // a small multiple's caption, centred over its chart as on the page
    for (const caption of charts.querySelectorAll("h4")) {
      const r = caption.getBoundingClientRect();
      context.fillText(caption.textContent ?? "", PNG_PAD + r.left + r.width / 2 - frame.left, top + r.bottom - frame.top - 4);
    }
    context.textAlign = "start";
    for (const panel of panels) {
      const source = panel.chart.ctx.canvas, r = source.getBoundingClientRect();
      context.drawImage(source, PNG_PAD + r.left - frame.left, top + r.top - frame.top, r.width, r.height);
    }
    context.fillStyle = INK;
    if (heading) context.fillText(heading, PNG_PAD, legendTop + 12);
    places.forEach(([key, px, py], i) => {
      const { colour, dash } = styleOf(i);
      context.strokeStyle = colour;
      context.lineWidth = 3;
      context.setLineDash(dash);
      context.beginPath();
      context.moveTo(px, legendTop + py + 8);
      context.lineTo(px + 16, legendTop + py + 8);
      context.stroke();
      context.fillStyle = INK;
      context.fillText(key, px + 22, legendTop + py + 12);
    });
    return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no picture"))), "image/png"));
  }

  pngButton.addEventListener("click", async () => saveBlob(await picture(), fileName(spec.title, "png")));
  csvButton.addEventListener("click", () => { if (data) saveText(plotCSV(data), fileName(spec.title, "csv"), "text/csv"); });

  return {
    figure,
    /** Draw these data. @param {PlotData} next */
    update(next) {
      data = next;
      const nextShape = JSON.stringify([next.x, next.ticks, next.keys, next.panels.map((p) => [p.title, p.lines.map((l) => l.key)])]);
      if (nextShape !== shape) {
        shape = nextShape;
        drawLegend();
        rebuild(next);
      } else {
        panels.forEach((p, i) => p.chart.setData(alignedData(next, next.panels[i])));
      }
      const drawn = next.keys.length > 0;
      empty.hidden = drawn;
      pngButton.disabled = csvButton.disabled = !drawn;
      figure.dataset.lines = String(next.keys.length);
    },
    /** Draw nothing (a new experiment starts). */
    clear() {
      destroyCharts();
      charts.replaceChildren();
      legend.replaceChildren();
      at.textContent = "";
      data = null;
      shape = "";
      empty.hidden = false;
      pngButton.disabled = csvButton.disabled = true;
      figure.dataset.lines = "0";
    },
  };
}

/** What a plot's lines and bands are. @param {import("./api.js").PlotSpec} spec */
function notes(spec) {
  if (spec.kind === "histogram") return "Each line: the mean over seeds of the share of a layer's activations in each bin, at initialisation.";
  const mean = spec.log_y ? "the geometric mean over seeds" : "the mean over seeds";
  return `Each line: ${mean}; its band: the lowest to the highest.`;
}
