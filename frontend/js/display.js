// @ts-check
/**
 * What the page shows of the stream: the metrics, the output map (or the map of a hovered neuron or
 * feature), the network's pictures and links, the charts over time and the layer view. Frames and points
 * only replace data here; drawing happens once per animation frame, and only when something changed.
 * A frame of an earlier epoch (`past`, sent for a seek) is drawn like any other but is no part of the
 * charts' history: they mark its epoch instead.
 */
import { $, setData, setText } from "./dom.js";
import { createPreparing } from "./preparing.js";
import { decodeFrame } from "./protocol.js";
import { pointsOf } from "./output.js";
import { drawGradientFlow, drawLayerBars, drawLoss } from "./charts.js";
import { drawProbes, drawProjection } from "./layerview.js";


/**
 * @typedef {import("./protocol.js").Frame} Frame
 * @typedef {import("./output.js").Points} Points
 * @typedef {import("./charts.js").Sample} Sample
 *
 * @typedef {Object} Panels  the panels a frame draws into
 * @property {ReturnType<typeof import("./network.js").createNetwork>} network
 * @property {ReturnType<typeof import("./output.js").createOutput>} output
 * @property {import("./network.js").Inputs} inputs  the features' maps and labels, shown while one is hovered
 * @property {{draw: () => void}} timeline  drawn with the rest, once per animation frame
 */

/**
 * @param {Panels} panels
 * @param {() => import("./state.js").State} current  the page's state
 * @param {number} historyLimit  samples the charts keep, as the server's history does (options.limits.history):
 *   beyond it every other one is dropped
 */
export function createDisplay(panels, current, historyLimit) {
  const canvases = {
    loss: $("loss-chart"), flow: $("gradient-flow"), bars: $("gradient-bars"), view: $("layer-view"), probes: $("probe-chart"),
  };
  /** @type {Frame | null} */ let frame = null;
  /** @type {Points | null} */ let points = null;
  /** @type {Sample[]} */ const samples = [];
  /** @type {Sample | null} */ let shownSample = null; // the frame on screen's: its bars
  let generation = 0; // goes up whenever the samples start again or are cut: a history asked for before is stale
  let dataVersion = -1;
  let dirty = true;
  const preparing = createPreparing($("preparing"));
  /** @type {import("./network.js").Hover} */ let hover = null;

  /** What a frame adds to the charts. @param {Frame} next @returns {Sample} */
  function sampleOf(next) {
    const meta = next.meta;
    const series = (/** @type {string} */ name) => /** @type {Float32Array} */ (next.arrays[name]?.data ?? new Float32Array());
    return {
      epoch: meta.epoch, train_loss: meta.train_loss, test_loss: meta.test_loss,
      gradient_norms: series("gradient_norms"), update_ratios: series("update_ratios"), saturation: series("saturation"),
    };
  }

  /**
   * Add a live frame's sample to the charts' history: a new build or an earlier epoch starts it again.
   * @param {Frame} next @param {Sample} sample
   */
  function record(next, sample) {
    const meta = next.meta;
    const last = samples[samples.length - 1];
    if (meta.data_version !== dataVersion || (last && meta.epoch < last.epoch)) {
      samples.length = 0;
      dataVersion = meta.data_version;
      generation += 1;
    }
    if (samples.length && samples[samples.length - 1].epoch === meta.epoch) samples[samples.length - 1] = sample;
    else samples.push(sample);
    thin();
  }

  /** Keep at most historyLimit samples: drop every other one, the last kept. */
  function thin() {
    while (samples.length > historyLimit) {
      const kept = samples.filter((_, i) => i % 2 === 0 || i === samples.length - 1);
      samples.splice(0, samples.length, ...kept);
    }
  }

  /**
   * A binary message from the stream: the frame it carries, or null for a points message.
   * @param {ArrayBuffer} buffer @returns {Frame | null}
   */
  function receive(buffer) {
    const next = decodeFrame(buffer);
    dirty = true;
    if (next.meta.kind === "points") { // the data, sent before the first frame drawn from it
      points = pointsOf(next);
      return null;
    }
    shownSample = sampleOf(next);
    if (!next.meta.past) record(next, shownSample);
    const state = current();
    const expected = [state.features.length, ...state.hidden_layers, 1];
    if (preparing.awaiting() && JSON.stringify(next.meta.layer_sizes) === JSON.stringify(expected)) preparing.answered();
    frame = next;
    return next;
  }

  /** The grid the output map shows: the network's output, or what is hovered. @param {Frame} frame */
  function outputGrid(frame) {
    const output = frame.arrays.output;
    let grid = { values: /** @type {Uint8Array} */ (output.data), offset: 0, size: output.shape[0] };
    if (hover?.kind === "neuron" && frame.arrays.neurons) {
      const sizes = frame.meta.layer_sizes.slice(1, -1);
      const before = sizes.slice(0, hover.layer).reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0);
      const cells = frame.arrays.neurons.shape[1];
      if (hover.layer < sizes.length && hover.index < sizes[hover.layer]) {
        grid = { values: /** @type {Uint8Array} */ (frame.arrays.neurons.data), offset: (before + hover.index) * cells * cells, size: cells };
      }
    } else if (hover?.kind === "feature") {
      grid = { values: panels.inputs.maps[hover.name], offset: 0, size: panels.inputs.cells };
    }
    return grid;
  }

  const number = (/** @type {number | null | undefined} */ v) => (v == null ? "–" : v.toFixed(3));
  const percent = (/** @type {number | null | undefined} */ v) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);

  function draw() {
    requestAnimationFrame(draw);
    preparing.show();
    if (!dirty || !frame) return;
    dirty = false;
    const meta = frame.meta;
    const state = current();
    setText("epoch", String(meta.epoch));
    setText("train-loss", number(meta.train_loss));
    setText("test-loss", number(meta.test_loss));
    setText("train-accuracy", percent(meta.train_accuracy));
    setText("test-accuracy", percent(meta.test_accuracy));
    const shown = points?.version === meta.data_version ? points : null; // never another data set's points
    panels.output.draw(outputGrid(frame), shown, { discretize: state.discretize, showTest: state.show_test });
    panels.network.draw(frame, state.discretize);
    const marked = meta.past ? meta.epoch : null;
    drawLoss(canvases.loss, samples, marked);
    drawGradientFlow(canvases.flow, samples, marked);
    drawLayerBars(canvases.bars, shownSample ?? undefined);
    setData(canvases.loss, "firstEpoch", String(samples[0]?.epoch ?? ""));
    setData(canvases.loss, "lastEpoch", String(samples[samples.length - 1]?.epoch ?? ""));
    panels.timeline.draw();
    drawProjection(canvases.view, frame, shown);
    drawProbes(canvases.probes, meta.input_probe_accuracy, meta.probe_accuracy ?? [], meta.view_layer);
  }

  return {
    receive,
    /** Show a hovered neuron or feature on the output map (null: the output again). @param {import("./network.js").Hover} target */
    hover(target) {
      hover = target;
      const note = $("hover-note");
      note.hidden = !target;
      if (target) note.textContent = target.kind === "neuron" ? `Neuron ${target.layer + 1}.${target.index + 1}`
        : `Feature ${panels.inputs.labels[target.name] ?? target.name}`;
      dirty = true;
    },
    /** The data points last received. */
    points: () => points,
    /** A change went to the server: if its frame is slow to come, say the server is preparing. */
    changeSent: preparing.sent,
    /** The server answered the change otherwise (refused it): no frame is coming for it. */
    changeAnswered: preparing.answered,
    clearHistory() { samples.length = 0; generation += 1; },
    /** Where the charts' history is: a history asked for now is loaded only while it stays so (`load`). */
    generation: () => generation,
    /**
     * Fill the charts with a run's history (GET .../history) asked for at `since` (`generation`): its rows, then
     * the frames received since that are newer. A history asked for before the samples started again is stale.
     * @param {import("./api.js").History} history @param {number} since @returns {boolean}  whether it was loaded
     */
    load(history, since) {
      if (since !== generation) return false;
      const floats = (/** @type {(number | null)[]} */ values) => Float32Array.from(values, (v) => v ?? NaN);
      const rows = history.epoch.map((epoch, i) => ({
        epoch, train_loss: history.train_loss[i], test_loss: history.test_loss[i],
        gradient_norms: floats(history.gradient_norms[i]), update_ratios: floats(history.update_ratios[i]),
        saturation: floats(history.saturation[i]),
      }));
      const end = rows.length ? rows[rows.length - 1].epoch : -Infinity;
      samples.splice(0, samples.length, ...rows, ...samples.filter((s) => s.epoch > end));
      thin();
      dirty = true;
      return true;
    },
    /** The run went back to `epoch` for good: the charts end there. @param {number} epoch */
    truncate(epoch) {
      const kept = samples.filter((s) => s.epoch <= epoch);
      samples.splice(0, samples.length, ...kept);
      generation += 1;
      dirty = true;
    },
    /** Draw again at the next animation frame (the state or the page's size changed). */
    invalidate() { dirty = true; },
    start() { requestAnimationFrame(draw); },
  };
}
