// @ts-check
/**
 * The Experiments page: a card per lesson the server serves, and a card for a sweep of one's own. Each card
 * runs one experiment at a time (run.js); the experiments this tab started are kept in sessionStorage, so a
 * reload shows them again and follows on those still running.
 *
 * The parts: api.js (the REST calls), follow.js (an experiment's stream), series.js (rows to a plot's lines),
 * chart.js and plot.js (drawing them with uPlot), files.js (PNG and CSV), playground.js (opening a network in
 * the playground), custom.js (the custom sweep's form), make.js (building elements).
 */
import { $ } from "../dom.js";
import { getExperimentOptions } from "./api.js";
import { createCustomForm } from "./custom.js";
import { make } from "./make.js";
import { playgroundOptions } from "./playground.js";
import { createRun, refusal } from "./run.js";

const KEPT = "layerlab.experiments"; // sessionStorage: each card's experiment, {card: {id, plan}}
const CUSTOM = "custom"; // the custom sweep card's name among the kept

/** @returns {Record<string, {id: string, plan: import("./run.js").Plan}>} */
function kept() {
  try {
    return JSON.parse(sessionStorage.getItem(KEPT) ?? "{}") ?? {};
  } catch {
    return {};
  }
}

/** @param {string} card @param {string | null} id @param {import("./run.js").Plan} [plan] */
function keep(card, id, plan) {
  const all = kept();
  if (id && plan) all[card] = { id, plan };
  else delete all[card];
  sessionStorage.setItem(KEPT, JSON.stringify(all));
}

/** A lesson's card. @param {import("./api.js").Options} options @param {import("./api.js").Lesson} lesson */
function lessonCard(options, lesson) {
  const plan = { definition: lesson.experiment, plots: lesson.plots };
  const run = createRun({ options, plan: () => plan, remember: (id, p) => keep(lesson.id, id, p) });
  const name = `lesson-${lesson.id}`;
  const card = make("article", { className: "card lesson", id: name, data: { lesson: lesson.id } },
    make("h3", { id: `${name}-title`, textContent: lesson.title }),
    make("p", { className: "claim", textContent: lesson.claim }),
    run.element);
  card.setAttribute("aria-labelledby", `${name}-title`);
  return { card, run };
}

/**
 * The custom sweep's card.
 * @param {import("./api.js").Options} options @param {import("../api.js").Options} playground
 */
function customCard(options, playground) {
  /** @type {ReturnType<typeof createRun>} */
  const run = createRun({
    options, label: "Run this sweep",
    plan: () => form.plan(),
    remember: (id, p) => keep(CUSTOM, id, p),
  });
  const form = createCustomForm(options, playground, () => run.start());
  const card = make("article", { className: "card custom", id: "custom-sweep" }, form.form, run.element);
  return { card, run };
}

async function start() {
  let options, playground;
  try {
    [options, playground] = await Promise.all([getExperimentOptions(), playgroundOptions()]);
  } catch (error) {
    const box = $("message");
    box.textContent = `The experiments could not be loaded: ${refusal(error)} Reload to try again.`;
    box.hidden = false;
    throw error;
  }
  /** @type {Record<string, ReturnType<typeof createRun>>} */
  const runs = {};
  const lessons = options.lessons.map((lesson) => {
    const { card, run } = lessonCard(options, lesson);
    runs[lesson.id] = run;
    return card;
  });
  $("lessons").replaceChildren(...lessons);
  const custom = customCard(options, playground);
  runs[CUSTOM] = custom.run;
  $("custom").replaceChildren(custom.card);
  for (const [card, { id, plan }] of Object.entries(kept())) {
    if (runs[card]) runs[card].resume(id, plan);
    else keep(card, null);
  }
  document.body.dataset.ready = "true";
}

start();
