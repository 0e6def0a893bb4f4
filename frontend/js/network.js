// @ts-check
/**
 * The network diagram: feature nodes with maps of their values, hidden neurons with live
 * thumbnails, links drawn on one canvas by the sign and size of their weight.
 * The DOM is built when the shape changes; each frame only paints canvases.
 */
import { DISCRETE, SMOOTH, drawGrid } from "./heatmap.js";

const LINK_WEIGHT_CAP = 4; // weights beyond this magnitude draw as thick as this
const LINK_MIN_WIDTH = 0.5; // px, a zero weight
const LINK_WIDTH_PER_UNIT = 1.6; // px added per unit of |weight|
const LINK_HIT_PX = 5; // how near the pointer must be to a link to name it
const LINK_SAMPLES = 12; // points per link when testing the pointer against its curve
const POSITIVE_LINK = "8, 119, 189"; // blue
const NEGATIVE_LINK = "245, 147, 34"; // orange
const CROWDED_LAYERS = 3; // from this many hidden layers on, columns drop the word "neurons" to fit

/**
 * @typedef {{kind: "neuron", layer: number, index: number} | {kind: "feature", name: string} | null} Hover
 * @typedef {Object} NetworkHandlers
 * @property {(name: string) => void} toggleFeature
 * @property {(layer: number, delta: number) => void} resize  add (+1) or remove (-1) a neuron
 * @property {(target: Hover) => void} hover
 *
 * @typedef {Object} Inputs  the registry's features, as the server describes them
 * @property {string[]} names  in registry order
 * @property {Record<string, string>} labels  as people write them
 * @property {Record<string, Uint8Array>} maps  each feature over the plane, cells × cells
 * @property {number} cells
 */

/**
 * @param {HTMLElement} root  the element the diagram fills
 * @param {Inputs} inputs
 * @param {{minimum: number, maximum: number}} layerWidth  neurons a layer may have
 * @param {NetworkHandlers} on
 */
export function createNetwork(root, inputs, layerWidth, on) {
  const featureNames = inputs.names;
  const labelOf = (/** @type {string} */ name) => inputs.labels[name] ?? name;
  const columns = document.createElement("div");
  columns.className = "columns";
  const links = document.createElement("canvas");
  links.className = "links";
  links.setAttribute("aria-hidden", "true");
  const tip = document.createElement("div");
  tip.className = "tip";
  tip.hidden = true;
  const hint = document.createElement("p");
  hint.className = "scroll-hint";
  hint.textContent = "Scroll sideways to see every layer";
  hint.hidden = true;
  root.replaceChildren(columns, hint, tip);

  /** @type {string[]} */ let active = [];
  /** @type {number[]} */ let widths = [];
  /** @type {Map<string, HTMLElement>} */ const featureNodes = new Map();
  /** @type {HTMLCanvasElement[][]} */ let neurons = [];
  /** @type {HTMLCanvasElement | null} */ let outputNode = null;
  /** @type {{x0: number, y0: number, x1: number, y1: number, from: string, to: string, layer: number, row: number, col: number}[]} */
  let geometry = [];
  /** @type {Float32Array[]} */ let weights = [];
  let dirty = true;

  /**
   * Rebuild the diagram for these features and hidden layer widths.
   * @param {string[]} features @param {number[]} hidden
   */
  function build(features, hidden) {
    active = featureNames.filter((f) => features.includes(f));
    widths = [...hidden];
    columns.replaceChildren(links);
    links.width = links.height = 0; // the old links are wrong now; the next frame of this shape draws them
    columns.classList.toggle("crowded", widths.length >= CROWDED_LAYERS);
    featureNodes.clear();

    const input = column("Features", "features");
    for (const name of featureNames) {
      const node = document.createElement("button");
      node.type = "button";
      node.className = "feature-node";
      node.dataset.feature = name;
      node.setAttribute("aria-pressed", String(active.includes(name)));
      node.title = `${active.includes(name) ? "Remove" : "Use"} the feature ${labelOf(name)}`;
      const map = document.createElement("canvas");
      map.width = map.height = inputs.cells;
      drawGrid(map, inputs.maps[name]);
      const label = document.createElement("span");
      label.textContent = labelOf(name);
      node.append(map, label);
      node.addEventListener("click", () => on.toggleFeature(name));
      node.addEventListener("pointerenter", () => on.hover({ kind: "feature", name }));
      node.addEventListener("pointerleave", () => on.hover(null));
      input.append(node);
      featureNodes.set(name, node);
    }

    neurons = widths.map((width, layer) => {
      const col = column(`Layer ${layer + 1}`, "layer");
      col.dataset.layer = String(layer);
      const head = document.createElement("div");
      head.className = "layer-head";
      const less = button("−", "remove-neuron", `Remove a neuron from layer ${layer + 1}`, width <= layerWidth.minimum);
      const more = button("+", "add-neuron", `Add a neuron to layer ${layer + 1}`, width >= layerWidth.maximum);
      less.addEventListener("click", () => on.resize(layer, -1));
      more.addEventListener("click", () => on.resize(layer, +1));
      const count = document.createElement("span");
      const unit = document.createElement("span");
      unit.className = "unit";
      unit.textContent = ` neuron${width === 1 ? "" : "s"}`;
      count.append(String(width), unit);
      count.title = `${width} neuron${width === 1 ? "" : "s"}`;
      head.append(less, count, more);
      col.insertBefore(head, col.children[1]);
      return Array.from({ length: width }, (_, index) => {
        const canvas = document.createElement("canvas");
        canvas.className = "neuron";
        canvas.width = canvas.height = 16;
        canvas.dataset.layer = String(layer);
        canvas.dataset.index = String(index);
        canvas.tabIndex = -1;
        canvas.setAttribute("aria-label", `layer ${layer + 1}, neuron ${index + 1}`);
        canvas.addEventListener("pointerenter", () => {
          on.hover({ kind: "neuron", layer, index });
          showTip(canvas, `layer ${layer + 1}, neuron ${index + 1}`);
        });
        canvas.addEventListener("pointerleave", () => { on.hover(null); tip.hidden = true; });
        col.append(canvas);
        return canvas;
      });
    });

    const out = column("Output", "output-column");
    outputNode = document.createElement("canvas");
    outputNode.className = "output-node";
    outputNode.width = outputNode.height = 100;
    out.append(outputNode);
    dirty = true;
    hintScroll();
  }

  /** When the diagram is wider than its panel, say so: a note, and a fade on each edge with layers behind it. */
  function hintScroll() {
    const behind = columns.scrollWidth - columns.clientWidth;
    hint.hidden = behind <= 1;
    columns.classList.toggle("more-left", columns.scrollLeft > 1);
    columns.classList.toggle("more-right", columns.scrollLeft < behind - 1);
  }

  /** @param {string} title @param {string} kind */
  function column(title, kind) {
    const col = document.createElement("div");
    col.className = `column ${kind}`;
    const heading = document.createElement("h3");
    heading.textContent = title;
    col.append(heading);
    columns.append(col);
    return col;
  }

  /** @param {string} text @param {string} className @param {string} label @param {boolean} disabled */
  function button(text, className, label, disabled) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.disabled = disabled;
    return b;
  }

  /** @param {Element} near @param {string} text */
  function showTip(near, text) {
    const box = near.getBoundingClientRect();
    const base = root.getBoundingClientRect();
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = `${box.right - base.left + 6}px`;
    tip.style.top = `${box.top - base.top}px`;
  }

  /** Measure node positions (only after the shape or the size changed). */
  function layout() {
    dirty = false;
    const base = columns.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    // The links canvas itself must not count towards the size it is given (it may be wider from before).
    links.style.width = links.style.height = "0";
    links.width = links.height = 0;
    const width = columns.scrollWidth, height = columns.scrollHeight;
    links.width = Math.round(width * ratio);
    links.height = Math.round(height * ratio);
    links.style.width = `${width}px`;
    links.style.height = `${height}px`;
    /** @param {Element} el */
    const ends = (el) => {
      const r = el.getBoundingClientRect();
      const y = r.top + r.height / 2 - base.top + columns.scrollTop;
      return { left: r.left - base.left + columns.scrollLeft, right: r.right - base.left + columns.scrollLeft, y };
    };
    /** @type {{name: string, left: number, right: number, y: number}[][]} */
    const stages = [
      active.map((f) => ({ name: labelOf(f), ...ends(/** @type {HTMLElement} */ (featureNodes.get(f))) })),
      ...neurons.map((layer, l) => layer.map((n, i) => ({ name: `neuron ${l + 1}.${i + 1}`, ...ends(n) }))),
      outputNode ? [{ name: "output", ...ends(outputNode) }] : [],
    ];
    geometry = [];
    for (let layer = 0; layer + 1 < stages.length; layer++) {
      stages[layer].forEach((a, row) => stages[layer + 1].forEach((b, col) => {
        geometry.push({ x0: a.right, y0: a.y, x1: b.left, y1: b.y, from: a.name, to: b.name, layer, row, col });
      }));
    }
  }

  /** A point on a link's curve, t in [0, 1]. @param {typeof geometry[0]} g @param {number} t */
  function along(g, t) {
    const mid = (g.x0 + g.x1) / 2;
    const u = 1 - t;
    const x = u * u * u * g.x0 + 3 * u * u * t * mid + 3 * u * t * t * mid + t * t * t * g.x1;
    const y = u * u * u * g.y0 + 3 * u * u * t * g.y0 + 3 * u * t * t * g.y1 + t * t * t * g.y1;
    return [x, y];
  }

  /** @param {typeof geometry[0]} g */
  function weightOf(g) {
    const w = weights[g.layer];
    const fanOut = g.layer < widths.length ? widths[g.layer] : 1;
    return w ? w[g.row * fanOut + g.col] : NaN;
  }

  /**
   * Paint one frame: thumbnails, output node and links.
   * @param {import("./protocol.js").Frame} frame @param {boolean} discretize
   */
  function draw(frame, discretize) {
    const sizes = frame.meta.layer_sizes;
    const expected = [active.length, ...widths, 1];
    if (!sizes || sizes.join() !== expected.join()) return;
    if (dirty) layout();
    const thumbs = frame.arrays.neurons;
    if (thumbs) {
      const cells = thumbs.shape[1] * thumbs.shape[2];
      let k = 0;
      for (const layer of neurons) for (const canvas of layer) drawGrid(canvas, /** @type {Uint8Array} */ (thumbs.data), cells * k++);
    }
    if (outputNode && frame.arrays.output) {
      drawGrid(outputNode, /** @type {Uint8Array} */ (frame.arrays.output.data), 0, discretize ? DISCRETE : SMOOTH);
    }
    weights = expected.slice(1).map((_, i) => /** @type {Float32Array} */ (frame.arrays[`weights.${i}`]?.data));
    const context = /** @type {CanvasRenderingContext2D} */ (links.getContext("2d"));
    const ratio = links.width / Math.max(1, columns.scrollWidth);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, links.width, links.height);
    for (const g of geometry) {
      const w = weightOf(g);
      if (!Number.isFinite(w)) continue;
      const size = Math.min(Math.abs(w), LINK_WEIGHT_CAP);
      context.strokeStyle = `rgba(${w >= 0 ? POSITIVE_LINK : NEGATIVE_LINK}, ${0.35 + 0.6 * (size / LINK_WEIGHT_CAP)})`;
      context.lineWidth = LINK_MIN_WIDTH + LINK_WIDTH_PER_UNIT * size;
      const mid = (g.x0 + g.x1) / 2;
      context.beginPath();
      context.moveTo(g.x0, g.y0);
      context.bezierCurveTo(mid, g.y0, mid, g.y1, g.x1, g.y1);
      context.stroke();
    }
  }

  columns.addEventListener("pointermove", (event) => {
    if (!(event.target === columns || event.target === links || (event.target instanceof HTMLElement && event.target.classList.contains("column")))) return;
    const base = columns.getBoundingClientRect();
    const x = event.clientX - base.left + columns.scrollLeft;
    const y = event.clientY - base.top + columns.scrollTop;
    let best = null, bestDistance = LINK_HIT_PX;
    for (const g of geometry) {
      if (x < g.x0 - LINK_HIT_PX || x > g.x1 + LINK_HIT_PX) continue;
      for (let s = 0; s <= LINK_SAMPLES; s++) {
        const [px, py] = along(g, s / LINK_SAMPLES);
        const d = Math.hypot(px - x, py - y);
        if (d < bestDistance) { bestDistance = d; best = g; }
      }
    }
    if (!best) { tip.hidden = true; return; }
    const w = weightOf(best);
    tip.textContent = `${best.from} → ${best.to}: weight ${Number.isFinite(w) ? w.toFixed(3) : "–"}`;
    tip.hidden = false;
    const outer = root.getBoundingClientRect();
    tip.style.left = `${event.clientX - outer.left + 12}px`;
    tip.style.top = `${event.clientY - outer.top + 12}px`;
  });
  columns.addEventListener("pointerleave", () => { tip.hidden = true; });
  columns.addEventListener("scroll", () => { dirty = true; hintScroll(); });
  new ResizeObserver(() => { dirty = true; hintScroll(); }).observe(columns);

  return { build, draw, invalidate: () => { dirty = true; } };
}
