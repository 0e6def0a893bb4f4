// @ts-check
/**
 * Keyboard order that follows the screen. The stylesheet places the panels (grid areas, which differ
 * between a desktop, a tablet and a phone); Tab and screen readers follow the document instead. So the
 * panels are put in the document in the order they are seen: top to bottom, then left to right.
 */

const SAME_ROW_PX = 2; // tops closer than this count as one row

/**
 * Keep a container's children in their visual order, now and whenever the container's size changes.
 * Moving them leaves their placement alone: the stylesheet places them by area, not by order.
 * @param {HTMLElement} container
 */
export function followVisualOrder(container) {
  const arrange = () => {
    const children = [...container.children];
    const boxes = new Map(children.map((child) => [child, child.getBoundingClientRect()]));
    const seen = (/** @type {Element} */ child) => /** @type {DOMRect} */ (boxes.get(child));
    const sorted = [...children].sort((a, b) =>
      (Math.abs(seen(a).top - seen(b).top) < SAME_ROW_PX ? 0 : seen(a).top - seen(b).top) || seen(a).left - seen(b).left);
    if (sorted.some((child, i) => child !== children[i])) container.append(...sorted);
  };
  arrange();
  new ResizeObserver(arrange).observe(container);
}
