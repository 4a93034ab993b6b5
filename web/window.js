/**
 * The slice of a long list the view renders (part of the view: it measures the DOM).
 *
 * The notes list is a CSS grid of note cards; only the cards on screen, and
 * about a screen above and below, are in the DOM.  The rows above and below
 * the slice are stood in for by the list's padding, from a row height measured
 * on the cards that are rendered, so the scrollbar keeps the size of the whole
 * list.  The page scrolls as a whole (window scroll); a scroll that moves the
 * slice calls `onChange` (once per frame at most).
 *
 * Nothing here reads the layout while the page renders (a keystroke must not
 * force a layout of the page): the list's place, its columns and a row's height
 * are measured in the next animation frame, when the browser lays out anyway,
 * and a measure that moves the slice calls `onChange` too.
 */

/** Fewest cards rendered (so a short list, or a first render not yet measured, shows them all). */
export const MIN_CARDS = 40;
/** Screens rendered above and below the one in view. */
const OVERSCAN_SCREENS = 1;
/** A card row's height (with the gap) until one is measured. */
const FIRST_ROW_PX = 230;

export class ListWindow {
  /**
   * @param {Window} win
   * @param {() => void} onChange  the slice to render changed (the page scrolled or resized)
   */
  constructor(win, onChange) {
    this.win = win;
    this.onChange = onChange;
    this.list = null;
    this.columns = 1;
    this.rowPx = FIRST_ROW_PX;
    this.top = 0; // the list's top in the document, as last measured
    this.last = { start: 0, end: 0 };
    this.count = 0;
    this.frame = 0;
    this.measureFrame = 0;
    const check = () => {
      if (this.frame) return;
      this.frame = this.win.requestAnimationFrame(() => {
        this.frame = 0;
        this.changed();
      });
    };
    win.addEventListener('scroll', check, { passive: true });
    win.addEventListener('resize', () => {
      check();
      this.measure(this.list); // the columns may change with the width
    });
  }

  /**
   * Which cards of `count` to render now, and the padding that stands in for the others.
   * @returns {{start: number, end: number, padTop: number, padBottom: number}}
   */
  slice(count) {
    this.count = count;
    const cols = Math.max(1, this.columns);
    const rowPx = this.rowPx;
    const rows = Math.ceil(count / cols);
    const top = this.top;
    const screen = this.win.innerHeight || 800;
    const from = this.win.scrollY - top - OVERSCAN_SCREENS * screen;
    const to = this.win.scrollY - top + (1 + OVERSCAN_SCREENS) * screen;
    let firstRow = Math.min(Math.max(0, Math.floor(from / rowPx)), rows);
    let lastRow = Math.min(Math.max(0, Math.ceil(to / rowPx)), rows);
    const minRows = Math.ceil(MIN_CARDS / cols);
    if (lastRow - firstRow < minRows) {
      lastRow = Math.min(rows, firstRow + minRows);
      firstRow = Math.max(0, lastRow - minRows);
    }
    const start = firstRow * cols;
    const end = Math.min(count, lastRow * cols);
    this.last = { start, end };
    return { start, end, padTop: firstRow * rowPx, padBottom: (rows - lastRow) * rowPx };
  }

  /** Call `onChange` if the slice to render is not the one rendered last. */
  changed() {
    const before = this.last;
    const next = this.slice(this.count);
    if (next.start !== before.start || next.end !== before.end) this.onChange();
  }

  /** After a render: measure the list in the next frame (see above). */
  measure(list) {
    this.list = list;
    if (!list || this.measureFrame) return;
    this.measureFrame = this.win.requestAnimationFrame(() => {
      this.measureFrame = 0;
      if (this.list && this.list.isConnected && this.measureNow(this.list)) this.changed();
    });
  }

  /** The list's place, columns and row height; true when one of them changed. */
  measureNow(list) {
    const top = list.getBoundingClientRect().top + this.win.scrollY;
    const moved = Math.abs(top - this.top) > 1;
    this.top = top;
    const style = this.win.getComputedStyle(list);
    const columns = style.gridTemplateColumns.split(' ').filter(Boolean).length || 1;
    const cards = list.children;
    if (cards.length < columns * 2) {
      const changed = moved || columns !== this.columns;
      this.columns = columns;
      return changed;
    }
    const gap = parseFloat(style.rowGap) || 0;
    const first = cards[0].getBoundingClientRect();
    const last = cards[cards.length - 1].getBoundingClientRect();
    const rows = Math.ceil(cards.length / columns);
    const rowPx = (last.bottom - first.top + gap) / rows;
    // Only a clear change moves the padding (a small one would make the cards jump).
    if (columns !== this.columns || Math.abs(rowPx - this.rowPx) > this.rowPx * 0.15) {
      this.columns = columns;
      this.rowPx = Math.max(40, rowPx);
      return true;
    }
    return moved;
  }

  /** Scroll so that card `index` is in view (its slice renders on the next render). */
  reveal(index) {
    const row = Math.floor(index / Math.max(1, this.columns));
    if (this.list && this.list.isConnected) this.top = this.list.getBoundingClientRect().top + this.win.scrollY;
    const y = this.top + row * this.rowPx;
    if (y < this.win.scrollY || y > this.win.scrollY + (this.win.innerHeight || 800) - this.rowPx) {
      this.win.scrollTo(0, Math.max(0, y - 80));
    }
  }
}
