// @ts-check
/**
 * The page: read the server's options and the URL into the state, then tie the parts together. Every
 * change goes through `update`, which writes the URL, tells the server and redraws what depends on it.
 *
 * The parts: state.js (the state and the URL), session.js (the session and its stream), display.js
 * (drawing what the stream sends), controls.js and transport.js (the controls), timeline.js (looking
 * back), saved.js (saving a run, and a saved run's page), custom.js (drawn points), network.js and
 * output.js (the two panels that take pointer input), layout.js (Tab order).
 */
import { getHistory, getOptions, getSession, stated } from "./api.js";
import { $, fromServer, say, showConnection } from "./dom.js";
import {
  configChanges, configDifferences, configOf, createStore, defaultState, fromURL, stateOfConfig,
} from "./state.js";
import { openSession } from "./session.js";
import { createDisplay } from "./display.js";
import { createNetwork } from "./network.js";
import { createOutput } from "./output.js";
import { drawLegend } from "./charts.js";
import { bindControls } from "./controls.js";
import { bindTransport } from "./transport.js";
import { addPoint, chooseDataset, clearPoints, pointsOnScreen } from "./custom.js";
import { followVisualOrder } from "./layout.js";
import { createTimeline } from "./timeline.js";
import { bindSave, openSaved, savedRunOf, sessionMaker } from "./saved.js";

const SEED_DRAWS = 100000; // new data draws its seed below this: short links, far more data sets than anyone tries
const SESSION_KEY = "layerlab.playground.session"; // the tab keeps its session's id here: a reload streams the same run

async function start() {
  const savedId = savedRunOf(location.pathname);
  const [options, saved] = await Promise.all([fromServer(getOptions), savedId ? openSaved(savedId) : null]);
  // On a saved run's page its settings are the defaults: the URL holds only what differs from the saved run.
  const defaults = { ...defaultState(options.defaults), ...(saved ? stateOfConfig(saved.config) : {}) };
  const store = createStore(fromURL(location.search, defaults), defaults);
  const regression = new Set(options.regression_datasets);
  const maxPoints = stated(options.bounds.custom_points.maxItems);
  const fewestFeatures = stated(options.bounds.features.minItems);
  const widths = options.bounds.hidden_layers.items ?? {};
  const layerWidth = { minimum: stated(widths.minimum), maximum: stated(widths.maximum) };
  const inputs = {
    names: options.features, labels: options.feature_labels, maps: options.previews.features, cells: options.previews.cells,
  };

  const network = createNetwork($("network"), inputs, layerWidth, {
    toggleFeature(name) {
      const chosen = store.get().features;
      const features = options.features.filter((f) => (f === name) !== chosen.includes(f));
      if (features.length < fewestFeatures) say(`The network needs at least ${fewestFeatures} input feature${fewestFeatures === 1 ? "" : "s"}.`);
      else update({ features });
    },
    resize(layer, delta) {
      const hidden = [...store.get().hidden_layers];
      hidden[layer] = Math.max(layerWidth.minimum, Math.min(layerWidth.maximum, hidden[layer] + delta));
      update({ hidden_layers: hidden });
    },
    hover: (target) => display.hover(target),
  });
  const output = createOutput($("output"), options.grid.extent, (x1, x2, label) => {
    const { changes, hint } = addPoint(store.get(), onScreen(), [x1, x2, label], maxPoints);
    update(changes);
    if (hint) say(hint);
  });
  const timeline = createTimeline({ send: (message) => session.send(message), halt: () => transport.halt() });
  const display = createDisplay({ network, output, inputs, timeline }, store.get, options.limits.history);

  /** The classified points on screen, or null when they are a regression's. */
  function onScreen() {
    return regression.has(store.get().dataset) ? null : pointsOnScreen(display.points(), maxPoints);
  }

  const sync = bindControls(options, store.get, update, {
    regenerate: () => update({ seed: Math.floor(Math.random() * SEED_DRAWS) }),
    clearPoints: () => update(clearPoints()),
    chooseDataset: (name) => update(chooseDataset(store.get(), onScreen(), name)),
  });

  const transport = bindTransport({
    send: (message) => session.send(message),
    saferRate: defaults.learning_rate,
    canLower: () => store.get().learning_rate > defaults.learning_rate,
    lower: () => update({ learning_rate: defaults.learning_rate }),
  });

  let historyDue = false; // the stream opened: ask for the run's history once its first frame of now is in
  const session = openSession({
    // A saved run's page continues the saved run in a session of its own (made again by importing it, should
    // the server forget it); a reload there opens the saved run again. Elsewhere the tab keeps its session.
    api: { create: sessionMaker(saved), get: getSession, base: "/api/sessions" },
    remember: saved ? undefined : SESSION_KEY,
    differences: (config) => configDifferences(config, store.get()),
    config: () => configOf(store.get()),
    refused(why) {
      say(`The link's settings were refused (${why}); starting from the defaults.`);
      store.set(structuredClone(defaults));
      reshape();
      show();
    },
    created: () => display.clearHistory(),
    frame(buffer) {
      const frame = display.receive(buffer);
      if (!frame) return;
      transport.status(frame.meta.status);
      timeline.frame(frame.meta);
      if (historyDue && !frame.meta.past) {
        historyDue = false;
        loadHistory();
      }
    },
    text(message) {
      if (message.type === "error") { say(message.error); display.changeAnswered(); timeline.unanswered(); }
      else if (message.type === "status") transport.status(message.status);
      else if (message.type === "rewound") rewound(message.epoch, message.config);
    },
    connection: showConnection,
    open() {
      historyDue = true;
      timeline.unanswered();
      const state = store.get();
      if (state.epochs_per_frame !== 1) session.send({ type: "speed", epochs_per_frame: state.epochs_per_frame });
      if (state.view_layer) session.send({ type: "view", layer: state.view_layer });
      if (transport.playing()) session.send({ type: "play" });
    },
  });

  bindSave(() => session.id(), () => timeline.looking());

  /** The charts from the run's first epoch, and how far back the timeline reaches (after a reload, a saved run). */
  async function loadHistory() {
    const id = session.id();
    if (!id) return;
    const since = display.generation();
    try {
      const reply = await getHistory(id);
      if (display.load(reply.history, since)) timeline.origin(reply.origin);
    } catch { /* the charts keep what the stream sent */ }
  }

  /**
   * The run went back to an earlier epoch for good (this page's "Continue from here" or another viewer's): the
   * charts end there, and the settings show the config in force then. The server knows it: nothing is sent.
   * @param {number} epoch @param {Record<string, any>} config
   */
  function rewound(epoch, config) {
    display.truncate(epoch);
    timeline.rewound(epoch);
    const before = store.set(stateOfConfig(config));
    const state = store.get();
    if (JSON.stringify([before.features, before.hidden_layers]) !== JSON.stringify([state.features, state.hidden_layers])) reshape();
    show();
  }

  /**
   * The one way the state changes: write the URL, tell the server, redraw what depends on it.
   * @param {Partial<import("./state.js").State>} changes
   */
  function update(changes) {
    const before = store.set(changes);
    const state = store.get();
    const config = configChanges(before, state, Object.keys(changes));
    if (Object.keys(config).length) {
      session.configure(config);
      display.changeSent();
    }
    if ("epochs_per_frame" in changes) session.send({ type: "speed", epochs_per_frame: state.epochs_per_frame });
    if ("view_layer" in changes || "hidden_layers" in changes) session.send({ type: "view", layer: Math.max(0, state.view_layer) });
    if ("hidden_layers" in changes || "features" in changes) reshape();
    show();
  }

  /** The network's shape changed: the diagram and the gradient legend follow. */
  function reshape() {
    const state = store.get();
    network.build(state.features, state.hidden_layers);
    drawLegend($("flow-legend"), state.hidden_layers.length + 1);
  }

  /** Show the state in the controls and draw again. */
  function show() {
    const state = store.get();
    document.body.classList.toggle("regression", regression.has(state.dataset));
    sync(state);
    display.invalidate();
  }

  window.addEventListener("resize", () => { network.invalidate(); display.invalidate(); });
  followVisualOrder($("panels"));
  reshape();
  show();
  display.start();
}

start();
