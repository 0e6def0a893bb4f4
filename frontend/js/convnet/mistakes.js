// @ts-check
/**
 * The test images the network gets wrong (a frame's guesses against the images message's labels), each a
 * button: choosing one makes the frames follow it through the network. Slots are made once and reused;
 * a frame repaints them only when the set of mistakes changed.
 */
import { drawInk } from "./pixels.js";

const SHOWN = 48; // mistakes shown at most

/**
 * @param {HTMLElement} root  where the thumbnails go
 * @param {HTMLElement} count  where their number goes
 * @param {(index: number) => void} pick  follow a test image
 */
export function createMistakes(root, count, pick) {
  /** @type {{images: Uint8Array, labels: Uint8Array, side: number, classes: string[]} | null} */ let test = null;
  /** @type {HTMLButtonElement[]} */ let slots = [];
  let shown = "";
  let followed = -1;

  root.addEventListener("click", (event) => {
    const slot = /** @type {HTMLElement} */ (event.target).closest("button");
    if (slot?.dataset.index) pick(Number(slot.dataset.index));
  });

  return {
    /**
     * A new network's test images and labels (the images message).
     * @param {Uint8Array} images  n × side × side, 0–255 @param {Uint8Array} labels @param {number} side @param {string[]} classes
     */
    setImages(images, labels, side, classes) {
      test = { images, labels, side, classes };
      slots = Array.from({ length: SHOWN }, () => {
        const slot = document.createElement("button");
        slot.type = "button";
        slot.className = "mistake";
        const picture = document.createElement("canvas");
        picture.width = picture.height = side;
        const caption = document.createElement("span");
        slot.append(picture, caption);
        slot.hidden = true;
        return slot;
      });
      root.replaceChildren(...slots);
      shown = "";
    },
    /**
     * Show a frame's mistakes. @param {Uint8Array} guesses @param {number | null} index  the followed test image
     */
    update(guesses, index) {
      if (!test || guesses.length !== test.labels.length) return;
      const { images, labels, side, classes } = test;
      /** @type {number[]} */ const wrong = [];
      for (let i = 0; i < guesses.length; i++) if (guesses[i] !== labels[i]) wrong.push(i);
      const key = wrong.slice(0, SHOWN).map((i) => `${i}:${guesses[i]}`).join(",");
      const text = `${wrong.length} of ${labels.length} test images wrong${wrong.length > SHOWN ? ` (the first ${SHOWN} shown)` : ""}`;
      if (count.textContent !== text) count.textContent = text;
      if (key !== shown) {
        shown = key;
        slots.forEach((slot, k) => {
          const i = wrong[k];
          slot.hidden = i === undefined;
          if (i === undefined) return;
          slot.dataset.index = String(i);
          drawInk(/** @type {HTMLCanvasElement} */ (slot.firstChild), images, i * side * side, 255);
          const [truth, guess] = [classes[labels[i]], classes[guesses[i]]];
          /** @type {HTMLElement} */ (slot.lastChild).textContent = `${truth} → ${guess}`;
          slot.title = `Test image ${i}: a ${truth}, taken for a ${guess}. Follow it through the network.`;
        });
        followed = -1;
      }
      if (followed !== (index ?? -1)) {
        followed = index ?? -1;
        for (const slot of slots) slot.setAttribute("aria-pressed", String(Number(slot.dataset.index) === followed && !slot.hidden));
      }
    },
  };
}
