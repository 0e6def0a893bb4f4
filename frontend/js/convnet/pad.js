// @ts-check
/**
 * The drawing pad: ink with a mouse, a finger or a pen (pointer events) on a square of DRAWING_SIDE cells,
 * each 0–1. While a stroke goes on, the ink goes out at most every SEND_MS (the frames then follow the
 * drawing), and once more when the stroke ends.
 */

const DRAWING_SIDE = 32; // cells a side: the server prepares a drawing of side 32 as the digits were
const BRUSH = 1.9; // cells, the pen's radius
const SOFT = 0.9; // cells over which the pen's edge fades
const STAMP_STEP = 0.4; // cells between stamps along a stroke
const SEND_MS = 50; // at most 20 drawings a second go to the server

/**
 * @param {HTMLCanvasElement} canvas  the pad, DRAWING_SIDE pixels a side (CSS makes it large)
 * @param {{ink: (drawing: number[][]) => void}} on  the drawing, row by row, whenever it changed
 */
export function createPad(canvas, on) {
  canvas.width = canvas.height = DRAWING_SIDE;
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  const image = context.createImageData(DRAWING_SIDE, DRAWING_SIDE);
  const ink = new Float32Array(DRAWING_SIDE * DRAWING_SIDE);
  /** @type {{x: number, y: number} | null} */ let pen = null;
  let sentAt = -Infinity, unsent = false;
  /** @type {number | undefined} */ let timer;

  function paint() {
    for (let i = 0; i < ink.length; i++) {
      const v = 255 - Math.round(ink[i] * 255);
      image.data[i * 4] = image.data[i * 4 + 1] = image.data[i * 4 + 2] = v;
      image.data[i * 4 + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  /** Ink a disc at (x, y) in cells. @param {number} x @param {number} y */
  function stamp(x, y) {
    const reach = Math.ceil(BRUSH + SOFT);
    for (let r = Math.max(0, Math.floor(y) - reach); r <= Math.min(DRAWING_SIDE - 1, Math.floor(y) + reach); r++) {
      for (let c = Math.max(0, Math.floor(x) - reach); c <= Math.min(DRAWING_SIDE - 1, Math.floor(x) + reach); c++) {
        const d = Math.hypot(c + 0.5 - x, r + 0.5 - y);
        const v = Math.max(0, Math.min(1, (BRUSH + SOFT - d) / SOFT));
        if (v > ink[r * DRAWING_SIDE + c]) ink[r * DRAWING_SIDE + c] = v;
      }
    }
  }

  function send() {
    clearTimeout(timer);
    timer = undefined;
    sentAt = performance.now();
    unsent = false;
    on.ink(Array.from({ length: DRAWING_SIDE }, (_, r) => Array.from(ink.subarray(r * DRAWING_SIDE, (r + 1) * DRAWING_SIDE), (v) => +v.toFixed(2))));
  }

  /** Send now if the last went long enough ago, else once the wait is over. */
  function sendSoon() {
    unsent = true;
    const wait = SEND_MS - (performance.now() - sentAt);
    if (wait <= 0) send();
    else if (timer === undefined) timer = window.setTimeout(send, wait);
  }

  /** @param {PointerEvent} event */
  function cell(event) {
    const box = canvas.getBoundingClientRect();
    return { x: ((event.clientX - box.left) / box.width) * DRAWING_SIDE, y: ((event.clientY - box.top) / box.height) * DRAWING_SIDE };
  }

  /** @param {PointerEvent} event */
  function draw(event) {
    const to = cell(event);
    const from = pen ?? to;
    const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y) / STAMP_STEP));
    for (let k = 1; k <= steps; k++) stamp(from.x + ((to.x - from.x) * k) / steps, from.y + ((to.y - from.y) * k) / steps);
    pen = to;
    paint();
    sendSoon();
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    pen = null;
    draw(event);
  });
  canvas.addEventListener("pointermove", (event) => { if (pen) draw(event); });
  const lift = () => {
    if (!pen) return;
    pen = null;
    if (unsent) send();
  };
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  paint();

  return {
    /** Wipe the pad. */
    clear() {
      ink.fill(0);
      clearTimeout(timer);
      timer = undefined;
      unsent = false;
      paint();
    },
    /** Whether there is ink on the pad. */
    inked: () => ink.some((v) => v > 0),
  };
}
