// @ts-check
/**
 * A dataset of one's own points. Clicking the output map adds a point; the points on screen become the
 * custom set first when they are not already, so any generated problem can be edited. Each function
 * returns the state changes it makes; the page applies them.
 */

/** A custom dataset's points before any are drawn: one of each class. */
export const STARTER_POINTS = [[-3, 0, -1], [3, 0, 1]];
const DIGITS = 2; // decimals kept of a drawn point's coordinates

/** @param {number} v */
const rounded = (v) => +v.toFixed(DIGITS);
/** @param {number[][]} points */
const classes = (points) => new Set(points.map((p) => p[2])).size;
const starters = () => STARTER_POINTS.map((p) => [...p]);

/**
 * The classified points on screen as [x1, x2, label] triples, at most `max`.
 * @param {import("./output.js").Points | null} points  null: none, or not classes (regression)
 * @param {number} max
 * @returns {number[][]}
 */
export function pointsOnScreen(points, max) {
  if (!points) return [];
  const rows = [];
  for (const data of [points.train, points.test]) {
    for (let i = 0; i < data.length; i += 3) rows.push([rounded(data[i]), rounded(data[i + 1]), data[i + 2] > 0 ? 1 : -1]);
  }
  return rows.slice(0, max);
}

/**
 * Add a point; while the set lacks a class, the dataset stays as it is and a hint says what is missing.
 * @param {import("./state.js").State} state
 * @param {number[][] | null} onScreen  the classified points on screen; null for regression data
 * @param {number[]} point  [x1, x2, label]
 * @param {number} max  points at most; the oldest go first
 * @returns {{changes: Partial<import("./state.js").State>, hint: string | null}}
 */
export function addPoint(state, onScreen, point, max) {
  const base = state.dataset === "custom" || onScreen === null ? state.custom_points : onScreen;
  const custom_points = [...base, [rounded(point[0]), rounded(point[1]), point[2]]].slice(-max);
  if (classes(custom_points) < 2) {
    const other = point[2] > 0 ? "shift-click for orange" : "click for blue";
    return { changes: { custom_points }, hint: `Now add a point of the other class (${other}).` };
  }
  return { changes: { dataset: "custom", custom_points }, hint: null };
}

/**
 * Choose a dataset; choosing "custom" without a usable set of points starts from those on screen.
 * @param {import("./state.js").State} state @param {number[][] | null} onScreen @param {string} name
 * @returns {Partial<import("./state.js").State>}
 */
export function chooseDataset(state, onScreen, name) {
  if (name !== "custom" || classes(state.custom_points) >= 2) return { dataset: name };
  return { dataset: "custom", custom_points: onScreen?.length ? onScreen : starters() };
}

/** Start the custom set again from one point of each class. @returns {Partial<import("./state.js").State>} */
export function clearPoints() {
  return { custom_points: starters() };
}
