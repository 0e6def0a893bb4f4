// @ts-check
/**
 * The page: read the URL into the state, start a session, open its stream, and draw the
 * newest frame on each animation frame. Every change goes through `update`, which writes
 * the URL and tells the server.
 */
import { ApiError, createSession, getOptions, getSession } from "./api.js";
import { CONFIG_FIELDS, configOf, defaultState, fromURL, toURL } from "./state.js";
import { openStream } from "./stream.js";
import { decodeFrame } from "./protocol.js";
import { FEATURE_FORMULAS, FEATURE_LABELS, sample } from "./heatmap.js";
import { createNetwork } from "./network.js";
import { createOutput, pointsOf } from "./output.js";
import { drawGradientFlow, drawLayerBars, drawLoss, layerColour, layerName } from "./charts.js";
import { drawProbes, drawProjection } from "./layerview.js";
import { bindControls } from "./controls.js";

const HISTORY_LIMIT = 2000; // samples kept for the charts; beyond it every other one is dropped
const MESSAGE_MS = 6000; // how long an error message stays
const HOVER_MAP = 64; // cells per side of a hovered feature's map on the output
const SEED_RANGE = 100000; // new data draws its seed below this
const NEW_LAYER_WIDTH = 2; // neurons in a layer the add button makes
const STARTER_POINTS = [[-3, 0, -1], [3, 0, 1]]; // a custom dataset's points before any are drawn
const PREPARING_MS = 400; // a change unanswered this long shows the "preparing" note (a new depth compiles)

/** @param {string} id @returns {any} */
const $ = (id) => document.getElementById(id);

/** @param {string} text */
function say(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(Number(box.dataset.timer));
  box.dataset.timer = String(setTimeout(() => { box.hidden = true; }, MESSAGE_MS));
}

async function start() {
  let options;
  try {
    options = await getOptions();
  } catch (error) {
    $("connection").dataset.state = "reconnecting";
    $("connection").querySelector(".text").textContent = "server unreachable; reload to try again";
    throw error;
  }
  const defaults = defaultState(options.defaults);
  let state = fromURL(location.search, defaults);
  const regression = new Set(options.regression_datasets);
  const maxSamples = options.limits.max_samples;

  /** @type {string | null} */ let sessionId = null;
  let playing = false;
  let diverged = false;
  /** @type {Record<string, any>} */ let pending = {};
  /** @type {import("./protocol.js").Frame | null} */ let frame = null;
  /** @type {import("./output.js").Points | null} */ let points = null;
  /** @type {import("./charts.js").Sample[]} */ const samples = [];
  let dataVersion = -1;
  let dirty = true;
  /** @type {number | null} */ let awaitingSince = performance.now(); // since when a frame for the current settings is awaited
  const preparingNote = $("preparing");
  const canvases = {
    loss: $("loss-chart"), flow: $("gradient-flow"), bars: $("gradient-bars"), view: $("layer-view"), probes: $("probe-chart"),
  };
  /** @type {import("./network.js").Hover} */ let hover = null;
  /** @type {Map<string, Uint8Array>} */ const featureMaps = new Map();

  const network = createNetwork($("network"), options.features, options.limits.max_width, {
    toggleFeature(name) {
      const features = state.features.includes(name) ? state.features.filter((f) => f !== name) : [...state.features, name];
      if (features.length === 0) { say("The network needs at least one input feature."); return; }
      update({ features: options.features.filter((/** @type {string} */ f) => features.includes(f)) });
    },
    resize(layer, delta) {
      const hidden = [...state.hidden_layers];
      hidden[layer] = Math.max(1, Math.min(options.limits.max_width, hidden[layer] + delta));
      update({ hidden_layers: hidden });
    },
    hover(target) {
      hover = target;
      const note = $("hover-note");
      note.hidden = !target;
      if (target) note.textContent = target.kind === "neuron" ? `Neuron ${target.layer + 1}.${target.index + 1}`
        : `Feature ${FEATURE_LABELS[target.name] ?? target.name}`;
      dirty = true;
    },
  });
  const output = createOutput($("output"), addPoint);

  const sync = bindControls(options, update, {
    regenerate: () => update({ seed: Math.floor(Math.random() * SEED_RANGE) }),
    clearPoints: () => update({ custom_points: STARTER_POINTS.map((p) => [...p]) }),
    chooseDataset(name) {
      if (name !== "custom") { update({ dataset: name }); return; }
      const labels = new Set(state.custom_points.map((p) => p[2]));
      if (labels.size < 2) {
        const current = regression.has(state.dataset) ? [] : currentPoints();
        update({ dataset: "custom", custom_points: current.length ? current : STARTER_POINTS.map((p) => [...p]) });
      } else update({ dataset: "custom" });
    },
  });

  /** The points on screen as [x1, x2, label] triples. */
  function currentPoints() {
    if (!points) return [];
    const rows = [];
    for (const data of [points.train, points.test]) {
      for (let i = 0; i < data.length; i += 3) rows.push([+data[i].toFixed(2), +data[i + 1].toFixed(2), data[i + 2] > 0 ? 1 : -1]);
    }
    return rows.slice(0, maxSamples);
  }

  /** Add a point: the current data become the custom set if they are not already. @param {number} x1 @param {number} x2 @param {number} label */
  function addPoint(x1, x2, label) {
    const base = state.dataset === "custom" ? state.custom_points
      : regression.has(state.dataset) ? state.custom_points : currentPoints();
    const custom_points = [...base, [+x1.toFixed(2), +x2.toFixed(2), label]].slice(-maxSamples);
    if (new Set(custom_points.map((p) => p[2])).size < 2) {
      update({ custom_points });
      say(`Now add a point of the other class (${label > 0 ? "shift-click for orange" : "click for blue"}).`);
      return;
    }
    update({ dataset: "custom", custom_points });
  }

  /**
   * The one way the state changes: write the URL, redraw what depends on it, tell the server.
   * @param {Partial<import("./state.js").State>} changes
   */
  function update(changes) {
    const before = state;
    state = { ...state, ...changes };
    history.replaceState(null, "", (toURL(state, defaults) || location.pathname) + location.hash);
    /** @type {Record<string, any>} */
    const config = {};
    for (const name of Object.keys(changes)) {
      if (name in CONFIG_FIELDS && JSON.stringify(/** @type {any} */ (before)[name]) !== JSON.stringify(/** @type {any} */ (state)[name])) {
        config[name] = /** @type {any} */ (state)[name];
      }
    }
    if ("dataset" in config || "custom_points" in config) {
      if (state.dataset !== "custom" && before.dataset !== "custom") delete config.custom_points;
      else config.custom_points = configOf(state).custom_points;
      if (state.dataset === "custom" && new Set(state.custom_points.map((p) => p[2])).size < 2) {
        delete config.custom_points; delete config.dataset;
      }
    }
    if (Object.keys(config).length) {
      if (!stream.send({ type: "config", config })) Object.assign(pending, config);
      awaitingSince = performance.now();
    }
    if ("epochs_per_frame" in changes) stream.send({ type: "speed", epochs_per_frame: state.epochs_per_frame });
    if (state.view_layer >= state.hidden_layers.length && state.hidden_layers.length) {
      state.view_layer = state.hidden_layers.length - 1;
    }
    if ("view_layer" in changes || "hidden_layers" in changes) stream.send({ type: "view", layer: Math.max(0, state.view_layer) });
    if ("hidden_layers" in changes || "features" in changes) {
      network.build(state.features, state.hidden_layers);
      legend();
    }
    document.body.classList.toggle("regression", regression.has(state.dataset));
    sync(state);
    dirty = true;
  }

  /** The gradient-flow legend: one swatch per weight layer. */
  function legend() {
    const n = state.hidden_layers.length + 1;
    $("flow-legend").replaceChildren(...Array.from({ length: n }, (_, i) => {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = layerColour(i, n);
      item.append(swatch, `${i === n - 1 ? "output" : `layer ${i + 1}`} (${layerName(i, n)})`);
      return item;
    }));
  }

  /** @param {boolean} on */
  function setPlaying(on) {
    playing = on;
    $("play").setAttribute("aria-pressed", String(on));
    $("play").setAttribute("aria-label", on ? "Pause" : "Play");
    document.body.classList.toggle("playing", on);
  }

  /** @param {boolean} on */
  function setDiverged(on) {
    diverged = on;
    $("diverged").hidden = !on;
    const lower = $("diverged-lower");
    lower.hidden = !(on && state.learning_rate > defaults.learning_rate);
    lower.textContent = `Reset with learning rate ${defaults.learning_rate}`;
    $("play").disabled = on;
    $("step").disabled = on;
    if (on) setPlaying(false);
  }

  function play() {
    if (diverged) return;
    setPlaying(!playing);
    stream.send({ type: playing ? "play" : "pause" });
  }
  function step() {
    if (diverged) return;
    setPlaying(false);
    stream.send({ type: "step" });
  }
  function reset() {
    setPlaying(false);
    setDiverged(false);
    stream.send({ type: "reset" });
  }

  /** @param {boolean} fresh */
  async function session(fresh) {
    if (sessionId && !fresh) {
      try {
        await getSession(sessionId);
        return { id: sessionId, created: false };
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    }
    let reply;
    try {
      reply = await createSession(configOf(state));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 422)) throw error;
      say(`The link's settings were refused (${error.message}); starting from the defaults.`);
      state = structuredClone(defaults);
      history.replaceState(null, "", location.pathname);
      network.build(state.features, state.hidden_layers);
      legend();
      sync(state);
      reply = await createSession(configOf(state));
    }
    sessionId = reply.id;
    pending = {};
    samples.length = 0;
    return { id: reply.id, created: true };
  }

  const stream = openStream({
    session,
    frame(buffer) {
      const next = decodeFrame(buffer);
      if (next.meta.kind === "points") { // the data, sent before the first frame drawn from it
        points = pointsOf(next);
        dirty = true;
        return;
      }
      const meta = next.meta;
      const last = samples[samples.length - 1];
      if (meta.data_version !== dataVersion || (last && meta.epoch < last.epoch)) {
        samples.length = 0;
        dataVersion = meta.data_version;
      }
      const sample = {
        epoch: meta.epoch, train_loss: meta.train_loss, test_loss: meta.test_loss,
        gradient_norms: /** @type {Float32Array} */ (next.arrays.gradient_norms?.data ?? new Float32Array()),
        update_ratios: /** @type {Float32Array} */ (next.arrays.update_ratios?.data ?? new Float32Array()),
        saturation: /** @type {Float32Array} */ (next.arrays.saturation?.data ?? new Float32Array()),
      };
      if (samples.length && samples[samples.length - 1].epoch === meta.epoch) samples[samples.length - 1] = sample;
      else samples.push(sample);
      if (samples.length > HISTORY_LIMIT) {
        const kept = samples.filter((_, i) => i % 2 === 0 || i === samples.length - 1);
        samples.splice(0, samples.length, ...kept);
      }
      const expected = [state.features.length, ...state.hidden_layers, 1];
      if (awaitingSince !== null && JSON.stringify(meta.layer_sizes) === JSON.stringify(expected)) awaitingSince = null;
      if (meta.status === "diverged" && !diverged) setDiverged(true);
      if (meta.status !== "diverged" && diverged) setDiverged(false);
      frame = next;
      dirty = true;
    },
    text(message) {
      if (message.type === "error") { say(message.error); awaitingSince = null; }
      else if (message.type === "status" && message.status === "diverged") setDiverged(true);
    },
    connection(connection, detail) {
      const box = $("connection");
      box.dataset.state = connection;
      box.querySelector(".text").textContent =
        connection === "live" ? "live" : connection === "connecting" ? "connecting…" : "offline, reconnecting…";
      box.title = detail;
      document.body.classList.toggle("offline", connection !== "live");
    },
    open(created) {
      if (!created && Object.keys(pending).length) stream.send({ type: "config", config: pending });
      pending = {};
      if (state.epochs_per_frame !== 1) stream.send({ type: "speed", epochs_per_frame: state.epochs_per_frame });
      if (state.view_layer) stream.send({ type: "view", layer: state.view_layer });
      if (playing && !diverged) stream.send({ type: "play" });
    },
  });

  /** Text that changes only when its value does. @param {string} id @param {string} text */
  function text(id, value) {
    const el = $(id);
    if (el.textContent !== value) el.textContent = value;
  }
  const number = (/** @type {number | null | undefined} */ v) => (v == null ? "–" : v.toFixed(3));
  const percent = (/** @type {number | null | undefined} */ v) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);

  function draw() {
    requestAnimationFrame(draw);
    const preparing = awaitingSince !== null && performance.now() - awaitingSince > PREPARING_MS;
    if (preparingNote.hidden === preparing) preparingNote.hidden = !preparing;
    if (!dirty || !frame) return;
    dirty = false;
    const meta = frame.meta;
    text("epoch", String(meta.epoch));
    text("train-loss", number(meta.train_loss));
    text("test-loss", number(meta.test_loss));
    text("train-accuracy", percent(meta.train_accuracy));
    text("test-accuracy", percent(meta.test_accuracy));

    let grid = { values: /** @type {Uint8Array} */ (frame.arrays.output.data), offset: 0, size: frame.arrays.output.shape[0] };
    if (hover?.kind === "neuron" && frame.arrays.neurons) {
      const sizes = meta.layer_sizes.slice(1, -1);
      const before = sizes.slice(0, hover.layer).reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0);
      const cells = frame.arrays.neurons.shape[1];
      if (hover.layer < sizes.length && hover.index < sizes[hover.layer]) {
        grid = { values: /** @type {Uint8Array} */ (frame.arrays.neurons.data), offset: (before + hover.index) * cells * cells, size: cells };
      }
    } else if (hover?.kind === "feature") {
      const name = hover.name;
      if (!featureMaps.has(name)) featureMaps.set(name, sample(/** @type {any} */ (FEATURE_FORMULAS)[name], HOVER_MAP));
      grid = { values: /** @type {Uint8Array} */ (featureMaps.get(name)), offset: 0, size: HOVER_MAP };
    }
    const shown = points?.version === meta.data_version ? points : null; // never another data set's points
    output.draw(grid, shown, { discretize: state.discretize, showTest: state.show_test });
    network.draw(frame, state.discretize);
    drawLoss(canvases.loss, samples);
    drawGradientFlow(canvases.flow, samples);
    drawLayerBars(canvases.bars, samples[samples.length - 1]);
    drawProjection(canvases.view, frame, shown);
    drawProbes(canvases.probes, meta.input_probe_accuracy, meta.probe_accuracy ?? [], meta.view_layer);
  }

  // Space on a button reached with Tab presses that button; on one last clicked with the pointer it plays,
  // as it does everywhere else on the page.
  let clicked = false;
  document.addEventListener("pointerdown", () => { clicked = true; }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Tab") clicked = false;
    const target = /** @type {HTMLElement} */ (event.target);
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest("input, select, textarea, [contenteditable]")) return;
    const tabbedButton = target.closest("button") && !clicked;
    if (event.key === " " && !tabbedButton) { event.preventDefault(); if (!event.repeat) play(); }
    else if (event.key === "ArrowRight") { event.preventDefault(); step(); }
  });
  $("play").addEventListener("click", play);
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  $("diverged-reset").addEventListener("click", reset);
  $("diverged-lower").addEventListener("click", () => { update({ learning_rate: defaults.learning_rate }); reset(); });
  $("add-layer").addEventListener("click", () => {
    if (state.hidden_layers.length < options.limits.max_layers) update({ hidden_layers: [...state.hidden_layers, NEW_LAYER_WIDTH] });
  });
  $("remove-layer").addEventListener("click", () => update({ hidden_layers: state.hidden_layers.slice(0, -1) }));
  window.addEventListener("resize", () => { network.invalidate(); dirty = true; });

  network.build(state.features, state.hidden_layers);
  legend();
  document.body.classList.toggle("regression", regression.has(state.dataset));
  sync(state);
  requestAnimationFrame(draw);
}

start();
