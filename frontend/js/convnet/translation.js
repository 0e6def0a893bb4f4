// @ts-check
/**
 * The translation curve: test accuracy with every test image shifted by 0–3 pixels, measured by the server
 * (GET .../translation) when training pauses and every few seconds while it runs (measured.js); and, on
 * request, the same curve of an MLP on the pixels with about as many parameters (the server's
 * mlp_dense_layers) trained in a session of its own to the same step, drawn beside it. The numbers go in a table under the chart too.
 */
import { prepare } from "../charts.js";
import { SESSIONS, deleteSession, getTranslation, train } from "./api.js";
import { measured } from "./measured.js";

const REFRESH_MS = 3000; // while training, the curve is measured again after this long
const PAD = { left: 40, right: 12, top: 12, bottom: 26 }; // px around the plot
const CURVES = { convnet: { colour: "#1d2329" }, mlp: { colour: "#f59322" } };

/** @typedef {{shifts: number[], accuracy: number[], step: number, name: string}} Curve */

/**
 * @param {{canvas: HTMLCanvasElement, table: HTMLTableElement, button: HTMLButtonElement, note: HTMLElement}} parts
 * @param {{id: () => string | null, config: () => Record<string, any>, mlp: () => number[] | undefined,
 *   maxSteps: number, say: (text: string) => void}} lab
 */
export function createTranslation(parts, lab) {
  /** @type {Curve | null} */ let own = null;
  /** @type {Curve | null} */ let mlp = null;
  let step = 0;
  const measuring = measured(getTranslation, (curve, at) => {
    own = curve && { ...curve, step: at, name: "this network" };
    if (!curve) mlp = null;
    draw();
  }, { id: lab.id, everyMs: REFRESH_MS, panel: parts.canvas });

  function draw() {
    const { context, width, height } = prepare(parts.canvas);
    const curves = /** @type {[keyof CURVES, Curve][]} */ ([["convnet", own], ["mlp", mlp]].filter(([, c]) => c));
    const shifts = own?.shifts ?? mlp?.shifts ?? [0, 1, 2, 3];
    const x = (/** @type {number} */ s) => PAD.left + (s / Math.max(1, shifts[shifts.length - 1])) * (width - PAD.left - PAD.right);
    const y = (/** @type {number} */ a) => height - PAD.bottom - a * (height - PAD.top - PAD.bottom);
    context.strokeStyle = "#e6e9ec";
    context.fillStyle = "#8a9199";
    context.textAlign = "right";
    context.textBaseline = "middle";
    for (const a of [0, 0.5, 1]) {
      context.beginPath(); context.moveTo(PAD.left, y(a)); context.lineTo(width - PAD.right, y(a)); context.stroke();
      context.fillText(`${a * 100}%`, PAD.left - 4, y(a));
    }
    context.textAlign = "center";
    for (const s of shifts) context.fillText(String(s), x(s), height - PAD.bottom + 10);
    context.fillText("pixels shifted", (PAD.left + width - PAD.right) / 2, height - 6);
    curves.forEach(([kind, curve]) => {
      context.strokeStyle = context.fillStyle = CURVES[kind].colour;
      context.lineWidth = 2;
      context.beginPath();
      curve.shifts.forEach((s, i) => (i ? context.lineTo : context.moveTo).call(context, x(s), y(curve.accuracy[i])));
      context.stroke();
      for (const [i, s] of curve.shifts.entries()) { context.beginPath(); context.arc(x(s), y(curve.accuracy[i]), 3, 0, 2 * Math.PI); context.fill(); }
    });
    const rows = curves.map(([kind, curve]) => {
      const tr = document.createElement("tr");
      tr.dataset.curve = kind;
      const th = document.createElement("th");
      const swatch = document.createElement("i");
      swatch.style.background = CURVES[kind].colour;
      th.append(swatch, `${curve.name} (step ${curve.step})`);
      tr.append(th, ...curve.accuracy.map((a) => { const td = document.createElement("td"); td.textContent = `${(a * 100).toFixed(1)}%`; return td; }));
      return tr;
    });
    const head = document.createElement("tr");
    head.append(document.createElement("th"), ...shifts.map((s) => { const th = document.createElement("th"); th.textContent = `${s} px`; return th; }));
    parts.table.replaceChildren(head, ...rows);
  }

  async function compare() {
    parts.button.disabled = true;
    const target = step;
    let id = null;
    try {
      const dense = lab.mlp() ?? lab.config().dense_layers;
      const made = /** @type {{id: string} & import("./api.js").Geometry} */ (
        await SESSIONS.create({ ...lab.config(), conv_layers: [], dense_layers: dense }));
      id = made.id;
      const parameters = made.layers.reduce((sum, layer) => sum + layer.parameters, 0);
      let done = 0;
      while (done < target) {
        parts.note.textContent = `Training an MLP to step ${target}: ${done}…`;
        done = (await train(id, Math.min(lab.maxSteps, target - done))).step;
      }
      parts.note.textContent = "Measuring the MLP on shifted images…";
      mlp = { ...(await getTranslation(id)), step: done, name: `MLP of ${parameters.toLocaleString("en")} parameters` };
      parts.note.textContent = "";
      draw();
    } catch (error) {
      parts.note.textContent = "";
      lab.say(`The MLP could not be trained: ${/** @type {Error} */ (error).message}`);
    } finally {
      if (id) await deleteSession(id).catch(() => {}); // gone already (expired): nothing to clean
      parts.button.disabled = false;
    }
  }

  parts.button.addEventListener("click", compare);
  draw();

  return {
    /** A frame came: measure again when due; a new network forgets both curves. @param {Record<string, any>} meta */
    frame(meta) {
      step = meta.step;
      measuring.frame(meta);
    },
    /** Training paused: measure the paused network. */
    paused: measuring.paused,
    /** The page's size changed. */
    redraw: draw,
  };
}
