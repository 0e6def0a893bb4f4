// @ts-check
/**
 * A measurement the server makes on request (the translation curve, the layer view): asked for again when
 * training paused at a step it was not taken at, or every few seconds while training runs; one request at a
 * time; forgotten when the network is made anew.
 */

/**
 * @template T
 * @param {(id: string) => Promise<T>} ask  the request, for the session's id
 * @param {(value: T | null, step: number) => void} show  a new value and the step it was taken at; null: forget it
 * @param {{id: () => string | null, everyMs: number}} lab
 */
export function measured(ask, show, lab) {
  let busy = false, last = -Infinity, lastStep = -1, version = -1, step = 0;

  /** @param {number} step */
  async function measure(step) {
    const id = lab.id();
    if (!id || busy) return;
    busy = true;
    last = performance.now();
    try {
      const value = await ask(id);
      lastStep = step;
      show(value, step);
    } catch {
      // the session is gone or the server unreachable: the stream says so, and a later frame asks again
    } finally {
      busy = false;
    }
  }

  return {
    /** A frame came. @param {Record<string, any>} meta */
    frame(meta) {
      step = meta.step;
      if (meta.data_version !== version) {
        version = meta.data_version;
        lastStep = -1;
        show(null, meta.step);
      }
      const due = meta.status === "running" ? performance.now() - last > lab.everyMs : meta.step !== lastStep;
      if (due) measure(meta.step);
    },
    /** Training paused (no frame says so): measure the paused network, unless that was done. */
    paused() {
      if (step !== lastStep) measure(step);
    },
  };
}
