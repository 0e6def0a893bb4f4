// @ts-check
/**
 * A measurement the server makes on request (the translation curve, the layer view): asked for again when
 * training paused at a step it was not taken at, or every few seconds while training runs; one request at a
 * time; only while its panel is on screen (each costs the server tens of milliseconds); forgotten when the
 * network is made anew, and a reply about an older network is dropped.
 */

/**
 * @template T
 * @param {(id: string) => Promise<T>} ask  the request, for the session's id
 * @param {(value: T | null, step: number) => void} show  a new value and the step it was taken at; null: forget it
 * @param {{id: () => string | null, everyMs: number, panel: Element}} lab
 */
export function measured(ask, show, lab) {
  let busy = false, last = -Infinity, lastStep = -1, version = -1, step = 0, running = false, visible = false;

  async function measure() {
    const id = lab.id();
    if (!id || busy || !visible) return;
    busy = true;
    last = performance.now();
    const asked = { step, version };
    let answered = false;
    try {
      const value = await ask(id);
      answered = asked.version === version; // else a new network came meanwhile: the value is of the old one
      if (answered) {
        lastStep = asked.step;
        show(value, asked.step);
      }
    } catch {
      // the session is gone or the server unreachable: the stream says so, and a later frame asks again
    } finally {
      busy = false;
    }
    if (answered && !running && step !== lastStep) measure(); // paused while this one was under way
  }

  new IntersectionObserver(([entry]) => {
    visible = entry.isIntersecting;
    if (visible && (running || step !== lastStep)) measure();
  }).observe(lab.panel);

  return {
    /** A frame came. @param {Record<string, any>} meta */
    frame(meta) {
      step = meta.step;
      running = meta.status === "running";
      if (meta.data_version !== version) {
        version = meta.data_version;
        lastStep = -1;
        show(null, meta.step);
      }
      if (running ? performance.now() - last > lab.everyMs : step !== lastStep) measure();
    },
    /** Training paused (no frame says so): measure the paused network, unless that was done. */
    paused() {
      running = false;
      if (step !== lastStep) measure();
    },
  };
}
