// @ts-check
/**
 * The layer view: every point as the chosen hidden layer represents it (a 2-D projection
 * of its activations), coloured by label, and each layer's linear-probe accuracy.
 */
import { colorOf } from "./heatmap.js";
import { prepare, layerColour } from "./charts.js";
import { dequantise } from "./protocol.js";

const POINT_RADIUS = 2.6; // px
const MARGIN = 10; // px around the scatter
const PROBE_PAD = { left: 58, right: 44 }; // px at least: room for layer names and percentages
const PROBE_FONT = "11px system-ui, sans-serif";
const PROBE_CHOSEN_FONT = `600 ${PROBE_FONT}`; // the row of the layer the scatter shows

/**
 * Scatter of the frame's projection, coloured by the labels of the points it came from.
 * @param {HTMLCanvasElement} canvas
 * @param {import("./protocol.js").Frame} frame
 * @param {import("./output.js").Points | null} points
 */
export function drawProjection(canvas, frame, points) {
  const { context, width, height } = prepare(canvas);
  const projection = frame.arrays.projection;
  const range = frame.meta.projection_range;
  context.fillStyle = "#f6f7f8";
  context.fillRect(0, 0, width, height);
  if (!projection || !range) {
    context.fillStyle = "#666";
    context.fillText("A linear model has no hidden layer to view.", MARGIN, height / 2);
    return;
  }
  if (!points) return; // the frame's points are on their way (docs/protocol.md)
  const labels = points.labels;
  const count = projection.shape[0];
  if (labels.length !== count) return;
  const side = Math.min(width, height) - 2 * MARGIN;
  const left = (width - side) / 2, top = (height - side) / 2;
  context.strokeStyle = "#dde1e5";
  context.beginPath();
  context.moveTo(left + side / 2, top); context.lineTo(left + side / 2, top + side);
  context.moveTo(left, top + side / 2); context.lineTo(left + side, top + side / 2);
  context.stroke();
  context.strokeStyle = "rgba(0, 0, 0, 0.45)";
  context.lineWidth = 0.7;
  const data = projection.data;
  for (let i = 0; i < count; i++) {
    const u = (dequantise(data[2 * i], range) - range[0]) / (range[1] - range[0]);
    const v = (dequantise(data[2 * i + 1], range) - range[0]) / (range[1] - range[0]);
    context.fillStyle = colorOf(labels[i]);
    context.beginPath();
    context.arc(left + u * side, top + (1 - v) * side, POINT_RADIUS, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
  }
}

/**
 * Horizontal bars: the linear-probe accuracy of the inputs and of every hidden layer.
 * @param {HTMLCanvasElement} canvas
 * @param {number | null} input  accuracy on the input features
 * @param {(number | null)[]} layers  accuracy per hidden layer
 * @param {number} chosen  the layer the scatter shows
 */
export function drawProbes(canvas, input, layers, chosen) {
  const { context, width, height } = prepare(canvas);
  const rows = [{ name: "inputs", value: input }, ...layers.map((value, i) => ({ name: `layer ${i + 1}`, value }))];
  const rowHeight = Math.min(18, height / Math.max(1, rows.length));
  // Bars start after the widest name, so no name runs under a bar.
  context.font = PROBE_CHOSEN_FONT;
  const left = Math.max(PROBE_PAD.left, ...rows.map((row) => Math.ceil(context.measureText(row.name).width) + 8));
  const span = width - left - PROBE_PAD.right;
  context.textBaseline = "middle";
  rows.forEach((row, i) => {
    const y = i * rowHeight;
    context.fillStyle = i - 1 === chosen ? "#111" : "#6b7480";
    context.font = i - 1 === chosen ? PROBE_CHOSEN_FONT : PROBE_FONT;
    context.textAlign = "left";
    context.fillText(row.name, 0, y + rowHeight / 2);
    context.fillStyle = "#eef0f2";
    context.fillRect(left, y + 3, span, rowHeight - 6);
    if (row.value == null) {
      context.fillStyle = "#6b7480";
      context.textAlign = "right";
      context.fillText("–", width, y + rowHeight / 2);
      return;
    }
    context.fillStyle = i === 0 ? "#9aa3ad" : layerColour(i - 1, Math.max(1, layers.length));
    context.fillRect(left, y + 3, span * row.value, rowHeight - 6);
    context.fillStyle = "#333";
    context.textAlign = "right";
    context.fillText(`${Math.round(row.value * 100)}%`, width, y + rowHeight / 2);
  });
}
