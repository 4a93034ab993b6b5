/**
 * Text positions between the DOM and the shared text operations: pure functions.
 *
 * The DOM counts UTF-16 units (`selectionStart`, `value.length`); splices and
 * the server count code points (an emoji is 1, not 2).  Carets and selections
 * move through splices with the shared `transform_position`, so a remote
 * change never makes the caret jump and a remote caret follows the text.
 */

import { transform_position } from './build/shared_reducers.js';

function isPair(text, i) {
  const high = text.charCodeAt(i);
  const low = text.charCodeAt(i + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

/** The code-point index of UTF-16 index `unit` in `text` (inside a pair: after it). */
export function toCodePoints(text, unit) {
  let points = 0;
  let i = 0;
  const end = Math.min(unit, text.length);
  while (i < end) {
    i += isPair(text, i) ? 2 : 1;
    points += 1;
  }
  return points;
}

/** The UTF-16 index of code-point index `point` in `text` (clamped to its end). */
export function toUnits(text, point) {
  let i = 0;
  let points = 0;
  while (i < text.length && points < point) {
    i += isPair(text, i) ? 2 : 1;
    points += 1;
  }
  return i;
}

/** The number of code points of `text`. */
export function pointLength(text) {
  return toCodePoints(text, text.length);
}

/**
 * A selection `{anchor, head}` (code points) moved through `splices`.
 * `own`: the splices are this person's typing (the caret goes after what they typed).
 */
export function mapSelection(selection, splices, own) {
  if (!splices || splices.length === 0) return selection;
  return {
    anchor: transform_position(selection.anchor, splices, own),
    head: transform_position(selection.head, splices, own),
  };
}

/**
 * The splice (or none) that turns `old` into `now`, where the caret is at
 * code point `caret` of `now` after the change: typing ends at the caret, so
 * "l" typed after "hel" in "hello" is an insert at 3, not at 4.
 */
export function diffAtCaret(old, now, caret) {
  const a = Array.from(old);
  const b = Array.from(now);
  const maxSuffix = Math.max(0, Math.min(a.length, b.length - Math.min(caret, b.length)));
  let suffix = 0;
  while (suffix < maxSuffix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix += 1;
  let prefix = 0;
  const maxPrefix = Math.min(a.length, b.length) - suffix;
  while (prefix < maxPrefix && a[prefix] === b[prefix]) prefix += 1;
  const removed = a.length - suffix - prefix;
  const inserted = b.slice(prefix, b.length - suffix).join('');
  if (removed === 0 && inserted === '') return [];
  return [[prefix, removed, inserted]];
}

/** A DOM selection (UTF-16, with direction) of `text` as `{anchor, head}` in code points. */
export function fromDom(text, start, end, direction) {
  const from = toCodePoints(text, start);
  const to = toCodePoints(text, end);
  return direction === 'backward' ? { anchor: to, head: from } : { anchor: from, head: to };
}

/** `{anchor, head}` (code points) as DOM `[start, end, direction]` (UTF-16) of `text`. */
export function toDom(text, selection) {
  const anchor = toUnits(text, selection.anchor);
  const head = toUnits(text, selection.head);
  return head < anchor ? [head, anchor, 'backward'] : [anchor, head, 'forward'];
}
