// @ts-check
/**
 * The one object holding everything a person can set in the ConvNet lab, and its round trip through the URL
 * (the playground's state.js with the lab's fields). Config fields go to the server as they are; view fields
 * (speed, the test image followed) only change what the page asks of the stream.
 */
import { createStore, fromURL, toURL } from "../state.js";

/**
 * @typedef {import("./api.js").ConvLayer} ConvLayer
 *
 * @typedef {Object} LabState
 * @property {string} dataset
 * @property {ConvLayer[]} conv_layers  input side first; [] is a dense network on the raw pixels
 * @property {number[]} dense_layers  units per dense hidden layer
 * @property {string} activation
 * @property {string} init
 * @property {number} init_scale
 * @property {number} batch_size
 * @property {string} optimizer
 * @property {number} learning_rate
 * @property {number} l2
 * @property {number} seed
 * @property {number | null} train_images  train on this many of the training images (an experiment's network); null: all
 * @property {number} steps_per_frame  mini-batches a frame
 * @property {number} follow  the test image the frames follow (a drawing, while there is one, instead)
 */

/** Convolutional layers in the URL: "8-3-max,16-3-max" (filters, kernel, pooling per layer; "" is none). */
const CONV_LAYERS = {
  /** @param {ConvLayer[]} layers */
  write: (layers) => layers.map((l) => `${l.filters}-${l.kernel}-${l.pooling}`).join(","),
  /** @param {string} text @returns {ConvLayer[] | undefined} */
  read(text) {
    if (text === "") return [];
    const layers = text.split(",").map((part) => part.split("-"));
    if (!layers.every((l) => l.length === 3 && Number.isInteger(Number(l[0])) && Number.isInteger(Number(l[1])))) return undefined;
    return layers.map(([filters, kernel, pooling]) => ({ filters: Number(filters), kernel: Number(kernel), pooling }));
  },
};

/** Config fields the server knows, with how each is written in the URL. @type {Record<string, import("../state.js").Kind>} */
export const CONFIG_FIELDS = {
  dataset: "string", conv_layers: CONV_LAYERS, dense_layers: "ints", activation: "string", init: "string",
  init_scale: "number", batch_size: "int", optimizer: "string", learning_rate: "number", l2: "number", seed: "int",
  train_images: "int",
};

/** Fields that only change what the page asks of the stream. @type {Record<string, import("../state.js").Kind>} */
const VIEW_FIELDS = { steps_per_frame: "int", follow: "int" };

const FIELDS = { ...CONFIG_FIELDS, ...VIEW_FIELDS };

const POOL = 2; // a pooling takes 2 × 2 units to one (the engine's network.POOL)

/**
 * The full default state: the server's config defaults, its default speed, the first test image.
 * @param {import("./api.js").LabOptions} options @returns {LabState}
 */
export function defaultState(options) {
  return /** @type {LabState} */ (structuredClone({ ...options.defaults, steps_per_frame: options.default_speed, follow: 0 }));
}

/**
 * The page's store, started from the URL on top of the defaults.
 * @param {string} search  location.search @param {LabState} defaults
 */
export function createLabStore(search, defaults) {
  return createStore(fromURL(search, defaults, FIELDS), defaults, { fields: FIELDS, tidy: () => {} });
}

/**
 * The lab page's address showing a network of this config (an experiment's, say), on top of the defaults.
 * @param {Record<string, any>} config @param {LabState} defaults @returns {string}
 */
export function urlOfConfig(config, defaults) {
  const state = { ...defaults };
  for (const name of Object.keys(CONFIG_FIELDS)) if (name in config) /** @type {any} */ (state)[name] = structuredClone(config[name]);
  return toURL(state, defaults, FIELDS);
}

/**
 * The part of the state the server takes as its config.
 * @param {LabState} state @returns {Record<string, any>}
 */
export function configOf(state) {
  return Object.fromEntries(Object.keys(CONFIG_FIELDS).map((name) => [name, /** @type {any} */ (state)[name]]));
}

/**
 * The config fields a change set whose value changed.
 * @param {LabState} before @param {LabState} after @param {string[]} names @returns {Record<string, any>}
 */
export function configChanges(before, after, names) {
  /** @type {Record<string, any>} */
  const config = {};
  for (const name of names) {
    const [was, is] = [/** @type {any} */ (before)[name], /** @type {any} */ (after)[name]];
    if (name in CONFIG_FIELDS && JSON.stringify(was) !== JSON.stringify(is)) config[name] = is;
  }
  return config;
}

/**
 * The weight shapes of the network a state asks for (network.py's Shape.weight_shapes): a frame of another
 * network is not yet the answer to the last change.
 * @param {LabState} state @param {import("./api.js").LabOptions} options @returns {number[][]}
 */
export function weightShapes(state, options) {
  const dataset = options.datasets[state.dataset];
  if (!dataset) return [];
  let side = dataset.side, channels = 1;
  /** @type {number[][]} */
  const shapes = [];
  for (const layer of state.conv_layers) {
    shapes.push([layer.kernel, layer.kernel, channels, layer.filters]);
    channels = layer.filters;
    if (layer.pooling !== "none") side = Math.floor(side / POOL);
  }
  const widths = [side * side * channels, ...state.dense_layers, dataset.classes.length];
  for (let i = 1; i < widths.length; i++) shapes.push([widths[i - 1], widths[i]]);
  return shapes;
}
