// @ts-check
/**
 * The one object holding everything a person can set, and its round trip through the URL.
 *
 * Config fields go to the server as they are; view fields (speed, which layer to view,
 * test points, discretised output) only change what the page shows. Only values that
 * differ from the defaults are written to the query string, so links stay short.
 */

/**
 * @typedef {Object} State
 * @property {string} dataset
 * @property {number} noise
 * @property {number} train_fraction
 * @property {number} num_samples
 * @property {number[][]} custom_points  [x1, x2, label] triples
 * @property {string[]} features
 * @property {number[]} hidden_layers
 * @property {string} activation
 * @property {string} loss
 * @property {string} init
 * @property {number} init_scale
 * @property {number} batch_size
 * @property {string} optimizer
 * @property {number} learning_rate
 * @property {string} regularization
 * @property {number} regularization_rate
 * @property {number} seed
 * @property {number} epochs_per_frame
 * @property {number} view_layer
 * @property {boolean} show_test
 * @property {boolean} discretize
 */

/**
 * How a field is written in the URL: a named kind, or a lab's own codec (read: undefined when the text does not parse).
 * @typedef {"string"|"number"|"int"|"strings"|"ints"|"points"|"bool"|Codec} Kind
 * @typedef {{write: (value: any) => string, read: (text: string) => any}} Codec
 */

/** Config fields the server knows, with how each is written in the URL. @type {Record<string, Kind>} */
export const CONFIG_FIELDS = {
  dataset: "string", noise: "number", train_fraction: "number", num_samples: "int",
  custom_points: "points", features: "strings", hidden_layers: "ints", activation: "string",
  loss: "string", init: "string", init_scale: "number", batch_size: "int", optimizer: "string",
  learning_rate: "number", regularization: "string", regularization_rate: "number", seed: "int",
};

/** Fields that only change the page. @type {Record<string, Kind>} */
export const VIEW_FIELDS = { epochs_per_frame: "int", view_layer: "int", show_test: "bool", discretize: "bool" };

/** Defaults of the view fields (the config's come from GET /api/options). */
export const VIEW_DEFAULTS = { epochs_per_frame: 1, view_layer: 0, show_test: false, discretize: false };

const POINT_DIGITS = 2; // decimals kept for a custom point's coordinates in the URL

/**
 * A value as the URL writes it.
 * @param {Kind} kind @param {any} value @returns {string}
 */
function write(kind, value) {
  if (typeof kind === "object") return kind.write(value);
  switch (kind) {
    case "strings": case "ints": return value.join(",");
    case "points": return value.map((/** @type {number[]} */ p) =>
      `${+p[0].toFixed(POINT_DIGITS)},${+p[1].toFixed(POINT_DIGITS)},${p[2] > 0 ? 1 : -1}`).join(";");
    case "bool": return value ? "1" : "0";
    default: return String(value);
  }
}

/**
 * A value read from the URL, or undefined when it does not parse.
 * @param {Kind} kind @param {string} text @returns {any}
 */
function read(kind, text) {
  if (typeof kind === "object") return kind.read(text);
  const finite = (/** @type {number} */ n) => Number.isFinite(n);
  switch (kind) {
    case "string": return text;
    case "number": { const n = Number(text); return text !== "" && finite(n) ? n : undefined; }
    case "int": { const n = Number(text); return Number.isInteger(n) ? n : undefined; }
    case "bool": return text === "1" || text === "true";
    case "strings": return text === "" ? [] : text.split(",");
    case "ints": {
      const list = text === "" ? [] : text.split(",").map(Number);
      return list.every(Number.isInteger) ? list : undefined;
    }
    case "points": {
      if (text === "") return [];
      const list = text.split(";").map((p) => p.split(",").map(Number));
      return list.every((p) => p.length === 3 && p.every(finite)) ? list : undefined;
    }
  }
  return undefined;
}

/**
 * The full default state: the server's config defaults plus the view defaults.
 * @param {Record<string, any>} configDefaults @returns {State}
 */
export function defaultState(configDefaults) {
  return /** @type {State} */ (structuredClone({ ...configDefaults, ...VIEW_DEFAULTS }));
}

/** Every field of the playground's state, with how the URL writes it. */
const PLAYGROUND_FIELDS = { ...CONFIG_FIELDS, ...VIEW_FIELDS };

/**
 * The state a query string describes, on top of the defaults; unknown or malformed keys are ignored.
 * @template {object} S
 * @param {string} search  location.search
 * @param {S} defaults
 * @param {Record<string, Kind>} [fields]  the state's fields (the playground's unless given)
 * @returns {S}
 */
export function fromURL(search, defaults, fields = PLAYGROUND_FIELDS) {
  const state = structuredClone(defaults);
  const params = new URLSearchParams(search);
  for (const [name, kind] of Object.entries(fields)) {
    const text = params.get(name);
    if (text === null) continue;
    const value = read(kind, text);
    if (value !== undefined) /** @type {any} */ (state)[name] = value;
  }
  return state;
}

/**
 * The query string for a state: only the fields that differ from the defaults.
 * @template {object} S
 * @param {S} state @param {S} defaults @param {Record<string, Kind>} [fields] @returns {string}
 */
export function toURL(state, defaults, fields = PLAYGROUND_FIELDS) {
  const params = new URLSearchParams();
  for (const [name, kind] of Object.entries(fields)) {
    const value = write(kind, /** @type {any} */ (state)[name]);
    if (value !== write(kind, /** @type {any} */ (defaults)[name])) params.set(name, value);
  }
  const text = params.toString().replaceAll("%2C", ",").replaceAll("%3B", ";");
  return text ? `?${text}` : "";
}

/**
 * The part of the state the server takes as its config.
 * @param {State} state @returns {Record<string, any>}
 */
export function configOf(state) {
  /** @type {Record<string, any>} */
  const config = {};
  for (const name of Object.keys(CONFIG_FIELDS)) config[name] = /** @type {any} */ (state)[name];
  if (config.dataset !== "custom") config.custom_points = [];
  return config;
}

/**
 * The config changes that make a session whose config is `config` run the state's: the fields the URL would
 * write differently (so that a point the URL rounds is the same point).
 * @param {Record<string, any>} config @param {State} state @returns {Record<string, any>}
 */
export function configDifferences(config, state) {
  const wanted = configOf(state);
  /** @type {Record<string, any>} */
  const changes = {};
  for (const [name, kind] of Object.entries(CONFIG_FIELDS)) {
    if (!(name in config) || write(kind, config[name]) !== write(kind, wanted[name])) changes[name] = wanted[name];
  }
  return changes;
}

/**
 * The state changes that show a session's config (a saved run's, or the one a rewind went back to); drawn
 * points stay while the config's dataset is another.
 * @param {Record<string, any>} config @returns {Partial<State>}
 */
export function stateOfConfig(config) {
  /** @type {Record<string, any>} */
  const changes = {};
  for (const name of Object.keys(CONFIG_FIELDS)) if (name in config) changes[name] = structuredClone(config[name]);
  if (config.dataset !== "custom") delete changes.custom_points;
  return changes;
}

/**
 * What the server must hear of a change: the config fields whose value changed, custom points only while
 * they matter (the dataset is or was custom), and no custom dataset that still lacks a class.
 * @param {State} before @param {State} after @param {string[]} names  the fields the change set
 * @returns {Record<string, any>}
 */
export function configChanges(before, after, names) {
  /** @type {Record<string, any>} */
  const config = {};
  for (const name of names) {
    const [was, is] = [/** @type {any} */ (before)[name], /** @type {any} */ (after)[name]];
    if (name in CONFIG_FIELDS && JSON.stringify(was) !== JSON.stringify(is)) config[name] = is;
  }
  if ("dataset" in config || "custom_points" in config) {
    if (after.dataset !== "custom" && before.dataset !== "custom") delete config.custom_points;
    else config.custom_points = configOf(after).custom_points;
    if (after.dataset === "custom" && new Set(after.custom_points.map((p) => p[2])).size < 2) {
      delete config.custom_points;
      delete config.dataset;
    }
  }
  return config;
}

/**
 * The playground's tidying after a change: the viewed layer stays among the hidden layers.
 * @param {State} state
 */
function keepViewedLayer(state) {
  if (state.view_layer >= state.hidden_layers.length && state.hidden_layers.length) {
    state.view_layer = state.hidden_layers.length - 1;
  }
}

/**
 * The state of a page: `set` is the one way it changes, and writes the URL each time.
 * @template {object} [S=State]
 * @param {S} initial @param {S} defaults
 * @param {{fields?: Record<string, Kind>, tidy?: (state: S) => void}} [lab]  a lab's fields and its tidying
 *   after a change (the playground's unless given)
 */
export function createStore(initial, defaults, lab = {}) {
  const fields = lab.fields ?? PLAYGROUND_FIELDS;
  const tidy = lab.tidy ?? /** @type {(state: S) => void} */ (/** @type {unknown} */ (keepViewedLayer));
  let state = initial;
  return {
    /** @returns {S} */
    get: () => state,
    /**
     * Apply changes, tidy, write the URL; the state before.
     * @param {Partial<S>} changes @returns {S}
     */
    set(changes) {
      const before = state;
      state = { ...state, ...changes };
      tidy(state);
      history.replaceState(null, "", (toURL(state, defaults, fields) || location.pathname) + location.hash);
      return before;
    },
  };
}
