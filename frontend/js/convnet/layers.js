// @ts-check
/**
 * The network's layers as a person sets them: convolutional layers (filters, kernel, pooling each) and
 * dense hidden layers (units each), added and removed, and two presets: an MLP on the raw pixels (no
 * convolutional layer) and the lab's default ConvNet. Menus and bounds come from the options.
 */
import { $ } from "../dom.js";
import { stated } from "../api.js";
import { bindNumber, fill, nameOf } from "../controls.js";

/**
 * @param {import("./api.js").LabOptions} options
 * @param {() => import("./state.js").LabState} current
 * @param {(changes: Partial<import("./state.js").LabState>) => void} change
 * @returns {(state: import("./state.js").LabState) => void}  shows a state in the editor
 */
export function bindLayers(options, current, change) {
  const filterBounds = options.bounds.conv_layer.filters;
  const filterCounts = Array.from({ length: stated(filterBounds.maximum) - stated(filterBounds.minimum) + 1 }, (_, i) => stated(filterBounds.minimum) + i);
  const mostConv = stated(options.bounds.conv_layers.maxItems);
  const dense = options.bounds.dense_layers;
  const mostDense = stated(dense.maxItems);
  const unitBounds = /** @type {import("../api.js").Bounds} */ (dense.items);
  const defaults = /** @type {import("./api.js").ConvLayer[]} */ (options.defaults.conv_layers);
  const convList = $("conv-layers"), denseList = $("dense-layers");

  /** @param {number} i @param {Partial<import("./api.js").ConvLayer>} part */
  const setConv = (i, part) => change({ conv_layers: current().conv_layers.map((l, k) => (k === i ? { ...l, ...part } : l)) });

  /** A labelled select. @param {string} label @param {(string|number)[]} values @param {(v: string) => void} chosen */
  function menu(label, values, chosen, names = false) {
    const wrap = document.createElement("label");
    const select = document.createElement("select");
    fill(select, values, names ? undefined : (v) => String(v));
    select.addEventListener("change", () => chosen(select.value));
    wrap.append(label, select);
    return wrap;
  }

  /** A remove button. @param {string} what @param {() => void} remove */
  function removeButton(what, remove) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "remove";
    button.textContent = "−";
    button.title = button.ariaLabel = `Remove ${what}`;
    button.addEventListener("click", remove);
    return button;
  }

  /** A layer's row, named: its controls go after the name. @param {number} i @param {string} name */
  function layerRow(i, name) {
    const row = document.createElement("li");
    row.className = "layer-row";
    row.dataset.layer = String(i);
    const label = document.createElement("b");
    label.textContent = `${name} ${i + 1}`;
    row.append(label);
    return row;
  }

  /** @param {number} i */
  function convRow(i) {
    const row = layerRow(i, "Conv");
    row.append(
      menu("filters", filterCounts, (v) => setConv(i, { filters: Number(v) })),
      menu("kernel", options.kernels, (v) => setConv(i, { kernel: Number(v) })),
      menu("pooling", options.poolings, (v) => setConv(i, { pooling: v }), true),
      removeButton(`convolutional layer ${i + 1}`, () => change({ conv_layers: current().conv_layers.filter((_, k) => k !== i) })),
    );
    return row;
  }

  /** @param {number} i */
  function denseRow(i) {
    const row = layerRow(i, "Dense");
    const wrap = document.createElement("label");
    const input = document.createElement("input");
    input.inputMode = "numeric";
    bindNumber(input, unitBounds, true, (v) => change({ dense_layers: current().dense_layers.map((u, k) => (k === i ? v : u)) }));
    wrap.append("units", input);
    row.append(wrap, removeButton(`dense layer ${i + 1}`, () => change({ dense_layers: current().dense_layers.filter((_, k) => k !== i) })));
    return row;
  }

  $("add-conv").addEventListener("click", () => {
    const layers = current().conv_layers;
    if (layers.length < mostConv) change({ conv_layers: [...layers, { ...(layers[layers.length - 1] ?? defaults[0]) }] });
  });
  $("add-dense").addEventListener("click", () => {
    const layers = current().dense_layers;
    if (layers.length < mostDense) change({ dense_layers: [...layers, layers[layers.length - 1] ?? options.defaults.dense_layers[0] ?? stated(unitBounds.maximum)] });
  });
  $("preset-mlp").addEventListener("click", () => change({ conv_layers: [] }));
  $("preset-convnet").addEventListener("click", () => change({ conv_layers: structuredClone(defaults) }));
  $("preset-convnet").title = `The lab's default: ${defaults.map((l) => `${l.filters} filters ${l.kernel} × ${l.kernel}, ${nameOf(l.pooling).toLowerCase()} pooling`).join("; ")}`;

  return function sync(state) {
    if (convList.children.length !== state.conv_layers.length) convList.replaceChildren(...state.conv_layers.map((_, i) => convRow(i)));
    if (denseList.children.length !== state.dense_layers.length) denseList.replaceChildren(...state.dense_layers.map((_, i) => denseRow(i)));
    state.conv_layers.forEach((layer, i) => {
      const selects = convList.children[i].querySelectorAll("select");
      [layer.filters, layer.kernel, layer.pooling].forEach((v, k) => { selects[k].value = String(v); });
    });
    state.dense_layers.forEach((u, i) => {
      const input = denseList.children[i].querySelector("input");
      if (document.activeElement !== input) input.value = String(u);
    });
    $("add-conv").disabled = state.conv_layers.length >= mostConv;
    $("add-dense").disabled = state.dense_layers.length >= mostDense;
    $("preset-mlp").setAttribute("aria-pressed", String(state.conv_layers.length === 0));
    $("preset-convnet").setAttribute("aria-pressed", String(JSON.stringify(state.conv_layers) === JSON.stringify(defaults)));
  };
}
