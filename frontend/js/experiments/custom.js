// @ts-check
/**
 * The custom sweep's form, built from the served axes, measures and limits: up to `max_axes` axes (each a name
 * and values suited to its kind; `variant` is left to the lessons), seeds, epochs, the baselines, a few base
 * settings, and the plot (x the first axis, y a measure, one line per value of the second axis). The page
 * checks little itself: the server's 422 names the field it refuses, and the card shows it.
 */
import { make } from "./make.js";

const BUILDABLE = new Set(["int", "number", "choice", "features"]); // axis kinds the form offers
const STARTING_AXIS = "depth"; // the first axis a new form shows, when the server has it
const STARTING_VALUES = "1, 2, 3"; // … and its values
const CHOICES_CHECKED = 2; // a choice axis starts with its first few choices ticked
const BASE_FIELDS = ["dataset", "activation"]; // the base settings offered, each a menu from the playground's options
const DRAWN = "custom"; // the dataset of drawn points: the form has no way to draw them, so it is not offered

/**
 * @typedef {import("./api.js").Options} Options
 * @typedef {{datasets: string[], activations: string[], defaults: Record<string, any>}} Playground  what the
 *   form reads of the playground's options
 */

/** Words or numbers, separated by commas or spaces. @param {string} text */
function words(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** A number where the text is one; the text itself otherwise, for the server to name. @param {string} text */
function numberOrText(text) {
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/**
 * One axis row: a name menu and the values' control, remade when the name changes.
 * @param {Options} options @param {string} name @param {() => void} remove
 */
function axisRow(options, name, remove) {
  const axes = options.axes.filter((a) => BUILDABLE.has(a.kind));
  const menu = make("select", { className: "axis-name", ariaLabel: "Axis" },
    ...axes.map((a) => make("option", { value: a.name, textContent: a.label })));
  menu.value = name;
  const values = make("div", { className: "axis-values" });
  const row = make("div", { className: "axis-row" }, menu, values,
    make("button", { type: "button", className: "remove-axis", textContent: "×", ariaLabel: "Remove this axis", onclick: remove }));

  function build() {
    const axis = /** @type {import("./api.js").AxisOption} */ (axes.find((a) => a.name === menu.value));
    row.dataset.axis = axis.name;
    if (axis.kind === "choice") {
      values.replaceChildren(...(axis.choices ?? []).filter((c) => c !== DRAWN).map((choice, i) => make("label", { className: "choice" },
        make("input", { type: "checkbox", value: choice, checked: i < CHOICES_CHECKED }), ` ${choice}`)));
      return;
    }
    const hint = axis.kind === "features"
      ? `lists separated by “;”, from ${(axis.choices ?? []).join(" ")}`
      : `numbers ${axis.minimum !== undefined ? `from ${axis.minimum}` : `above ${axis.exclusiveMinimum}`} to ${axis.maximum}`;
    const input = make("input", {
      type: "text", className: "values", ariaLabel: `${axis.label} values`, title: hint,
      placeholder: axis.kind === "features" ? "x1 x2; x1 x2 x1_squared" : "1, 2, 3",
      value: axis.name === STARTING_AXIS ? STARTING_VALUES : "",
    });
    values.replaceChildren(input, make("small", { textContent: hint }));
  }
  menu.addEventListener("change", build);
  build();

  return {
    row,
    /** The axis as the definition names it. @returns {import("./api.js").AxisValues} */
    read() {
      const axis = /** @type {import("./api.js").AxisOption} */ (axes.find((a) => a.name === menu.value));
      if (axis.kind === "choice") {
        return { name: axis.name, values: [...values.querySelectorAll("input:checked")].map((c) => /** @type {HTMLInputElement} */ (c).value) };
      }
      const text = /** @type {HTMLInputElement} */ (values.querySelector("input")).value;
      if (axis.kind === "features") return { name: axis.name, values: text.split(";").map(words).filter((l) => l.length) };
      return { name: axis.name, values: words(text).map(numberOrText) };
    },
  };
}

/**
 * A labelled field. @param {string} label @param {HTMLElement} control
 */
function field(label, control) {
  return make("label", { className: "field" }, make("span", { textContent: label }), control);
}

/**
 * The custom sweep's form.
 * @param {Options} options @param {Playground} playground @param {() => void} submit  run it (Enter in a field; the card's Run button does the same)
 */
export function createCustomForm(options, playground, submit) {
  const { limits, defaults } = options;
  /** @type {ReturnType<typeof axisRow>[]} */
  let rows = [];
  const axesBox = make("div", { className: "axis-rows" });
  const addAxis = make("button", { type: "button", className: "add-axis", textContent: "+ axis" });
  const number = (/** @type {string} */ name, /** @type {number} */ value, /** @type {number} */ min, /** @type {number} */ max) =>
    make("input", { type: "number", name, value: String(value), min: String(min), max: String(max), step: "1", inputMode: "numeric" });
  const seeds = number("seeds", defaults.seeds, 1, limits.max_seeds);
  const epochs = number("epochs", defaults.epochs, 0, limits.max_epochs);
  const baselines = make("input", { type: "checkbox", name: "baselines" });
  const base = BASE_FIELDS.map((name) => {
    const choices = name === "dataset" ? playground.datasets.filter((d) => d !== DRAWN) : playground.activations;
    const menu = make("select", { name }, ...choices.map((c) => make("option", { value: c, textContent: c })));
    menu.value = playground.defaults[name];
    return menu;
  });
  const measure = make("select", { name: "measure" },
    ...options.measures.map((m) => make("option", { value: m.name, textContent: m.label })));
  const form = make("form", { className: "custom-form", noValidate: true },
    make("fieldset", { className: "axes" },
      make("legend", { textContent: `Axes (up to ${limits.max_axes}, each up to ${limits.max_values} values)` }), axesBox, addAxis),
    make("div", { className: "form-fields" },
      ...base.map((menu, i) => field(BASE_FIELDS[i], menu)),
      field(`seeds (≤ ${limits.max_seeds})`, seeds), field(`epochs (≤ ${limits.max_epochs})`, epochs),
      field("plot", measure),
      make("label", { className: "check" }, baselines, " classic baselines (SVM, k-NN, …)")));

  function showAxes() {
    axesBox.replaceChildren(...rows.map((r) => r.row));
    addAxis.disabled = rows.length >= limits.max_axes;
  }

  function add() {
    const buildable = options.axes.filter((a) => BUILDABLE.has(a.kind));
    const used = new Set(rows.map((r) => r.read().name));
    const name = rows.length === 0 && buildable.some((a) => a.name === STARTING_AXIS) ? STARTING_AXIS
      : (buildable.find((a) => !used.has(a.name)) ?? buildable[0]).name;
    const entry = axisRow(options, name, () => { rows = rows.filter((r) => r !== entry); showAxes(); });
    rows.push(entry);
    showAxes();
  }
  addAxis.addEventListener("click", add);
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("keydown", (event) => { // Enter in a field runs the sweep (the form has no submit button)
    if (event.key === "Enter" && event.target instanceof HTMLInputElement && event.target.type !== "checkbox") {
      event.preventDefault();
      submit();
    }
  });
  add();

  return {
    form,
    /** What Run starts: the definition and its one plot. @returns {import("./run.js").Plan} */
    plan() {
      const axes = rows.map((r) => r.read());
      const chosen = /** @type {import("./api.js").Named} */ (options.measures.find((m) => m.name === measure.value));
      const [first, second] = axes.map((a) => options.axes.find((o) => o.name === a.name));
      const series = [...(second ? [second.name] : []), ...(baselines.checked ? ["model"] : [])];
      const title = `${chosen.label[0].toUpperCase()}${chosen.label.slice(1)}${first ? ` by ${first.label}` : ""}${second ? `, one line per ${second.label}` : ""}`;
      return {
        definition: {
          base: Object.fromEntries(base.map((menu) => [menu.name, menu.value])),
          axes, seeds: Number(seeds.value), epochs: Number(epochs.value), record: defaults.record,
          baselines: baselines.checked,
        },
        plots: [{ title, kind: "measure", x: first?.name ?? "", y: chosen.name, series, log_x: Boolean(first?.log), log_y: Boolean(chosen.log) }],
      };
    },
  };
}
