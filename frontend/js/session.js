// @ts-check
/**
 * The page's session on the server and its stream. The session is made from the page's state, made again
 * when the server has forgotten it, and refused settings (a link from an older page) fall back to the
 * defaults. Config changes made while the stream is down wait and go when it is back. A page may keep its
 * session's id in the tab (`remember`), so that a reload streams the same run, and may say how its state
 * differs from a session's config (`differences`: a session made from a saved run, or one kept from before
 * a reload): those changes go as soon as the stream is live.
 */
import { ApiError, createSession, getSession } from "./api.js";
import { openStream } from "./stream.js";
import { say } from "./dom.js";

/**
 * @typedef {Object} SessionHandlers
 * @property {() => Record<string, any>} config  the config to make a session from
 * @property {(why: string) => void} refused  the config was refused: go back to the defaults before the retry
 * @property {() => void} created  a new session: nothing from the old one applies
 * @property {(buffer: ArrayBuffer) => void} frame
 * @property {(message: any) => void} text
 * @property {(connection: import("./stream.js").Connection, detail: string) => void} connection
 * @property {(created: boolean) => void} open  the stream is live: send what the server must know beyond the config
 * @property {LabApi} [api]  the lab's sessions: the playground's unless given
 * @property {(config: Record<string, any>) => Record<string, any>} [differences]  the config changes that make a
 *   session's config the page's: sent when its stream opens (unless given, only changes made while offline are)
 * @property {string} [remember]  the key under which the tab keeps the session's id across reloads
 *
 * @typedef {Object} LabApi  where a lab's sessions are made, looked up and streamed
 * @property {(config: Record<string, any>) => Promise<{id: string, config?: Record<string, any>}>} create  the reply names the
 *   config the session has
 * @property {(id: string) => Promise<any>} get  rejects with ApiError 404 when the session is gone
 * @property {string} base  the sessions' path, under which each has its stream
 */

/**
 * @param {SessionHandlers} on
 * @returns {{configure: (config: Record<string, any>) => void, send: (message: object) => boolean, id: () => string | null}}
 */
export function openSession(on) {
  const api = on.api ?? { create: createSession, get: getSession, base: "/api/sessions" };
  /** @type {string | null} */ let id = on.remember ? kept(on.remember) : null;
  /** @type {Record<string, any>} */ let pending = {}; // config changes the stream could not take yet

  /** The session to stream: the current one while the server has it, else a new one. @param {boolean} fresh */
  async function session(fresh) {
    if (id && !fresh) {
      try {
        const reply = await api.get(id);
        if (on.differences) pending = on.differences(reply.config);
        return { id, created: false };
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
    }
    let reply;
    try {
      reply = await api.create(on.config());
    } catch (error) {
      if (error instanceof ApiError && (error.status === 429 || error.status === 503)) {
        say(`${error.message} (trying again shortly)`); // a limit: the stream tries again after a pause
      }
      if (!(error instanceof ApiError && error.status === 422)) throw error;
      on.refused(error.message);
      reply = await api.create(on.config());
    }
    id = reply.id;
    if (on.remember) keep(on.remember, id);
    pending = on.differences && reply.config ? on.differences(reply.config) : {};
    on.created();
    return { id: reply.id, created: true };
  }

  const stream = openStream({
    session,
    base: api.base,
    frame: on.frame,
    text: on.text,
    connection: on.connection,
    open(created) {
      if ((!created || on.differences) && Object.keys(pending).length) stream.send({ type: "config", config: pending });
      pending = {};
      on.open(created);
    },
  });

  return {
    /** Change part of the config now, or as soon as the stream is back. */
    configure(config) {
      if (!stream.send({ type: "config", config })) Object.assign(pending, config);
    },
    send: stream.send,
    /** The session's id on the server, once made. */
    id: () => id,
  };
}

/** The session id the tab keeps under `key`, or null (none, or storage refused). @param {string} key */
function kept(key) {
  try { return sessionStorage.getItem(key); } catch { return null; }
}

/** Keep a session id in the tab, where storage allows. @param {string} key @param {string} id */
function keep(key, id) {
  try { sessionStorage.setItem(key, id); } catch { /* no storage: a reload makes a new session */ }
}
