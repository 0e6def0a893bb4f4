// @ts-check
/**
 * Following one experiment: its progress stream while it runs, and the status and rows it ends with. A stream
 * that drops before the end is made good from GET /api/experiments/{id} and opened again; each new stream
 * starts with every row so far, so the rows are replaced rather than added to then.
 */
import { ApiError } from "../api.js";
import { ENDED, getExperiment, streamURL } from "./api.js";

const FIRST_RETRY_MS = 500; // wait before following a dropped stream again
const MAX_RETRY_MS = 5000; // longest wait between attempts

/**
 * @typedef {Object} Following
 * @property {(status: import("./api.js").Status) => void} status  the experiment's status (rows left out)
 * @property {(rows: import("./api.js").Row[], all: boolean) => void} rows  new rows, or (all) every row so far
 * @property {(why: string) => void} lost  the experiment is gone, or cannot be followed
 */

/**
 * Follow an experiment until it ends or `stop` is called.
 * @param {string} id @param {Following} on
 * @returns {{stop: () => void}}
 */
export function follow(id, on) {
  /** @type {WebSocket | null} */
  let socket = null;
  let stopped = false;
  let ended = false;
  let attempts = 0;

  function open() {
    const ws = new WebSocket(streamURL(id));
    socket = ws;
    let first = true; // the stream's first rows are every row so far
    ws.onmessage = (event) => {
      if (socket !== ws || typeof event.data !== "string") return;
      const message = JSON.parse(event.data);
      if (message.type === "rows") {
        on.rows(message.rows, first);
        first = false;
      } else if (message.type === "status") {
        attempts = 0;
        const { type, ...status } = message;
        on.status(status);
        if (ENDED.has(status.status)) ended = true;
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (!stopped && !ended) retry();
    };
  }

  /** The stream dropped before the end: read where it stands, and follow on if it still runs. */
  async function retry() {
    attempts += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1))));
    if (stopped) return;
    try {
      const status = await getExperiment(id);
      if (stopped) return;
      const { rows = [], ...rest } = status;
      on.status(rest);
      on.rows(rows, true);
      if (ENDED.has(status.status)) ended = true;
      else open();
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError && error.status === 404) on.lost("the server no longer has this experiment");
      else retry();
    }
  }

  open();
  return {
    stop() {
      stopped = true;
      socket?.close();
      socket = null;
    },
  };
}
