/**
 * The Title and Text controls while several people type: part of the view
 * (the only code that touches the DOM besides view.js).
 *
 * - Typing becomes splices (code points) at once: the difference between the
 *   text the control showed and its new value, placed at the caret
 *   (carets.diffAtCaret).  Nothing is diffed or overwritten during an IME
 *   composition; changes that arrive meanwhile wait for compositionend.
 * - A new shown text from the state (someone else's splices, a rejection)
 *   is written into the control with the caret and the selection moved
 *   through the same splices (transform_position), so they never jump.
 * - Others' carets and selections are drawn over the control: a mirror div
 *   with the control's box and font tells where a position is.
 */

import { html, render } from 'lit-html';
import { styleMap } from 'lit-html/directives/style-map.js';
import { apply_splices, compose, diff_splices, transform } from './build/shared_reducers.js';
import { diffAtCaret, fromDom, mapSelection, toCodePoints, toDom } from './carets.js';

const MIRRORED = [
  'boxSizing', 'borderTopWidth', 'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth', 'borderStyle',
  'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft', 'fontStyle', 'fontVariant', 'fontWeight',
  'fontStretch', 'fontSize', 'fontFamily', 'lineHeight', 'textAlign', 'textTransform', 'textIndent',
  'letterSpacing', 'wordSpacing', 'tabSize',
];

const COLOURS = ['#d92d20', '#0e7c66', '#7a2ed6', '#c4560b', '#1f6fd1', '#b8296f'];

/** A colour per person, the same on every page. */
export function colourOf(user) {
  let hash = 0;
  for (const char of user) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return COLOURS[hash % COLOURS.length];
}

export class Fields {
  /**
   * @param {Document} document
   * @param {{type: (noteId: string, field: string, splices: any[]) => void,
   *          caret: (where: {noteId: string, field: string, selection: {anchor: number, head: number}}) => void}} hooks
   */
  constructor(document, hooks) {
    this.document = document;
    this.hooks = hooks;
    /** @type {WeakMap<HTMLInputElement | HTMLTextAreaElement, {shown: string, rev: number,
     *   composing: boolean, base: string, queued: any[]}>} */
    this.meta = new WeakMap();
    this.mirror = null;
    this.mirrorKey = '';
    /** What each carets layer shows now (see draw). @type {WeakMap<Element, object>} */
    this.drawn = new WeakMap();
  }

  metaOf(el) {
    let meta = this.meta.get(el);
    if (!meta) {
      meta = { shown: el.value, rev: 0, composing: false, base: '', queued: [] };
      this.meta.set(el, meta);
    }
    return meta;
  }

  where(el) {
    return { noteId: el.dataset.note, field: el.dataset.field };
  }

  /** The control's selection as `{anchor, head}` in code points. */
  selectionOf(el) {
    return fromDom(el.value, el.selectionStart, el.selectionEnd, el.selectionDirection);
  }

  // -- DOM events (bound in view.js) ------------------------------------------

  onInput(el, event) {
    const meta = this.metaOf(el);
    if (meta.composing || (event && event.isComposing)) return;
    const caret = toCodePoints(el.value, el.selectionEnd);
    const splices = diffAtCaret(meta.shown, el.value, caret);
    meta.shown = el.value;
    const { noteId, field } = this.where(el);
    if (splices.length) this.hooks.type(noteId, field, splices);
    this.onCaret(el);
  }

  onCompositionStart(el) {
    const meta = this.metaOf(el);
    meta.composing = true;
    meta.base = meta.shown;
    meta.queued = [];
  }

  /** The composition is done: its text is typing made on the text as it was when it
   * began; what arrived meanwhile applies now, both moved over each other. */
  onCompositionEnd(el) {
    const meta = this.metaOf(el);
    if (!meta.composing) return;
    meta.composing = false;
    const local = diffAtCaret(meta.base, el.value, toCodePoints(el.value, el.selectionEnd));
    const remote = meta.queued;
    meta.queued = [];
    const localAfter = remote.length ? transform(local, remote, true) : local;
    if (remote.length) {
      const remoteAfter = local.length ? transform(remote, local, false) : remote;
      this.write(el, apply_splices(el.value, remoteAfter), remoteAfter);
    }
    meta.shown = el.value;
    const { noteId, field } = this.where(el);
    if (localAfter.length) this.hooks.type(noteId, field, localAfter);
    this.onCaret(el);
  }

  onCaret(el) {
    if (this.document.activeElement !== el) return;
    const { noteId, field } = this.where(el);
    this.hooks.caret({ noteId, field, selection: this.selectionOf(el) });
  }

  // -- after each render ------------------------------------------------------

  /**
   * Show `text` (the state's shown text of the field) in the control; `entry`
   * is the field's co-editing entry (sessions.js), whose `shown` splices
   * turned the previous text into this one when `rev` moved by one.
   */
  sync(el, text, entry) {
    const meta = this.meta.get(el);
    if (!meta) {
      el.value = text;
      this.meta.set(el, { shown: text, rev: entry ? entry.rev : 0, composing: false, base: '', queued: [] });
      return;
    }
    const rev = entry ? entry.rev : 0;
    if (text === meta.shown) {
      meta.rev = rev;
      return;
    }
    let splices = entry && rev === meta.rev + 1 ? entry.shown : null;
    if (!splices || apply_splices(meta.shown, splices) !== text) splices = diff_splices(meta.shown, text);
    meta.rev = rev;
    meta.shown = text;
    if (meta.composing) {
      meta.queued = compose(meta.queued, splices);
      return;
    }
    this.write(el, text, splices);
  }

  /** Put `text` in the control, its selection moved through `splices` (not ours). */
  write(el, text, splices) {
    const focused = this.document.activeElement === el;
    const selection = focused ? mapSelection(this.selectionOf(el), splices, false) : null;
    const scroll = el.scrollTop;
    el.value = text;
    if (selection) {
      const [start, end, direction] = toDom(text, selection);
      el.setSelectionRange(start, end, direction);
      el.scrollTop = scroll;
    }
  }

  // -- the others' carets -----------------------------------------------------

  /**
   * Draw `carets` (presence entries with a selection, in code points of the
   * shown text) over `el` into `layer`, an absolutely placed box over it.
   */
  draw(el, layer, carets, moved = false) {
    if (!layer) return;
    // Measuring forces a layout: skip it when neither the carets nor the text changed since
    // the last drawing (most renders: a keystroke elsewhere, an event of another note) and
    // the control did not scroll or change size (`moved`, from its scroll and resize events).
    const drawn = {
      carets: carets.map((c) => c.user + ':' + c.selection.anchor + ':' + c.selection.head).join(' '),
      text: carets.length ? el.value : '',
    };
    const last = this.drawn.get(layer);
    if (!moved && last && last.carets === drawn.carets && last.text === drawn.text) return;
    this.drawn.set(layer, drawn);
    const marks = carets.length ? this.measure(el, carets) : [];
    render(
      html`${marks.map(
        (mark) => html`
          <div class="remote" style=${styleMap({ '--who': mark.colour })}>
            ${mark.rects.map((r) => html`<div class="remote-selection" style=${styleMap(box(r))}></div>`)}
            <div class="remote-caret" role="img" aria-label=${mark.user + '’s caret'}
              style=${styleMap(box(mark.caret))}>
              <span class="remote-name ${mark.caret.top < 14 ? 'below' : ''}">${mark.user}</span>
            </div>
          </div>`,
      )}`,
      layer,
    );
  }

  /** Where each caret and selection is, in px from the control's border box. */
  measure(el, carets) {
    const style = this.document.defaultView.getComputedStyle(el);
    const mirror = this.mirrorFor(el, style);
    const text = el.value;
    const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.3;
    const marks = [];
    for (const entry of carets) {
      const [start, end] = toDom(text, entry.selection);
      const head = toDom(text, { anchor: entry.selection.head, head: entry.selection.head })[0];
      const chosen = this.document.createElement('span');
      const caret = this.document.createElement('span');
      caret.textContent = '\u200b';
      chosen.textContent = text.slice(start, end);
      mirror.replaceChildren(
        text.slice(0, Math.min(head, start)),
        ...(head <= start
          ? [caret, chosen, text.slice(end)]
          : [chosen, caret, text.slice(end)]),
      );
      const origin = mirror.getBoundingClientRect();
      const dx = -el.scrollLeft;
      const dy = -el.scrollTop;
      const at = caret.getBoundingClientRect();
      const rects = start === end
        ? []
        : [...chosen.getClientRects()].map((r) => ({
            left: r.left - origin.left + dx, top: r.top - origin.top + dy, width: r.width, height: r.height,
          }));
      marks.push({
        user: entry.user,
        colour: colourOf(entry.user),
        caret: { left: at.left - origin.left + dx, top: at.top - origin.top + dy, width: 2, height: at.height || lineHeight },
        rects,
      });
    }
    mirror.replaceChildren();
    const inside = (c) => c.top + c.height > 0 && c.top < el.offsetHeight && c.left >= 0 && c.left <= el.offsetWidth;
    return marks.filter((mark) => inside(mark.caret));
  }

  mirrorFor(el, style) {
    if (!this.mirror) {
      this.mirror = this.document.createElement('div');
      this.mirror.setAttribute('aria-hidden', 'true');
      this.document.body.appendChild(this.mirror);
    }
    const mirror = this.mirror;
    // Its box and font change only with the control's: writing its style again would make
    // the browser compute it again (most measures are of the same control, the text moved).
    const key = [el.tagName, el.offsetWidth, el.clientWidth, ...MIRRORED.map((name) => style[name])].join('|');
    if (key === this.mirrorKey) return mirror;
    this.mirrorKey = key;
    for (const name of MIRRORED) mirror.style[name] = style[name];
    const multiline = el.tagName === 'TEXTAREA';
    Object.assign(mirror.style, {
      position: 'absolute',
      visibility: 'hidden',
      top: '0',
      left: '-10000px',
      overflow: 'hidden',
      boxSizing: 'border-box',
      width: el.offsetWidth - (el.offsetWidth - el.clientWidth - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth)) + 'px',
      height: 'auto',
      whiteSpace: multiline ? 'pre-wrap' : 'pre',
      overflowWrap: multiline ? 'break-word' : 'normal',
    });
    return mirror;
  }
}

function box(r) {
  return { left: r.left + 'px', top: r.top + 'px', width: r.width + 'px', height: r.height + 'px' };
}
