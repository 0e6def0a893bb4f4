// @ts-check
/**
 * The controls: menus, sliders and fields built from GET /api/options (its registries, bounds and
 * previews), each bound to one field of the state. `bindControls` wires them once; the returned
 * `sync` shows a state in them.
 */
import { $ } from "./dom.js";
import { stated } from "./api.js";
import { drawGrid } from "./heatmap.js";
import { CONFIG_FIELDS } from "./state.js";

export const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]; // the Playground's, widened
const REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const SPEEDS = [1, 2, 5, 10, 20, 50, 100]; // epochs per frame on offer
const NOISE_STEP = 5; // percent
const SAMPLES_STEP = 50; // points
const FRACTION_STEP = 10; // percent
const NEW_LAYER_WIDTH = 2; // neurons in a layer the add button makes

/** Names people read, where the registry's differ. @type {Record<string, string>} */
const NAMES = {
  sgd: "SGD", adam: "Adam", momentum: "Momentum", relu: "ReLU", leaky_relu: "Leaky ReLU", elu: "ELU",
  tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear", sin: "Sine", l1: "L1", l2: "L2", none: "None",
  squared: "Squared error", cross_entropy: "Cross-entropy", he: "He", xavier: "Xavier (Glorot)",
  playground: "Playground", lecun: "LeCun", multigauss: "Multi-Gauss", xor: "XOR",
};

/** A registry name as people read it. @param {string} name */
export function nameOf(name) {
  return NAMES[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");
}

/**
 * Whether a value keeps to a field's bounds.
 * @param {import("./api.js").Bounds} bounds @param {number} value
 */
export function within(bounds, value) {
  return !(value < (bounds.minimum ?? -Infinity) || value <= (bounds.exclusiveMinimum ?? -Infinity)
    || value > (bounds.maximum ?? Infinity));
}

/** A field's bounds in words, for the message a refused value gets. @param {import("./api.js").Bounds} bounds */
function describe(bounds) {
  const low = bounds.minimum !== undefined ? `at least ${bounds.minimum}` : `above ${bounds.exclusiveMinimum}`;
  return `Enter a number ${low} and at most ${bounds.maximum}.`;
}

/**
 * A number typed into a field: kept to its bounds (a whole number where `integer`), else refused with a note.
 * @param {HTMLInputElement} input @param {import("./api.js").Bounds} bound @param {boolean} integer
 * @param {(value: number) => void} change
 */
export function bindNumber(input, bound, integer, change) {
  Object.assign(input, {
    min: bound.minimum ?? stated(bound.exclusiveMinimum), max: stated(bound.maximum), step: integer ? 1 : "any",
  });
  input.addEventListener("change", () => {
    const v = Number(input.value);
    const ok = input.value !== "" && Number.isFinite(v) && within(bound, v) && (!integer || Number.isInteger(v));
    input.setCustomValidity(ok ? "" : describe(bound) + (integer ? " A whole number." : ""));
    if (ok) change(v);
    else input.reportValidity();
  });
}

/**
 * Fill a select with options. @param {HTMLSelectElement} select
 * @param {(string|number)[]} values @param {(v: any) => string} [label]
 */
export function fill(select, values, label = (v) => nameOf(String(v))) {
  select.replaceChildren(...values.map((v) => new Option(label(v), String(v))));
}

/**
 * A numeric select: make sure the value is one of its options (a URL may carry any).
 * @param {HTMLSelectElement} select @param {number} value
 */
export function choose(select, value) {
  if (![...select.options].some((o) => Number(o.value) === value)) {
    const options = [...select.options, new Option(String(value), String(value))]
      .sort((a, b) => Number(a.value) - Number(b.value));
    select.replaceChildren(...options);
  }
  select.value = [...select.options].find((o) => Number(o.value) === value)?.value ?? select.value;
}

/**
 * Wire every control to the state.
 * @param {import("./api.js").Options} options
 * @param {() => import("./state.js").State} current
 * @param {(changes: Partial<import("./state.js").State>) => void} change
 * @param {{regenerate: () => void, clearPoints: () => void, chooseDataset: (name: string) => void}} actions
 * @returns {(state: import("./state.js").State) => void}  shows a state in the controls
 */
export function bindControls(options, current, change, actions) {
  const bounds = options.bounds;
  /** Menus from registries: state field -> options key. */
  const menus = /** @type {const} */ ({
    activation: "activations", loss: "losses", optimizer: "optimizers", regularization: "regularizations", init: "inits",
  });
  for (const [field, key] of Object.entries(menus)) {
    const select = $(field.replaceAll("_", "-"));
    fill(select, options[key]);
    select.addEventListener("change", () => change({ [field]: select.value }));
  }

  /** Numeric menus: state field -> values on offer. */
  const numeric = {
    learning_rate: LEARNING_RATES.filter((v) => within(bounds.learning_rate, v)),
    regularization_rate: REGULARIZATION_RATES.filter((v) => within(bounds.regularization_rate, v)),
    epochs_per_frame: SPEEDS.filter((v) => v <= options.limits.max_epochs_per_frame),
  };
  for (const [field, values] of Object.entries(numeric)) {
    const select = $(field.replaceAll("_", "-"));
    fill(select, values, (v) => String(v));
    select.addEventListener("change", () => change({ [field]: Number(select.value) }));
  }

  /** Sliders: state field -> [step, how to show a value, scale from state to slider]. */
  const percent = (/** @type {number} */ v) => `${v}%`;
  /** @type {Record<string, [number, (v: number) => string, number]>} */
  const sliders = {
    noise: [NOISE_STEP, percent, 1],
    train_fraction: [FRACTION_STEP, percent, 100],
    batch_size: [1, String, 1],
    num_samples: [SAMPLES_STEP, String, 1],
  };
  for (const [field, [step, show, scale]] of Object.entries(sliders)) {
    const input = $(field.replaceAll("_", "-"));
    Object.assign(input, { min: stated(bounds[field].minimum) * scale, max: stated(bounds[field].maximum) * scale, step });
    const shown = $(`${field.replaceAll("_", "-")}-value`);
    input.addEventListener("input", () => { shown.textContent = show(Number(input.value)); });
    input.addEventListener("change", () => change({ [field]: Math.round((Number(input.value) / scale) * 100) / 100 }));
  }

  /** Number fields, typed in: whole numbers where the state holds an integer. */
  const numbers = ["init_scale", "seed"];
  for (const field of numbers) {
    bindNumber($(field.replaceAll("_", "-")), bounds[field], CONFIG_FIELDS[field] === "int", (v) => change({ [field]: v }));
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
    preview.width = preview.height = options.previews.cells;
    const map = options.previews.datasets[name];
    if (map) drawGrid(preview, map);
    else preview.classList.add("blank"); // a dataset of drawn points has no picture before it has points
    const label = document.createElement("span");
    label.textContent = name === "custom" ? "Draw" : nameOf(name);
    tile.append(preview, label);
    tile.addEventListener("click", () => actions.chooseDataset(name));
    return tile;
  }));
  $("regenerate").addEventListener("click", actions.regenerate);
  $("clear-points").addEventListener("click", actions.clearPoints);

  const deepest = stated(bounds.hidden_layers.maxItems);
  $("add-layer").addEventListener("click", () => {
    const hidden = current().hidden_layers;
    if (hidden.length < deepest) change({ hidden_layers: [...hidden, NEW_LAYER_WIDTH] });
  });
  $("remove-layer").addEventListener("click", () => change({ hidden_layers: current().hidden_layers.slice(0, -1) }));

  // On a phone the settings fold away under a button, so that the output is on the first screen.
  const toggle = $("settings-toggle");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
  });

  return function sync(state) {
    for (const field of Object.keys(menus)) $(field.replaceAll("_", "-")).value = /** @type {any} */ (state)[field];
    for (const field of Object.keys(numeric)) choose($(field.replaceAll("_", "-")), /** @type {any} */ (state)[field]);
    for (const [field, [, show, scale]] of Object.entries(sliders)) {
      const v = Math.round(/** @type {any} */ (state)[field] * scale);
      $(field.replaceAll("_", "-")).value = String(v);
      $(`${field.replaceAll("_", "-")}-value`).textContent = show(v);
    }
    for (const field of numbers) {
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
    $("add-layer").disabled = state.hidden_layers.length >= deepest;
    $("remove-layer").disabled = state.hidden_layers.length === 0;
  };
}
