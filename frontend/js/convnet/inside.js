// @ts-check
/**
 * Inside the network: the followed image, every filter of every convolutional layer, the image's feature
 * maps at every convolutional layer before and after pooling, and the dense layers' activations. The DOM
 * is built once per network (each new geometry); a frame only paints canvases, one pixel a value.
 */
import { drawFilter, drawInk, drawValues, largest, mosaicSide } from "./pixels.js";

/**
 * @typedef {import("../protocol.js").Frame} Frame
 * @typedef {import("./api.js").Geometry} Geometry
 *
 * @typedef {Object} ConvView  one convolutional layer on screen
 * @property {number[]} shape  its filters' (kernel, kernel, channels in, filters)
 * @property {number} side  its maps' side before pooling
 * @property {number} pooledSide  after
 * @property {HTMLCanvasElement[]} filters
 * @property {HTMLCanvasElement[]} maps
 * @property {HTMLCanvasElement[]} pooled
 *
 * @typedef {Object} Built  the canvases of the network now on screen, for the frames and the pointer
 * @property {HTMLCanvasElement} input
 * @property {HTMLElement} inputWrap  the box over the input image where its highlights go
 * @property {ConvView[]} conv
 * @property {HTMLCanvasElement[]} dense
 */

/** @param {string} tag @param {string} [className] @param {string} [text] */
function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * A canvas of `width` × `height` pixels, one a value; CSS sizes it.
 * @param {number} width @param {number} height @param {string} className @param {Record<string, string | number>} data
 */
function canvas(width, height, className, data = {}) {
  const c = /** @type {HTMLCanvasElement} */ (element("canvas", className));
  c.width = width;
  c.height = height;
  for (const [key, value] of Object.entries(data)) c.dataset[key] = String(value);
  return c;
}

/**
 * A labelled row of pictures, each in a box of its own (where a hovered unit's marker goes).
 * @param {string} label @param {HTMLCanvasElement[]} pictures
 */
function row(label, pictures) {
  const wrap = element("div", "stage-row");
  const tiles = element("div", "tiles");
  tiles.append(...pictures.map((picture) => { const box = element("div", "picture"); box.append(picture); return box; }));
  wrap.append(element("h4", "", label), tiles);
  return wrap;
}

/**
 * @param {HTMLElement} root  the element the stages fill
 * @param {HTMLElement} inputStage  the element the input image goes in
 */
export function createInside(root, inputStage) {
  /** @type {Built | null} */ let built = null;

  /**
   * Build the pictures of a network.
   * @param {Geometry} geometry @param {number} side  pixels a side of an input image
   * @returns {Built}
   */
  function build(geometry, side) {
    const input = canvas(side, side, "input-image", { kind: "input" });
    input.id = "input-image";
    const inputWrap = element("div", "picture input-wrap");
    inputWrap.append(input);
    inputStage.replaceChildren(inputWrap);
    /** @type {ConvView[]} */ const conv = [];
    /** @type {HTMLCanvasElement[]} */ const dense = [];
    const stages = [];
    let denseCount = 0;
    for (const layer of geometry.layers) {
      if (layer.kind === "conv") {
        const [kernel, , channels, filters] = layer.weights;
        const s = /** @type {number} */ (layer.side), p = /** @type {number} */ (layer.pooled_side);
        const at = (/** @type {number} */ f) => ({ layer: conv.length, filter: f });
        const view = {
          shape: layer.weights, side: s, pooledSide: p,
          filters: Array.from({ length: filters }, (_, f) => canvas(mosaicSide(kernel, channels), mosaicSide(kernel, channels), "filter", { kind: "filter", ...at(f) })),
          maps: Array.from({ length: filters }, (_, f) => canvas(s, s, "map", { kind: "maps", ...at(f) })),
          pooled: Array.from({ length: filters }, (_, f) => canvas(p, p, "map", { kind: "pooled", ...at(f) })),
        };
        const stage = element("div", "stage conv-stage");
        stage.dataset.layer = String(conv.length);
        stage.append(
          element("h3", "", `Convolution ${conv.length + 1}: ${filters} filter${filters === 1 ? "" : "s"} of ${kernel} × ${kernel}` +
            (channels > 1 ? ` × ${channels} channels` : "")),
          row("filters", view.filters),
          row(`feature maps, ${s} × ${s}`, view.maps),
        );
        if (p !== s) stage.append(row(`after pooling, ${p} × ${p}`, view.pooled));
        conv.push(view);
        stages.push(stage);
      } else if (layer.kind === "dense") {
        const units = layer.weights[1];
        const picture = canvas(units, 1, "dense", { kind: "dense", layer: denseCount });
        dense.push(picture);
        const stage = element("div", "stage dense-stage");
        stage.append(element("h3", "", `Dense ${++denseCount}: ${units} unit${units === 1 ? "" : "s"}`), picture);
        stages.push(stage);
      }
    }
    if (!stages.length) stages.push(element("p", "explain", "No hidden layer: the pixels go straight to the output."));
    root.replaceChildren(...stages);
    built = { input, inputWrap, conv, dense };
    return built;
  }

  /**
   * Paint a frame of the network now on screen.
   * @param {Frame} frame
   */
  function draw(frame) {
    if (!built) return;
    const image = frame.arrays.image;
    if (image && image.data.length === built.input.width * built.input.height) drawInk(built.input, image.data);
    for (const [i, view] of built.conv.entries()) {
      const filters = frame.arrays[`filters.${i}`], maps = frame.arrays[`maps.${i}`], pooled = frame.arrays[`pooled.${i}`];
      if (!filters || filters.data.length !== view.shape.reduce((a, b) => a * b, 1)) return; // another network's frame
      const count = view.filters.length;
      const weights = /** @type {Float32Array} */ (filters.data);
      const scale = largest(weights);
      view.filters.forEach((c, f) => drawFilter(c, weights, view.shape, f, scale));
      const m = /** @type {Float32Array} */ (maps.data), p = /** @type {Float32Array} */ (pooled.data);
      const mapScale = largest(m);
      view.maps.forEach((c, f) => drawValues(c, m, f, count, mapScale));
      if (view.pooledSide !== view.side) view.pooled.forEach((c, f) => drawValues(c, p, f, count, mapScale));
    }
    for (const [i, c] of built.dense.entries()) {
      const units = frame.arrays[`dense.${i}`];
      if (!units || units.data.length !== c.width) continue;
      const values = /** @type {Float32Array} */ (units.data);
      drawValues(c, values, 0, 1, largest(values));
    }
  }

  return { build, draw, built: () => built };
}
