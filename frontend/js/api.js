// @ts-check
/** REST calls: options, sessions. Each throws an ApiError carrying the HTTP status on failure. */

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
 * @property {{max_epochs: number, max_epochs_per_frame: number, max_predict: number}} limits  of requests
 * @property {{extent: number, density: number, thumbnail: number}} grid
 * @property {Previews} previews
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
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
    throw new ApiError(reply.status, detail);
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
