// @ts-check
/** REST calls: options, sessions, saved runs. Each throws an ApiError carrying the HTTP status on failure. */

/**
 * @typedef {Object} Bounds  a config field's bounds, as JSON Schema names them
 * @property {number} [minimum]
 * @property {number} [maximum]
 * @property {number} [exclusiveMinimum]
 * @property {number} [minItems]
 * @property {number} [maxItems]
 * @property {Bounds} [items]  each element's
 *
 * @typedef {Object} Previews  small maps over the plane: cells × cells U8 over [-1, 1], row 0 at the top
 * @property {number} cells
 * @property {Record<string, Uint8Array>} features
 * @property {Record<string, Uint8Array | null>} datasets  null: no generator (custom)
 *
 * @typedef {Object} Options  GET /api/options, its previews decoded
 * @property {string[]} datasets
 * @property {string[]} regression_datasets
 * @property {string[]} features
 * @property {Record<string, string>} feature_labels
 * @property {string[]} activations
 * @property {string[]} inits
 * @property {string[]} optimizers
 * @property {string[]} losses
 * @property {string[]} regularizations
 * @property {Record<string, any>} defaults  the config's
 * @property {Record<string, Bounds>} bounds  every config field's
 * @property {{max_epochs: number, max_epochs_per_frame: number, max_predict: number, history: number}} limits  of
 *   requests, and the frames a run's history keeps
 * @property {{extent: number, density: number, thumbnail: number}} grid
 * @property {Previews} previews
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {number | null} [retryAfter]  seconds, where the reply says */
  constructor(status, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/**
 * @param {string} path @param {RequestInit} [init] @returns {Promise<any>}
 */
export async function request(path, init) {
  const reply = await fetch(path, { headers: { "content-type": "application/json" }, ...init });
  if (!reply.ok) {
    let detail = reply.statusText;
    try {
      const body = await reply.json();
      detail = typeof body.detail === "string" ? body.detail
        : (body.detail ?? []).map((/** @type {any} */ d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ");
    } catch { /* not JSON: keep the status text */ }
    const wait = Number(reply.headers.get("retry-after") ?? NaN);
    throw new ApiError(reply.status, detail, Number.isFinite(wait) ? wait : null);
  }
  return reply.status === 204 ? null : reply.json();
}

/**
 * The number a bound states. The server states every bound the page reads, so a missing one is a bug here.
 * @param {number | undefined} value @returns {number}
 */
export function stated(value) {
  if (value === undefined) throw new Error("GET /api/options lacks a bound the page reads");
  return value;
}

/** The bytes a base64 string carries. @param {string} text */
function bytes(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** Every choice, bound and preview the server has. @returns {Promise<Options>} */
export async function getOptions() {
  const options = await request("/api/options");
  const { cells, features, datasets } = options.previews;
  const decode = (/** @type {Record<string, string | null>} */ maps) =>
    Object.fromEntries(Object.entries(maps).map(([name, text]) => [name, text === null ? null : bytes(text)]));
  return { ...options, previews: { cells, features: decode(features), datasets: decode(datasets) } };
}

/** A new session for a config. @param {Record<string, any>} config @returns {Promise<{id: string, config: any, state: any}>} */
export function createSession(config) {
  return request("/api/sessions", { method: "POST", body: JSON.stringify(config) });
}

/** A session's config and state; ApiError 404 when it is gone. @param {string} id */
export function getSession(id) {
  return request(`/api/sessions/${encodeURIComponent(id)}`);
}

/**
 * @typedef {Object} History  a run's charts so far, one entry per frame that trained (nulls: not finite)
 * @property {number[]} epoch
 * @property {(number | null)[]} train_loss
 * @property {(number | null)[]} test_loss
 * @property {(number | null)[][]} gradient_norms  per weight layer
 * @property {(number | null)[][]} update_ratios
 * @property {(number | null)[][]} saturation
 */

/**
 * A session's history, its epoch now and the earliest epoch it can be looked back at.
 * @param {string} id @returns {Promise<{epoch: number, origin: number, history: History}>}
 */
export function getHistory(id) {
  return request(`/api/sessions/${encodeURIComponent(id)}/history`);
}

/**
 * Keep a session's run for good (as it was at `epoch`, an earlier one, if given): its id, the epoch it holds,
 * the page that opens it (/r/{id}) and the token that deletes it.
 * @param {string} id @param {number | null} [epoch]
 * @returns {Promise<{id: string, epoch: number, url: string, delete_token: string}>}
 */
export function saveSession(id, epoch = null) {
  return request(`/api/sessions/${encodeURIComponent(id)}/save`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ epoch }),
  });
}

/**
 * A saved run: its export document continues it (importSession); ApiError 404 when there is none.
 * @param {string} id @returns {Promise<{id: string, lab: string, created: string, document: Record<string, any>}>}
 */
export function getRun(id) {
  return request(`/api/runs/${encodeURIComponent(id)}`);
}

/** A new session continuing an exported run exactly. @param {Record<string, any>} document @returns {Promise<{id: string, config: any, state: any}>} */
export function importSession(document) {
  return request("/api/sessions/import", { method: "POST", body: JSON.stringify(document) });
}
