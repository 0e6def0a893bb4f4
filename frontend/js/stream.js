// @ts-check
/**
 * The session's WebSocket: binary frames in, JSON commands out, reconnecting by itself.
 * When the server has forgotten the session (close 1008, or 404 on the way back) the
 * caller's `session(true)` makes a new one from the page's state.
 */

const CLOSE_POLICY = 1008; // the server's close code for "no such session"
const FIRST_RETRY_MS = 500; // wait before the first reconnection attempt
const MAX_RETRY_MS = 5000; // longest wait between attempts

/** @typedef {"connecting"|"live"|"reconnecting"} Connection */

/**
 * @typedef {Object} StreamHandlers
 * @property {(fresh: boolean) => Promise<{id: string, created: boolean}>} session  the id to stream; fresh: the old one is gone
 * @property {(buffer: ArrayBuffer) => void} frame
 * @property {(message: any) => void} text
 * @property {(connection: Connection, detail: string) => void} connection
 * @property {(created: boolean) => void} open  the stream is live (created: on a new session)
 * @property {string} [base]  where the lab's sessions live: "/api/sessions" (the playground's) unless given
 */

/**
 * Open a stream that keeps itself open.
 * @param {StreamHandlers} on
 * @returns {{send: (message: object) => boolean, close: () => void}}
 */
export function openStream(on) {
  /** @type {WebSocket | null} */
  let socket = null;
  let closed = false;
  let attempts = 0;
  let fresh = false;

  async function connect() {
    on.connection(attempts ? "reconnecting" : "connecting", attempts ? "server unreachable, reconnecting…" : "connecting…");
    let session;
    try {
      session = await on.session(fresh);
    } catch (error) {
      retry(String(/** @type {Error} */ (error).message || error));
      return;
    }
    fresh = false;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${on.base ?? "/api/sessions"}/${encodeURIComponent(session.id)}/stream`);
    ws.binaryType = "arraybuffer";
    socket = ws;
    ws.onopen = () => {
      attempts = 0;
      on.connection("live", "connected");
      on.open(session.created);
    };
    ws.onmessage = (event) => {
      if (typeof event.data === "string") on.text(JSON.parse(event.data));
      else on.frame(event.data);
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      if (closed) return;
      fresh = event.code === CLOSE_POLICY;
      retry(event.reason || "connection lost");
    };
  }

  /** @param {string} why */
  function retry(why) {
    if (closed) return;
    attempts += 1;
    const wait = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1));
    on.connection("reconnecting", `${why}; retrying in ${Math.round(wait / 100) / 10} s`);
    setTimeout(connect, wait);
  }

  connect();
  return {
    send(message) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}
