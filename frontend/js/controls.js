// @ts-check
/**
 * The controls: menus built from GET /api/options, each bound to one field of the state.
 * `bindControls` wires them once; the returned `sync` shows a state in them.
 */
import { DATASET_SKETCHES, drawGrid, sample } from "./heatmap.js";

const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]; // the Playground's, widened
const REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const SPEEDS = [1, 2, 5, 10, 20, 50, 100]; // epochs per frame on offer
const NOISE_STEP = 5; // percent
const SAMPLES_STEP = 50; // points
const PREVIEW = 28; // cells per side of a dataset tile's preview

/** Names people read, where the registry's differ. @type {Record<string, string>} */
const NAMES = {
  sgd: "SGD", adam: "Adam", momentum: "Momentum", relu: "ReLU", leaky_relu: "Leaky ReLU", elu: "ELU",
  tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear", sin: "Sine", l1: "L1", l2: "L2", none: "None",
  squared: "Squared error", cross_entropy: "Cross-entropy", he: "He", xavier: "Xavier (Glorot)",
  playground: "Playground", lecun: "LeCun", multigauss: "Multi-Gauss", xor: "XOR",
};

/** @param {string} name */
export function nameOf(name) {
  return NAMES[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");
}

/** @param {string} id @returns {any} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * Fill a select with options. @param {HTMLSelectElement} select
 * @param {(string|number)[]} values @param {(v: any) => string} [label]
 */
function fill(select, values, label = (v) => nameOf(String(v))) {
  select.replaceChildren(...values.map((v) => new Option(label(v), String(v))));
}

/**
 * A numeric select: make sure the value is one of its options (a URL may carry any).
 * @param {HTMLSelectElement} select @param {number} value
 */
function choose(select, value) {
  if (![...select.options].some((o) => Number(o.value) === value)) {
    const options = [...select.options, new Option(String(value), String(value))]
      .sort((a, b) => Number(a.value) - Number(b.value));
    select.replaceChildren(...options);
  }
  select.value = [...select.options].find((o) => Number(o.value) === value)?.value ?? select.value;
}

/**
 * Wire every control to the state.
 * @param {any} options  GET /api/options
 * @param {(changes: Partial<import("./state.js").State>) => void} change
 * @param {{regenerate: () => void, clearPoints: () => void, chooseDataset: (name: string) => void}} actions
 * @returns {(state: import("./state.js").State) => void}  shows a state in the controls
 */
export function bindControls(options, change, actions) {
  const limits = options.limits;
  /** Menus from registries: state field -> options key. */
  const menus = { activation: "activations", loss: "losses", optimizer: "optimizers", regularization: "regularizations", init: "inits" };
  for (const [field, key] of Object.entries(menus)) {
    const select = $(field.replaceAll("_", "-"));
    fill(select, options[key]);
    select.addEventListener("change", () => change({ [field]: select.value }));
  }

  /** Numeric menus: state field -> values on offer. */
  const numeric = {
    learning_rate: LEARNING_RATES.filter((v) => v >= limits.min_learning_rate && v <= limits.max_learning_rate),
    regularization_rate: REGULARIZATION_RATES.filter((v) => v <= limits.max_regularization_rate),
    epochs_per_frame: SPEEDS.filter((v) => v <= limits.max_epochs_per_frame),
  };
  for (const [field, values] of Object.entries(numeric)) {
    const select = $(field.replaceAll("_", "-"));
    fill(select, values, (v) => String(v));
    select.addEventListener("change", () => change({ [field]: Number(select.value) }));
  }

  /** Sliders: state field -> [min, max, step, how to show a value, scale from slider to state]. */
  const sliders = {
    noise: [0, limits.max_noise, NOISE_STEP, (/** @type {number} */ v) => `${v}%`, 1],
    train_fraction: [limits.min_train_fraction * 100, limits.max_train_fraction * 100, 10, (/** @type {number} */ v) => `${v}%`, 0.01],
    batch_size: [1, limits.max_batch, 1, String, 1],
    num_samples: [limits.min_samples, limits.max_samples, SAMPLES_STEP, String, 1],
  };
  for (const [field, [min, max, step, show, scale]] of Object.entries(sliders)) {
    const input = $(field.replaceAll("_", "-"));
    Object.assign(input, { min, max, step });
    const shown = $(`${field.replaceAll("_", "-")}-value`);
    input.addEventListener("input", () => { shown.textContent = show(Number(input.value)); });
    input.addEventListener("change", () => change({ [field]: Math.round(Number(input.value) * 100 * scale) / 100 }));
  }

  /** Number fields: state field -> [min, max, integer]. */
  const numbers = { init_scale: [0.01, limits.max_init_scale, false], seed: [0, 2 ** 31 - 1, true] };
  for (const [field, [min, max, integer]] of Object.entries(numbers)) {
    const input = $(field.replaceAll("_", "-"));
    Object.assign(input, { min, max, step: integer ? 1 : "any" });
    input.addEventListener("change", () => {
      const v = Number(input.value);
      if (input.value !== "" && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v))) change({ [field]: v });
      else input.reportValidity();
    });
  }

  for (const field of ["show_test", "discretize"]) {
    const box = $(field.replaceAll("_", "-"));
    box.addEventListener("change", () => change({ [field]: box.checked }));
  }

  const viewLayer = $("view-layer");
  viewLayer.addEventListener("change", () => change({ view_layer: Number(viewLayer.value) }));

  const tiles = $("datasets");
  tiles.replaceChildren(...options.datasets.map((/** @type {string} */ name) => {
    const tile = document.createElement("button");
    tile.type = "button";
    tile.className = "dataset-tile";
    tile.dataset.dataset = name;
    tile.title = name === "custom" ? "Your own points: click the output map to add them"
      : `${nameOf(name)}${options.regression_datasets.includes(name) ? " (regression)" : ""}`;
    const preview = document.createElement("canvas");
    preview.width = preview.height = PREVIEW;
    const sketch = /** @type {Record<string, (a: number, b: number) => number>} */ (DATASET_SKETCHES)[name];
    if (sketch) drawGrid(preview, sample(sketch, PREVIEW));
    const label = document.createElement("span");
    label.textContent = name === "custom" ? "Draw" : nameOf(name);
    tile.append(preview, label);
    tile.addEventListener("click", () => actions.chooseDataset(name));
    return tile;
  }));
  $("regenerate").addEventListener("click", actions.regenerate);
  $("clear-points").addEventListener("click", actions.clearPoints);

  return function sync(state) {
    for (const field of Object.keys(menus)) $(field.replaceAll("_", "-")).value = /** @type {any} */ (state)[field];
    for (const field of Object.keys(numeric)) choose($(field.replaceAll("_", "-")), /** @type {any} */ (state)[field]);
    for (const [field, [, , , show, scale]] of Object.entries(sliders)) {
      const v = Math.round(/** @type {any} */ (state)[field] / scale);
      $(field.replaceAll("_", "-")).value = String(v);
      $(`${field.replaceAll("_", "-")}-value`).textContent = show(v);
    }
    for (const field of Object.keys(numbers)) {
      const input = $(field.replaceAll("_", "-"));
      if (document.activeElement !== input) input.value = String(/** @type {any} */ (state)[field]);
    }
    $("show-test").checked = state.show_test;
    $("discretize").checked = state.discretize;
    fill(viewLayer, state.hidden_layers.map((_, i) => i), (i) => `Layer ${i + 1}`);
    viewLayer.value = String(Math.min(state.view_layer, state.hidden_layers.length - 1));
    viewLayer.disabled = state.hidden_layers.length === 0;
    for (const tile of tiles.children) {
      tile.setAttribute("aria-pressed", String(/** @type {HTMLElement} */ (tile).dataset.dataset === state.dataset));
    }
    const custom = state.dataset === "custom";
    $("clear-points").hidden = !custom;
    for (const id of ["noise", "num-samples"]) $(id).disabled = custom;
    $("hidden-count").textContent = `${state.hidden_layers.length} hidden layer${state.hidden_layers.length === 1 ? "" : "s"}`;
    $("add-layer").disabled = state.hidden_layers.length >= limits.max_layers;
    $("remove-layer").disabled = state.hidden_layers.length === 0;
  };
}
