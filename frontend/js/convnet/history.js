// @ts-check
/**
 * The run's history for the charts: losses and test accuracy by epoch from every frame (started from the
 * snapshot's history when the page joins a run), and the gradient flow of every frame that trained.
 * A new network, or a step count that goes back (a reset), starts it again.
 */

const HISTORY_LIMIT = 2000; // samples kept a series; beyond it every other one is dropped
const NONE = new Float32Array(); // the lab's frames carry no saturation

/**
 * @typedef {import("../charts.js").Sample & {step: number, test_accuracy: number | null}} Point
 */

/** @param {Point[]} series */
function thin(series) {
  if (series.length <= HISTORY_LIMIT) return;
  const kept = series.filter((_, i) => i % 2 === 0 || i === series.length - 1);
  series.splice(0, series.length, ...kept);
}

export function createHistory() {
  /** @type {Point[]} */ const points = [];
  /** @type {Point[]} */ const flow = [];
  let version = -1;

  /** @param {Point[]} series @param {Point} point */
  function add(series, point) {
    const last = series[series.length - 1];
    if (last && last.step === point.step) {
      series[series.length - 1] = { ...point, train_loss: point.train_loss ?? last.train_loss };
    } else series.push(point);
    thin(series);
  }

  return {
    points,
    flow,
    /**
     * A frame: its metrics, and its gradient flow if it trained.
     * @param {import("../protocol.js").Frame} frame @param {number} stepsPerEpoch
     */
    record(frame, stepsPerEpoch) {
      const meta = frame.meta;
      const last = points[points.length - 1];
      if (meta.data_version !== version || (last && meta.step < last.step)) {
        points.length = flow.length = 0;
        version = meta.data_version;
      }
      const series = (/** @type {string} */ name) => /** @type {Float32Array} */ (frame.arrays[name]?.data ?? NONE);
      const point = {
        step: meta.step, epoch: meta.step / stepsPerEpoch, train_loss: meta.train_loss, test_loss: meta.test_loss,
        test_accuracy: meta.test_accuracy, gradient_norms: series("gradient_norms"), update_ratios: series("update_ratios"),
        saturation: NONE,
      };
      add(points, point);
      if (meta.train_loss != null) add(flow, point);
    },
    /**
     * The snapshot's history ([step, train loss, test loss, test accuracy] a frame), before what the frames added.
     * @param {(number | null)[][]} entries @param {number} stepsPerEpoch
     */
    seed(entries, stepsPerEpoch) {
      const first = points[0]?.step ?? Infinity;
      const earlier = entries.filter((e) => /** @type {number} */ (e[0]) < first).map(([step, train, test, accuracy]) => ({
        step: /** @type {number} */ (step), epoch: /** @type {number} */ (step) / stepsPerEpoch, train_loss: train,
        test_loss: test, test_accuracy: accuracy, gradient_norms: NONE, update_ratios: NONE, saturation: NONE,
      }));
      points.unshift(...earlier);
      thin(points);
    },
    clear() { points.length = flow.length = 0; },
  };
}
