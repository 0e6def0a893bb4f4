// @ts-check
/**
 * The ConvNet lab's page: read the lab's options and the URL into the state, then tie the parts together.
 * Every change goes through `update`, which writes the URL, tells the server and shows the state.
 *
 * The parts: state.js (the state and the URL), the playground's session.js and transport.js (the session,
 * its stream, play, step, reset), display.js (drawing what the stream sends), inside.js and fields.js (the
 * pictures of every layer and the receptive fields), controls.js and layers.js (the settings), pad.js (the
 * drawing pad), mistakes.js, translation.js, layerview.js and history.js (the panels with state of their own).
 */
import { $, fromServer, say, showConnection } from "../dom.js";
import { openSession } from "../session.js";
import { bindTransport } from "../transport.js";
import { followVisualOrder } from "../layout.js";
import { SESSIONS, getOptions, getSnapshot } from "./api.js";
import { configChanges, configOf, createLabStore, defaultState } from "./state.js";
import { createDisplay } from "./display.js";
import { createInside } from "./inside.js";
import { bindFields } from "./fields.js";
import { createHistory } from "./history.js";
import { createMistakes } from "./mistakes.js";
import { createTranslation } from "./translation.js";
import { createLayerView } from "./layerview.js";
import { createPad } from "./pad.js";
import { bindSettings } from "./controls.js";
import { bindLayers } from "./layers.js";

async function start() {
  const options = await fromServer(getOptions);
  const defaults = defaultState(options);
  const store = createLabStore(location.search, defaults);
  const history = createHistory();
  const inside = createInside($("stages"), $("input-stage"));
  const fields = bindFields($("panels"), inside.built, () => display.geometry());
  const mistakes = createMistakes($("mistakes"), $("mistake-count"), (index) => {
    pad.clear();
    if (index === store.get().follow) session.send({ type: "show", test_index: index });
    else update({ follow: index });
  });
  const translation = createTranslation(
    { canvas: $("translation"), table: $("translation-table"), button: $("compare"), note: $("compare-note") },
    { id: () => session.id(), config: () => configOf(store.get()), mlp: () => display.geometry()?.mlp_dense_layers,
      maxSteps: options.limits.max_steps, say },
  );
  const view = createLayerView({ stages: $("view-stages"), legend: $("view-legend") }, { id: () => session.id() });
  const display = createDisplay({ inside, fields, mistakes, translation, view, history }, store.get, options);
  const pad = createPad($("pad"), { ink: (drawing) => session.send({ type: "show", drawing }) });
  $("clear-pad").addEventListener("click", () => {
    pad.clear();
    session.send({ type: "show", test_index: store.get().follow });
  });

  const syncSettings = bindSettings(options, update);
  const syncLayers = bindLayers(options, store.get, update);
  const transport = bindTransport({
    send(message) {
      if (message.type === "pause") display.paused(); // no frame says so
      return session.send(message);
    },
    saferRate: defaults.learning_rate,
    canLower: () => store.get().learning_rate > defaults.learning_rate,
    lower: () => update({ learning_rate: defaults.learning_rate }),
  });

  const session = openSession({
    api: SESSIONS,
    config: () => configOf(store.get()),
    refused(why) {
      say(`The link's settings were refused (${why}); starting from the defaults.`);
      store.set(structuredClone(defaults));
      show();
    },
    created: () => { history.clear(); pad.clear(); },
    frame(buffer) {
      const frame = display.receive(buffer);
      if (frame) transport.status(frame.meta.status);
    },
    text(message) {
      if (message.type === "error") { say(message.error); display.changeAnswered(); }
      else if (message.type === "status") transport.status(message.status);
    },
    connection: showConnection,
    open(created) {
      const state = store.get();
      session.send({ type: "speed", steps_per_frame: state.steps_per_frame });
      if (created && state.follow) session.send({ type: "show", test_index: state.follow });
      if (transport.playing()) session.send({ type: "play" });
      const id = session.id();
      if (id) getSnapshot(id).then((snapshot) => display.seed(snapshot.history), () => {});
    },
  });

  /**
   * The one way the state changes: write the URL, tell the server, show the state.
   * @param {Partial<import("./state.js").LabState>} changes
   */
  function update(changes) {
    const before = store.set(changes);
    const state = store.get();
    const config = configChanges(before, state, Object.keys(changes));
    if (Object.keys(config).length) {
      session.configure(config);
      display.changeSent();
    }
    if ("steps_per_frame" in changes) session.send({ type: "speed", steps_per_frame: state.steps_per_frame });
    if ("follow" in changes) session.send({ type: "show", test_index: state.follow });
    if ("dataset" in changes && before.dataset !== state.dataset) pad.clear();
    show();
  }

  /** Show the state in the controls. */
  function show() {
    const state = store.get();
    const drawable = Boolean(options.datasets[state.dataset]?.drawable);
    $("draw-panel").hidden = !drawable;
    $("panels").classList.toggle("no-pad", !drawable);
    $("compare").hidden = !state.conv_layers.length; // an MLP already: nothing to compare
    syncSettings(state);
    syncLayers(state);
  }

  window.addEventListener("resize", () => display.invalidate());
  followVisualOrder($("panels"));
  show();
  display.start();
}

start();
