// @ts-check
/**
 * Receptive fields on screen. Pointing at a unit of any feature map (hovering with a mouse, tapping on a
 * touch screen) outlines the unit, outlines on the input image the pixels it sees (the session's
 * receptive_fields table) and marks the filter it applies. Pointing at a filter shows it sliding: every
 * unit of its map uses the same weights, so its map is outlined and the field walks through the positions.
 */

const SLIDE_MS = 140; // how long the sliding field rests on each position

/**
 * @typedef {{layer: number, table: "maps"|"pooled", filter: number, row: number, col: number}} Unit
 */

/**
 * @param {HTMLElement} root  the element whose feature maps and filters respond to the pointer
 * @param {() => import("./inside.js").Built | null} built  the canvases now on screen
 * @param {() => import("./api.js").Geometry | null} geometry  their network's
 */
export function bindFields(root, built, geometry) {
  const field = document.createElement("div");
  field.id = "field";
  field.className = "field";
  field.hidden = true;
  const marker = document.createElement("div");
  marker.className = "unit-marker";
  marker.hidden = true;
  /** @type {Element[]} */ let marked = []; // the filter and the map boxes a pointing marks
  /** @type {number | undefined} */ let timer;
  /** @type {string | null} */ let sliding = null; // "layer.filter" of the filter sliding now
  let pinned = false; // a tap holds its unit until the next tap

  /** @param {HTMLElement} el @param {number} top @param {number} left @param {number} bottom @param {number} right @param {number} side */
  function place(el, top, left, bottom, right, side) {
    const percent = (/** @type {number} */ v) => `${(v / side) * 100}%`;
    Object.assign(el.style, { top: percent(top), left: percent(left), height: percent(bottom - top), width: percent(right - left) });
    el.hidden = false;
  }

  /** @param {Element[]} elements @param {string} className */
  function mark(elements, className) {
    for (const el of elements) el.classList.add(className);
    marked.push(...elements);
  }

  function unmark() {
    for (const el of marked) el.classList.remove("hot", "sliding");
    marked = [];
  }

  /** Show what one unit sees. @param {Unit} unit */
  function showUnit(unit) {
    const b = built(), g = geometry();
    const table = g?.receptive_fields[unit.layer]?.[unit.table];
    const view = b?.conv[unit.layer];
    const rect = table?.[unit.row]?.[unit.col];
    if (!b || !view || !rect) return;
    const [top, left, bottom, right] = rect;
    if (field.parentElement !== b.inputWrap) b.inputWrap.append(field);
    place(field, top, left, bottom, right, b.input.width);
    Object.assign(field.dataset, {
      top, left, bottom, right, layer: unit.layer, table: unit.table, filter: unit.filter, row: unit.row, col: unit.col,
    });
    const picture = (unit.table === "maps" ? view.maps : view.pooled)[unit.filter];
    picture.parentElement?.append(marker);
    const side = unit.table === "maps" ? view.side : view.pooledSide;
    place(marker, unit.row, unit.col, unit.row + 1, unit.col + 1, side);
    if (!sliding) {
      unmark();
      mark([view.filters[unit.filter]], "hot");
    }
  }

  function clear() {
    clearInterval(timer);
    sliding = null;
    pinned = false;
    unmark();
    field.hidden = marker.hidden = true;
  }

  /** Slide a filter over its map. @param {number} layer @param {number} filter */
  function slide(layer, filter) {
    const view = built()?.conv[layer];
    if (!view || sliding === `${layer}.${filter}`) return;
    clear();
    sliding = `${layer}.${filter}`;
    mark([view.filters[filter]], "hot");
    mark([view.maps[filter].parentElement, view.pooled[filter].parentElement].filter((e) => e !== null), "sliding");
    let position = 0;
    const step = () => {
      const row = Math.floor(position / view.side), col = position % view.side;
      showUnit({ layer, table: "maps", filter, row, col });
      position = (position + 1) % (view.side * view.side);
    };
    step();
    timer = window.setInterval(step, SLIDE_MS);
  }

  /** What the pointer is on: a unit, a filter, or nothing. @param {PointerEvent} event */
  function point(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const kind = target.dataset?.kind;
    const layer = Number(target.dataset.layer), filter = Number(target.dataset.filter);
    if (kind === "maps" || kind === "pooled") {
      const c = /** @type {HTMLCanvasElement} */ (target);
      const side = c.width;
      const at = (/** @type {number} */ offset, /** @type {number} */ size) => Math.max(0, Math.min(side - 1, Math.floor((offset / size) * side)));
      if (sliding) clear();
      showUnit({ layer, table: kind, filter, row: at(event.offsetY, c.clientHeight), col: at(event.offsetX, c.clientWidth) });
      return true;
    }
    if (kind === "filter") { slide(layer, filter); return true; }
    return false;
  }

  root.addEventListener("pointermove", (event) => {
    if (event.pointerType !== "mouse" || pinned) return;
    if (!point(event)) clear();
  });
  root.addEventListener("pointerleave", (event) => { if (event.pointerType === "mouse" && !pinned) clear(); });
  root.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse") return;
    clear();
    pinned = point(event);
  });

  return {
    /** The network was rebuilt: nothing pointed at survives. */
    reset() {
      clear();
      field.remove();
      marker.remove();
    },
  };
}
