// @ts-check
/**
 * The labs seen from the experiments: the playground's options (the datasets and activations the custom sweep
 * offers) and a link that opens one of an experiment's networks in its lab. The link is the lab page's own
 * address for the network's config (its state.js writes it; the page reads it), so it shows exactly that
 * network: the playground's for a playground network, the ConvNet lab's for one of its networks.
 */
import { getOptions } from "../api.js";
import * as convnetApi from "../convnet/api.js";
import * as convnetState from "../convnet/state.js";
import { defaultState, stateOfConfig, toURL } from "../state.js";
import { make } from "./make.js";

/** @type {Promise<import("../api.js").Options> | null} */
let options = null;

/** The playground's options, asked for once. */
export function playgroundOptions() {
  options ??= getOptions();
  return options;
}

/** @type {Promise<import("../convnet/api.js").LabOptions> | null} */
let convnetOptions = null;

/** The address of the lab page showing a network's config. @param {Record<string, any>} config */
export async function labURL(config) {
  if ("conv_layers" in config) {
    convnetOptions ??= convnetApi.getOptions();
    const defaults = convnetState.defaultState(await convnetOptions);
    return `/convnet.html${convnetState.urlOfConfig(config, defaults)}`;
  }
  const defaults = defaultState((await playgroundOptions()).defaults);
  return `/${toURL({ ...defaults, ...stateOfConfig(config) }, defaults)}`;
}

/**
 * A row's grid cell in words: each axis's label and value.
 * @param {import("./api.js").StatusAxis[]} axes @param {(number | null)[]} cell
 */
export function cellLabel(axes, cell) {
  return axes.map((axis, k) => {
    const value = axis.labels[cell[k] ?? 0];
    return axis.kind === "variant" ? value : `${axis.label} ${value}`;
  }).join("; ") || "the network";
}

/**
 * "Watch a network": a choice of the experiment's grid cells and a link opening the first seed's network of
 * the cell chosen in its lab; hidden until there are networks.
 */
export function createWatch() {
  const select = make("select", { className: "watch-cell" });
  const link = make("a", { className: "watch-link", textContent: "open in its lab", target: "_blank", rel: "noopener" });
  const element = make("div", { className: "watch", hidden: true },
    make("label", {}, "Watch a network: ", select), " ", link);
  /** @type {Map<string, import("./api.js").Row>} */
  let networks = new Map(); // each cell's network of the lowest seed, by the cell's JSON
  let asked = 0; // the latest link asked for: an earlier answer arriving late is dropped

  async function point() {
    const row = networks.get(select.value);
    if (!row) return;
    const ask = ++asked;
    link.removeAttribute("href");
    const url = await labURL(row.config);
    if (ask === asked) {
      link.href = url;
      link.title = `Seed ${row.config.seed} of ${select.selectedOptions[0]?.textContent ?? "this cell"}`;
    }
  }
  select.addEventListener("change", point);

  return {
    element,
    /**
     * The cells with networks so far.
     * @param {import("./api.js").Row[]} rows @param {import("./api.js").StatusAxis[]} axes
     */
    update(rows, axes) {
      /** @type {Map<string, import("./api.js").Row>} */
      const found = new Map();
      for (const row of rows) {
        if (row.model !== "network") continue;
        const key = JSON.stringify(row.cell);
        const known = found.get(key);
        if (!known || row.seed < known.seed) found.set(key, row);
      }
      const cells = [...found.keys()].sort((a, b) => /** @type {any} */ (found.get(a)).index - /** @type {any} */ (found.get(b)).index);
      element.hidden = cells.length === 0;
      const same = cells.length === networks.size && cells.every((c, i) => select.options[i]?.value === c);
      const before = networks.get(select.value);
      networks = found;
      if (same) {
        if (found.get(select.value) !== before) point();
        return;
      }
      const chosen = select.value;
      select.replaceChildren(...cells.map((c) => make("option", { value: c, textContent: cellLabel(axes, JSON.parse(c)) })));
      if (found.has(chosen)) select.value = chosen;
      point();
    },
  };
}
