// @ts-check
/**
 * The lab's settings: menus and fields built from GET /api/convnet/options (registries, bounds, limits),
 * each bound to one field of the state. `bindSettings` wires them once; the returned `sync` shows a state.
 */
import { $ } from "../dom.js";
import { stated } from "../api.js";
import { LEARNING_RATES, bindNumber, choose, fill, nameOf, within } from "../controls.js";

const L2_RATES = [0, 0.00001, 0.0001, 0.001, 0.01, 0.1, 1]; // penalties on offer, within the bounds
const SPEED_BASE = 2; // speeds on offer are its powers up to the limit (and the default)
const ALL = ""; // the training-images menu's value for all of them (train_images null)

/** The id of a field's control. @param {string} field */
export const idOf = (field) => field.replaceAll("_", "-");

/**
 * @param {import("./api.js").LabOptions} options
 * @param {(changes: Partial<import("./state.js").LabState>) => void} change
 * @returns {(state: import("./state.js").LabState) => void}  shows a state in the controls
 */
export function bindSettings(options, change) {
  const bounds = options.bounds;
  const datasets = Object.keys(options.datasets);
  /** Menus of names: state field -> the names on offer. @type {Record<string, string[]>} */
  const menus = { dataset: datasets, activation: options.activations, init: options.inits, optimizer: options.optimizers };
  for (const [field, names] of Object.entries(menus)) {
    const select = $(idOf(field));
    fill(select, names, field === "dataset"
      ? (name) => `${nameOf(name)} (${options.datasets[name].side} × ${options.datasets[name].side})` : undefined);
    select.addEventListener("change", () => change({ [field]: select.value }));
  }

  const speeds = [];
  for (let v = 1; v <= options.limits.max_steps_per_frame; v *= SPEED_BASE) speeds.push(v);
  if (!speeds.includes(options.default_speed)) speeds.push(options.default_speed);
  /** Menus of numbers: state field -> the values on offer. @type {Record<string, number[]>} */
  const numeric = {
    learning_rate: LEARNING_RATES.filter((v) => within(bounds.learning_rate, v)),
    l2: L2_RATES.filter((v) => within(bounds.l2, v)),
    batch_size: options.batch_sizes,
    steps_per_frame: speeds.sort((a, b) => a - b),
  };
  for (const [field, values] of Object.entries(numeric)) {
    const select = $(idOf(field));
    fill(select, values, (v) => String(v));
    select.addEventListener("change", () => change({ [field]: Number(select.value) }));
  }

  // How many training images: all, or a stratified subset (an experiment's network may use any number).
  const trainImages = /** @type {HTMLSelectElement} */ ($(idOf("train_images")));
  fill(trainImages, [ALL, ...options.train_image_choices], (v) => (v === ALL ? "all" : String(v)));
  trainImages.addEventListener("change", () => change({ train_images: trainImages.value === ALL ? null : Number(trainImages.value) }));

  /** Number fields, typed in; the seed is a whole number. */
  const numbers = ["init_scale", "seed"];
  for (const field of numbers) bindNumber($(idOf(field)), bounds[field], field === "seed", (v) => change({ [field]: v }));

  const seeds = stated(bounds.seed.maximum);
  $("new-seed").addEventListener("click", () => change({ seed: Math.floor(Math.random() * Math.min(seeds, 1e5)) }));

  // On a phone the settings fold away under a button.
  const toggle = $("settings-toggle");
  toggle.addEventListener("click", () => toggle.setAttribute("aria-expanded", String(toggle.getAttribute("aria-expanded") !== "true")));

  return function sync(state) {
    for (const field of Object.keys(menus)) $(idOf(field)).value = /** @type {any} */ (state)[field];
    for (const field of Object.keys(numeric)) choose($(idOf(field)), /** @type {any} */ (state)[field]);
    if (state.train_images === null) trainImages.value = ALL;
    else choose(trainImages, state.train_images);
    for (const field of numbers) {
      const input = $(idOf(field));
      if (document.activeElement !== input) input.value = String(/** @type {any} */ (state)[field]);
    }
  };
}
