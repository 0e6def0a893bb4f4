// @ts-check
/**
 * Running one experiment on a card: Run and Cancel, the server's refusals, the plots filling in as rows arrive,
 * the full results' link and "watch a network" (the progress bar is progress.js's). A lesson's card and the custom sweep's each
 * hold one; what Run starts comes from the card (its `plan`).
 */
import { ApiError } from "../api.js";
import { ENDED, cancelExperiment, createExperiment, getExperiment, resultsURL } from "./api.js";
import { follow } from "./follow.js";
import { make } from "./make.js";
import { createWatch } from "./playground.js";
import { createPlot } from "./plot.js";
import { createProgress } from "./progress.js";
import { plotData } from "./series.js";

/**
 * @typedef {{definition: import("./api.js").Definition, plots: import("./api.js").PlotSpec[]}} Plan  what a run
 *   trains and how it is plotted
 *
 * @typedef {Object} RunSetup
 * @property {import("./api.js").Options} options
 * @property {() => Plan | null} plan  what Run starts; null: nothing (the card has said why)
 * @property {(id: string | null, plan?: Plan) => void} remember  keep the experiment shown across a reload (null: forget)
 * @property {string} [label]  the Run button's words
 */

/** The server's refusal in words. @param {unknown} error */
export function refusal(error) {
  if (!(error instanceof ApiError)) return `The server could not be reached (${/** @type {Error} */ (error).message}).`;
  if (error.status === 422) return `Not accepted: ${error.message}`;
  if (error.retryAfter !== null) return `${error.message}. Try again in ${Math.ceil(error.retryAfter)} s.`;
  return error.message;
}

/** A card's run part. @param {RunSetup} setup */
export function createRun(setup) {
  const runButton = make("button", { type: "button", className: "run", textContent: setup.label ?? "Run" });
  const cancelButton = make("button", { type: "button", className: "cancel", textContent: "Cancel", hidden: true });
  const progress = createProgress();
  const problem = make("p", { className: "problem", role: "alert", hidden: true });
  const plots = make("div", { className: "plots" });
  const results = make("a", { className: "results", textContent: "all results (CSV)", download: "" });
  const watch = createWatch();
  const links = make("div", { className: "run-links", hidden: true }, results, watch.element);
  const element = make("div", { className: "run-part", data: { status: "idle" } },
    make("div", { className: "run-controls" }, runButton, cancelButton), progress.element, problem, links, plots);

  /** @type {ReturnType<typeof createPlot>[]} */
  let figures = [];
  /** @type {Plan | null} */
  let plan = null;
  /** @type {import("./api.js").Status | null} */
  let status = null;
  /** @type {import("./api.js").Row[]} */
  let rows = [];
  /** @type {{stop: () => void} | null} */
  let following = null;
  let drawing = 0; // the animation frame that will draw, or 0

  /** @param {string} text */
  function complain(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  /** Plots for a plan, empty. @param {Plan} next */
  function showPlan(next) {
    plan = next;
    rows = [];
    for (const figure of figures) figure.clear();
    figures = next.plots.map(createPlot);
    plots.replaceChildren(...figures.map((f) => f.figure));
  }

  /** @param {import("./api.js").Status} next */
  function showStatus(next) {
    status = next;
    const ended = ENDED.has(next.status);
    element.dataset.status = next.status;
    progress.show(next);
    runButton.disabled = !ended;
    cancelButton.hidden = ended;
    cancelButton.disabled = false;
    results.href = resultsURL(next.id);
    if (next.status === "failed") complain(`The experiment failed: ${next.error ?? "no reason given"}`);
    if (ended) scheduleDraw();
  }

  function scheduleDraw() {
    if (!drawing) drawing = requestAnimationFrame(draw);
  }

  function draw() {
    drawing = 0;
    if (!plan || !status) return;
    const context = { axes: status.axes ?? [], options: setup.options };
    figures.forEach((figure, i) => figure.update(plotData(/** @type {Plan} */ (plan).plots[i], rows, context)));
    links.hidden = rows.length === 0;
    watch.update(rows, context.axes);
  }

  /** Follow an experiment's stream until it ends. @param {string} id */
  function track(id) {
    following?.stop();
    following = follow(id, {
      status: showStatus,
      rows(next, all) {
        rows = all ? [...next] : rows.concat(next);
        scheduleDraw();
      },
      lost(why) {
        complain(`This experiment can no longer be followed: ${why}.`);
        setup.remember(null);
        runButton.disabled = false;
        cancelButton.hidden = true;
      },
    });
  }

  async function start() {
    if (runButton.disabled) return; // one experiment at a time on a card (Enter in the custom form calls this too)
    const next = setup.plan();
    if (!next) return;
    following?.stop();
    complain("");
    runButton.disabled = true;
    let created;
    try {
      created = await createExperiment(next.definition);
    } catch (error) {
      complain(refusal(error));
      runButton.disabled = false;
      return;
    }
    showPlan(next);
    const { rows: _none, ...rest } = created;
    showStatus(rest);
    setup.remember(created.id, next);
    track(created.id);
  }

  async function cancel() {
    if (!status) return;
    cancelButton.disabled = true;
    try {
      await cancelExperiment(status.id);
    } catch (error) {
      complain(refusal(error));
      cancelButton.disabled = false;
    } // the stream's last status says it stopped
  }

  runButton.addEventListener("click", start);
  cancelButton.addEventListener("click", cancel);

  return {
    element,
    start,
    /**
     * Show an experiment this tab started before a reload, following it on if it still runs; forget it if the
     * server has.
     * @param {string} id @param {Plan} kept
     */
    async resume(id, kept) {
      let found;
      try {
        found = await getExperiment(id);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) setup.remember(null);
        else complain(refusal(error));
        return;
      }
      showPlan(kept);
      const { rows: all = [], ...rest } = found;
      rows = all;
      showStatus(rest);
      scheduleDraw();
      if (!ENDED.has(found.status)) track(id);
    },
  };
}
