// @ts-check
/** REST calls: options, sessions. Each throws an ApiError carrying the HTTP status on failure. */

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
async function request(path, init) {
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

/** Every choice and bound the server allows. @returns {Promise<any>} */
export function getOptions() {
  return request("/api/options");
}

/** A new session for a config. @param {Record<string, any>} config @returns {Promise<{id: string, config: any, state: any}>} */
export function createSession(config) {
  return request("/api/sessions", { method: "POST", body: JSON.stringify(config) });
}

/** A session's config and state; ApiError 404 when it is gone. @param {string} id */
export function getSession(id) {
  return request(`/api/sessions/${encodeURIComponent(id)}`);
}
