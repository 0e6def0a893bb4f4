// @ts-check
/** The ConvNet lab's REST calls (backend/api/convnet.py): options, sessions and what one asks of them. */
import { request } from "../api.js";

const BASE = "/api/convnet"; // every route of the lab is under this

/**
 * @typedef {{filters: number, kernel: number, pooling: string}} ConvLayer
 *
 * @typedef {Object} LabOptions  GET /api/convnet/options
 * @property {Record<string, {side: number, classes: string[], drawable: boolean}>} datasets
 * @property {string[]} activations
 * @property {string[]} inits
 * @property {string[]} optimizers
 * @property {string[]} poolings
 * @property {number[]} kernels
 * @property {number[]} batch_sizes
 * @property {number[]} train_image_choices  subsets of the training images on offer besides all of them
 * @property {Record<string, any>} defaults  the config's
 * @property {number} default_speed  mini-batches a frame
 * @property {Record<string, import("../api.js").Bounds> & {conv_layer: Record<string, import("../api.js").Bounds>}} bounds
 * @property {{max_steps: number, max_images: number, max_steps_per_frame: number}} limits
 *
 * @typedef {Object} LayerInfo  one weight layer of a network, as the server describes it
 * @property {"conv"|"dense"|"output"} kind
 * @property {number[]} weights  (kernel, kernel, channels in, filters) or (inputs, units)
 * @property {number} parameters  weights and biases; a filter counts once however many positions use it
 * @property {number | null} side  a convolution's maps, pixels a side, before its pooling
 * @property {number | null} pooled_side  after it
 *
 * @typedef {{maps: number[][][], pooled: number[][][]}} FieldTable  per unit [row][col]: [top, left, bottom, right), input pixels
 *
 * @typedef {Object} Geometry  what a network is: the session reply's and every images message's
 * @property {string[]} classes
 * @property {LayerInfo[]} layers
 * @property {FieldTable[]} receptive_fields  per convolutional layer
 * @property {number} steps_per_epoch
 * @property {number[]} mlp_dense_layers  an MLP on the pixels with about as many parameters
 */

/** Every choice and bound of the lab. @returns {Promise<LabOptions>} */
export const getOptions = () => request(`${BASE}/options`);

/** A session's path. @param {string} id */
const at = (id) => `${BASE}/sessions/${encodeURIComponent(id)}`;

/** @param {string} path @param {object} [body] */
const post = (path, body = {}) => request(path, { method: "POST", body: JSON.stringify(body) });

/** The lab's sessions, as session.js takes them. @type {import("../session.js").LabApi} */
export const SESSIONS = {
  create: (config) => post(`${BASE}/sessions`, config),
  get: (id) => request(at(id)),
  base: `${BASE}/sessions`,
};

/** Train some mini-batches; the state after. @param {string} id @param {number} steps @returns {Promise<{step: number}>} */
export const train = (id, steps) => post(`${at(id)}/train`, { steps });

/** End a session. @param {string} id */
export const deleteSession = (id) => request(at(id), { method: "DELETE" });

/** One full frame with the loss history. @param {string} id @returns {Promise<{history: (number | null)[][]}>} */
export const getSnapshot = (id) => request(`${at(id)}/snapshot`);

/**
 * Test accuracy with every test image shifted by each of a few pixels.
 * @param {string} id @returns {Promise<{shifts: number[], accuracy: number[]}>}
 */
export const getTranslation = (id) => request(`${at(id)}/translation`);

/**
 * How the pixels and every hidden layer represent the images: a linear probe's test accuracy and a 2-D
 * projection of the test images each.
 * @param {string} id @returns {Promise<{stages: import("./layerview.js").Stage[]}>}
 */
export const getLayerView = (id) => request(`${at(id)}/layer-view`);
