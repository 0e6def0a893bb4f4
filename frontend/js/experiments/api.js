// @ts-check
/**
 * The experiments' REST calls and the shapes of their replies (docs/experiments.md). Each call throws the
 * playground's ApiError (its status, the server's message naming the field, Retry-After) on failure.
 */
import { request } from "../api.js";

/**
 * @typedef {Object} AxisOption  an axis a grid can vary
 * @property {string} name
 * @property {string} label
 * @property {"int"|"number"|"choice"|"features"|"variant"} kind
 * @property {number} [minimum]
 * @property {number} [maximum]
 * @property {number} [exclusiveMinimum]
 * @property {boolean} [log]  a log scale suits its values
 * @property {boolean} [data]  whether it changes the data (a baseline's row has a value only on such axes)
 * @property {string[]} [choices]  choice and features
 *
 * @typedef {{name: string, label: string, log?: boolean}} Named  a measure, a curve or a baseline
 *
 * @typedef {Object} PlotSpec  one plot of an experiment
 * @property {string} title
 * @property {"measure"|"curve"|"histogram"} kind
 * @property {string} [x]  measure: an axis name
 * @property {string} [y]  measure: a measure name; curve: a curve name
 * @property {string[]} series  axis names and/or "model"
 * @property {boolean} [log_x]
 * @property {boolean} [log_y]
 *
 * @typedef {{name: string, values: any[]}} AxisValues
 * @typedef {Object} Definition  what an experiment trains
 * @property {Record<string, any>} base
 * @property {AxisValues[]} axes
 * @property {number} seeds
 * @property {number} epochs
 * @property {number} [record]
 * @property {boolean} baselines
 *
 * @typedef {{id: string, title: string, claim: string, experiment: Definition, plots: PlotSpec[]}} Lesson
 *
 * @typedef {Object} Options  GET /api/experiments/options
 * @property {AxisOption[]} axes
 * @property {Named[]} measures
 * @property {Named[]} curves
 * @property {Named[]} baselines
 * @property {number[]} histogram_edges
 * @property {{max_axes: number, max_values: number, max_seeds: number, max_epochs: number, max_record: number,
 *   max_networks: number, max_work: number}} limits
 * @property {{seeds: number, epochs: number, record: number}} defaults
 * @property {Lesson[]} lessons
 *
 * @typedef {Object} Row  one network, or one baseline fitted to one cell's data
 * @property {number} index
 * @property {(number | null)[]} cell  an index into each axis's values; null: a baseline's axis that keeps the data
 * @property {number} seed
 * @property {string} model  "network" or a baseline's name
 * @property {Record<string, any>} config
 * @property {Record<string, number | null>} measures
 * @property {number[]} [epochs]
 * @property {Record<string, (number | null)[]>} [curves]
 * @property {{histogram: number[][]}} [activations]
 *
 * @typedef {{name: string, label: string, kind: string, values: any[], labels: string[]}} StatusAxis
 * @typedef {"queued"|"running"|"finished"|"cancelled"|"failed"} Phase
 * @typedef {Object} Status  an experiment as it stands
 * @property {string} id
 * @property {Phase} status
 * @property {Definition} definition
 * @property {StatusAxis[]} axes
 * @property {number} networks
 * @property {number} done
 * @property {number} [rows_done]
 * @property {number} [elapsed_seconds]
 * @property {number | null} [eta_seconds]
 * @property {number | null} [queue_position]
 * @property {string | null} [error]
 * @property {Row[]} [rows]
 */

const BASE = "/api/experiments";

/** The phases after which nothing changes. */
export const ENDED = new Set(["finished", "cancelled", "failed"]);

/** Axes, measures, limits and lessons. @returns {Promise<Options>} */
export function getExperimentOptions() {
  return request(`${BASE}/options`);
}

/** Start an experiment: its Status (queued). @param {Definition} definition @returns {Promise<Status>} */
export function createExperiment(definition) {
  return request(BASE, { method: "POST", body: JSON.stringify(definition) });
}

/** An experiment's status and every row so far; ApiError 404 once it is forgotten. @param {string} id @returns {Promise<Status>} */
export function getExperiment(id) {
  return request(`${BASE}/${encodeURIComponent(id)}`);
}

/** Stop an experiment after the piece under way; the rows done stay. @param {string} id */
export function cancelExperiment(id) {
  return request(`${BASE}/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** The address of an experiment's every row as CSV. @param {string} id */
export function resultsURL(id) {
  return `${BASE}/${encodeURIComponent(id)}/results.csv`;
}

/** The address of an experiment's progress stream. @param {string} id */
export function streamURL(id) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${BASE}/${encodeURIComponent(id)}/stream`;
}
