// @ts-check
/**
 * The network strip: every layer from the input to the output with the shape of what it makes and its
 * parameter count, from the session's `layers`. A convolution's count sits beside what the same layer would
 * need if every position had weights of its own, so weight sharing shows as a number.
 */

const NUMBER = new Intl.NumberFormat("en"); // 12,345

/**
 * One box of the strip.
 * @param {string} kind @param {string} name @param {string} shape @param {number | null} parameters
 * @param {string} [note]
 */
function box(kind, name, shape, parameters, note) {
  const item = document.createElement("li");
  item.className = "layer-box";
  item.dataset.kind = kind;
  const title = document.createElement("b");
  title.textContent = name;
  const size = document.createElement("span");
  size.className = "shape";
  size.textContent = shape;
  item.append(title, size);
  if (parameters !== null) {
    item.dataset.parameters = String(parameters);
    const count = document.createElement("span");
    count.className = "parameters";
    count.textContent = `${NUMBER.format(parameters)} parameters`;
    item.append(count);
  }
  if (note) {
    const extra = document.createElement("span");
    extra.className = "unshared";
    extra.textContent = note;
    item.append(extra);
  }
  return item;
}

/**
 * Show a network in the strip.
 * @param {HTMLElement} list  an <ol>
 * @param {HTMLElement} total  where the total goes
 * @param {import("./api.js").Geometry} geometry @param {number} side  pixels a side of an input image
 * @param {string[]} poolings  each convolution's pooling, as the state asks for it
 */
export function drawStrip(list, total, geometry, side, poolings) {
  const boxes = [box("input", "Input", `${side} × ${side} pixels`, null)];
  let conv = 0, dense = 0;
  for (const layer of geometry.layers) {
    if (layer.kind === "conv") {
      const [kernel, , , filters] = layer.weights;
      const s = /** @type {number} */ (layer.side), p = /** @type {number} */ (layer.pooled_side);
      const pooling = p !== s ? ` → ${poolings[conv] ?? ""} pooling ${p} × ${p}` : "";
      const positions = s * s;
      boxes.push(box("conv", `Convolution ${++conv}`, `${filters} filters ${kernel} × ${kernel} → ${s} × ${s} × ${filters}${pooling}`,
        layer.parameters, `${NUMBER.format(layer.parameters * positions)} without sharing (${positions} positions)`));
    } else if (layer.kind === "dense") {
      boxes.push(box("dense", `Dense ${++dense}`, `${layer.weights[0]} → ${layer.weights[1]} units`, layer.parameters));
    } else {
      boxes.push(box("output", "Output", `${layer.weights[0]} → ${layer.weights[1]} classes`, layer.parameters));
    }
  }
  list.replaceChildren(...boxes);
  const sum = geometry.layers.reduce((a, l) => a + l.parameters, 0);
  total.textContent = `${NUMBER.format(sum)} parameters in all`;
  total.dataset.parameters = String(sum);
}
