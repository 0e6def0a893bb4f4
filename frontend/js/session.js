// @ts-check
/**
 * The page's session on the server and its stream. The session is made from the page's state, made again
 * when the server has forgotten it, and refused settings (a link from an older page) fall back to the
 * defaults. Config changes made while the stream is down wait and go when it is back.
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
 *
 * @typedef {Object} LabApi  where a lab's sessions are made, looked up and streamed
 * @property {(config: Record<string, any>) => Promise<{id: string}>} create
 * @property {(id: string) => Promise<any>} get  rejects with ApiError 404 when the session is gone
 * @property {string} base  the sessions' path, under which each has its stream
 */

/**
 * @param {SessionHandlers} on
 * @returns {{configure: (config: Record<string, any>) => void, send: (message: object) => boolean, id: () => string | null}}
 */
export function openSession(on) {
  const api = on.api ?? { create: createSession, get: getSession, base: "/api/sessions" };
  /** @type {string | null} */ let id = null;
  /** @type {Record<string, any>} */ let pending = {}; // config changes the stream could not take yet

  /** The session to stream: the current one while the server has it, else a new one. @param {boolean} fresh */
  async function session(fresh) {
    if (id && !fresh) {
      try {
        await api.get(id);
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
    pending = {};
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
      if (!created && Object.keys(pending).length) stream.send({ type: "config", config: pending });
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
