// @ts-check
/**
 * What the lab's page shows of its stream. An images message brings a network's test images and geometry;
 * a frame only replaces data here. Drawing happens once per animation frame and only when something changed:
 * a new network first rebuilds the pictures' DOM, then every frame paints canvases and changes text that
 * changed. Canvases are painted before any text is set, so no frame forces a layout in between.
 */
import { $, setText } from "../dom.js";
import { createPreparing } from "../preparing.js";
import { decodeFrame } from "../protocol.js";
import { drawGradientFlow, drawLayerBars, drawLegend, drawLoss } from "../charts.js";
import { drawAccuracy } from "./curves.js";
import { drawConfusion, confusionLabels } from "./confusion.js";
import { drawProbabilities, sizeProbabilities } from "./probabilities.js";
import { drawStrip } from "./strip.js";
import { drawInk } from "./pixels.js";
import { weightShapes } from "./state.js";

const COST_EVERY_MS = 1000; // how often the page's own drawing time is shown

/**
 * @typedef {import("../protocol.js").Frame} Frame
 * @typedef {{version: number, geometry: import("./api.js").Geometry, images: Uint8Array, labels: Uint8Array, side: number}} Network
 *
 * @typedef {Object} Parts  what a frame draws into
 * @property {ReturnType<typeof import("./inside.js").createInside>} inside
 * @property {ReturnType<typeof import("./fields.js").bindFields>} fields
 * @property {ReturnType<typeof import("./mistakes.js").createMistakes>} mistakes
 * @property {ReturnType<typeof import("./translation.js").createTranslation>} translation
 * @property {ReturnType<typeof import("./layerview.js").createLayerView>} view
 * @property {ReturnType<typeof import("./history.js").createHistory>} history
 */

/**
 * @param {Parts} parts @param {() => import("./state.js").LabState} current
 * @param {import("./api.js").LabOptions} options
 */
export function createDisplay(parts, current, options) {
  const canvases = {
    loss: $("loss-chart"), accuracy: $("accuracy-chart"), flow: $("gradient-flow"), bars: $("gradient-bars"),
    probabilities: $("probabilities"), confusion: $("confusion"), seen: $("pad-seen"),
  };
  /** @type {Network | null} */ let network = null; // of the last images message
  /** @type {Network | null} */ let shown = null; // whose pictures are on screen
  /** @type {Frame | null} */ let frame = null;
  /** @type {string[]} */ let labels = [];
  let dirty = true;
  const preparing = createPreparing($("preparing"));
  let cost = 0, costFrames = 0, costShownAt = 0;
  /** @type {(number | null)[][] | null} */ let seeded = null; // a snapshot's history, until its network is known
  /** @type {number | null} */ let trainLoss = null; // the last trained frame's: a frame that trains nothing has none

  /** @param {Frame} message @returns {Network} */
  function networkOf(message) {
    const { kind, data_version, ...geometry } = message.meta;
    const images = message.arrays.test_images;
    return { version: data_version, geometry: /** @type {any} */ (geometry), images: /** @type {Uint8Array} */ (images.data),
      labels: /** @type {Uint8Array} */ (message.arrays.test_labels.data), side: images.shape[1] };
  }

  /** A binary message: the frame it carries, or null for an images message. @param {ArrayBuffer} buffer */
  function receive(buffer) {
    const next = decodeFrame(buffer);
    dirty = true;
    if (next.meta.kind === "images") {
      network = networkOf(next);
      if (seeded) seed(seeded);
      return null;
    }
    if (!network || network.version !== next.meta.data_version) return null; // its images are on their way
    frame = next;
    if (next.meta.train_loss != null) trainLoss = next.meta.train_loss;
    parts.history.record(next, network.geometry.steps_per_epoch);
    parts.translation.frame(next.meta);
    parts.view.frame(next.meta);
    if (preparing.awaiting() && JSON.stringify(network.geometry.layers.map((l) => l.weights))
        === JSON.stringify(weightShapes(current(), options))) preparing.answered(); // the shape asked for came
    return next;
  }

  /** The history of the run so far (the snapshot's), before the frames'. @param {(number | null)[][]} entries */
  function seed(entries) {
    seeded = network ? null : entries;
    if (network) parts.history.seed(entries, network.geometry.steps_per_epoch);
    dirty = true;
  }

  /** A new network on screen: its pictures, strip, legend, mistakes and matrix labels. @param {Network} next */
  function rebuild(next) {
    const { geometry, side } = next;
    parts.fields.reset();
    trainLoss = null;
    parts.inside.build(geometry, side);
    drawStrip($("strip"), $("parameter-total"), geometry, side, current().conv_layers.map((l) => l.pooling));
    let conv = 0, dense = 0;
    drawLegend($("flow-legend"), geometry.layers.length,
      geometry.layers.map((l) => (l.kind === "conv" ? `conv ${++conv}` : l.kind === "dense" ? `dense ${++dense}` : "output")));
    parts.mistakes.setImages(next.images, next.labels, side, geometry.classes);
    parts.view.setImages(next.labels, geometry.classes);
    sizeProbabilities(canvases.probabilities, geometry.classes.length);
    const matrix = confusionLabels(geometry.classes);
    labels = matrix.labels;
    $("confusion-key").textContent = matrix.key;
    canvases.seen.width = canvases.seen.height = side;
    shown = next;
  }

  const number = (/** @type {number | null | undefined} */ v) => (v == null ? "–" : v < 0.001 ? v.toExponential(1) : v.toFixed(3));
  const percent = (/** @type {number | null | undefined} */ v) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);

  function draw() {
    requestAnimationFrame(draw);
    preparing.show();
    if (!dirty || !frame || !network || frame.meta.data_version !== network.version) return;
    dirty = false;
    const start = performance.now();
    if (shown !== network) rebuild(network);
    const { meta, arrays } = frame;
    const classes = network.geometry.classes;
    const index = meta.test_index;
    const truth = index == null ? null : network.labels[index];
    parts.inside.draw(frame);
    const probabilities = /** @type {Float32Array} */ (arrays.probabilities.data);
    drawProbabilities(canvases.probabilities, probabilities, classes, truth);
    drawConfusion(canvases.confusion, /** @type {Float32Array} */ (arrays.confusion.data), labels);
    drawInk(canvases.seen, arrays.image.data);
    canvases.seen.classList.toggle("idle", index != null);
    drawLoss(canvases.loss, parts.history.points);
    drawAccuracy(canvases.accuracy, parts.history.points);
    drawGradientFlow(canvases.flow, parts.history.flow);
    drawLayerBars(canvases.bars, parts.history.flow[parts.history.flow.length - 1]);
    parts.mistakes.update(/** @type {Uint8Array} */ (arrays.guesses.data), index);
    let guess = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[guess]) guess = i;
    const says = `It says ${classes[guess]} (${percent(probabilities[guess])})`;
    setText("prediction", says);
    setText("pad-prediction", index == null ? says : "Draw a digit: what the network says shows here.");
    setText("followed", index == null ? "Your drawing, prepared as the digits were" : `Test image ${index}: a ${classes[/** @type {number} */ (truth)]}`);
    setText("status-step", String(meta.step));
    setText("status-epoch", meta.epoch.toFixed(2));
    setText("train-loss", number(trainLoss));
    setText("test-loss", number(meta.test_loss));
    setText("test-accuracy", percent(meta.test_accuracy));
    cost += performance.now() - start;
    costFrames += 1;
    if (start - costShownAt > COST_EVERY_MS) {
      setText("draw-cost", (cost / costFrames).toFixed(1));
      cost = costFrames = 0;
      costShownAt = start;
    }
  }

  return {
    receive,
    seed,
    /** A change went to the server: if its frame is slow to come, say the server is preparing. */
    changeSent: preparing.sent,
    /** The server answered the change otherwise (refused it): no frame is coming for it. */
    changeAnswered: preparing.answered,
    /** Training paused: the panels measured on request measure the paused network. */
    paused() { parts.translation.paused(); parts.view.paused(); },
    /** The network on screen, for the pointer. */
    geometry: () => shown?.geometry ?? null,
    /** Draw again at the next animation frame (the page's size changed). */
    invalidate() { dirty = true; parts.translation.redraw(); parts.view.redraw(); },
    start() { requestAnimationFrame(draw); },
  };
}
