// @ts-check
/**
 * The layer view: for the pixels and every hidden layer, the test images projected onto their first two
 * principal components there, one dot per image in its class's colour, and how well a linear classifier
 * reads the class from that layer (the probe's test accuracy). Measured by the server (GET .../layer-view)
 * when training pauses and every few seconds while it runs (measured.js).
 */
import { prepare } from "../charts.js";
import { getLayerView } from "./api.js";
import { measured } from "./measured.js";

const REFRESH_MS = 5000; // while training, the view is measured again after this long (a probe per layer)
// One colour per class (Tableau 10): a class keeps its colour in every layer.
const CLASS_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
  "#9c755f", "#bab0ac"];
const DOT = 2.2; // px, a test image's dot
const INSET = 6; // px between the plot's edge and the farthest dot

/** @typedef {{name: string, units: number, probe_accuracy: number | null, projection: number[][]}} Stage */

/**
 * @param {{stages: HTMLElement, legend: HTMLElement}} parts
 * @param {{id: () => string | null}} lab
 */
export function createLayerView(parts, lab) {
  /** @type {Stage[] | null} */ let stages = null;
  /** @type {Uint8Array} */ let labels = new Uint8Array(0);
  /** @type {string[]} */ let classes = [];
  let step = 0;

  const measuring = measured(getLayerView, (view, at) => {
    stages = view && view.stages;
    step = at;
    build();
  }, { id: lab.id, everyMs: REFRESH_MS, panel: parts.stages.parentElement ?? parts.stages });

  /** One figure per stage: its name and size, the projection, the probe's accuracy. */
  function build() {
    if (!stages) {
      parts.stages.replaceChildren();
      return;
    }
    const figures = stages.map((stage) => {
      const figure = document.createElement("figure");
      figure.className = "view-stage";
      figure.dataset.stage = stage.name;
      const title = document.createElement("figcaption");
      const probe = document.createElement("b");
      probe.className = "probe";
      probe.textContent = stage.probe_accuracy == null ? "–" : `${(stage.probe_accuracy * 100).toFixed(1)}%`;
      title.append(`${stage.name} · ${stage.units} units`, document.createElement("br"), "linear probe ", probe);
      const canvas = document.createElement("canvas");
      canvas.className = "view-plot";
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `The test images projected onto ${stage.name}'s first two principal components`);
      figure.append(canvas, title);
      return figure;
    });
    parts.stages.replaceChildren(...figures);
    parts.stages.title = `Measured at step ${step}`;
    draw();
  }

  /** The dots, on canvases sized by the layout. */
  function draw() {
    if (!stages) return;
    [...parts.stages.querySelectorAll("canvas")].forEach((canvas, i) => {
      const { context, width, height } = prepare(/** @type {HTMLCanvasElement} */ (canvas));
      const half = Math.min(width, height) / 2 - INSET;
      const projection = /** @type {Stage[]} */ (stages)[i].projection;
      projection.forEach(([x, y], n) => {
        context.fillStyle = CLASS_COLOURS[labels[n] % CLASS_COLOURS.length];
        context.fillRect(width / 2 + x * half - DOT / 2, height / 2 - y * half - DOT / 2, DOT, DOT);
      });
    });
  }

  /** The colour key: a swatch and a name per class. */
  function legend() {
    parts.legend.replaceChildren(...classes.map((name, c) => {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = CLASS_COLOURS[c % CLASS_COLOURS.length];
      item.append(swatch, name);
      return item;
    }));
  }

  return {
    /** A new network's test labels (the projections' order) and class names. @param {Uint8Array} testLabels @param {string[]} names */
    setImages(testLabels, names) {
      labels = testLabels;
      classes = names;
      legend();
    },
    /** A frame came: measure again when due. @param {Record<string, any>} meta */
    frame: measuring.frame,
    /** Training paused: measure the paused network. */
    paused: measuring.paused,
    /** The page's size changed. */
    redraw: draw,
  };
}
