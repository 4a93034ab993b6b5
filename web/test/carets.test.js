// Carets and selections between the DOM (UTF-16) and splices (code points).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffAtCaret, fromDom, mapSelection, pointLength, toCodePoints, toDom, toUnits } from '../carets.js';

test('UTF-16 indexes and code points convert both ways around an emoji', () => {
  const text = 'a😀b';
  assert.equal(text.length, 4);
  assert.equal(pointLength(text), 3);
  assert.deepEqual([0, 1, 3, 4].map((u) => toCodePoints(text, u)), [0, 1, 2, 3]);
  assert.deepEqual([0, 1, 2, 3].map((p) => toUnits(text, p)), [0, 1, 3, 4]);
  assert.equal(toUnits(text, 99), 4);
});

test('a lone surrogate counts as one code point', () => {
  const text = 'a\ud83db';
  assert.equal(pointLength(text), 3);
  assert.equal(toUnits(text, 2), 2);
});

test('a selection keeps its direction through the conversion', () => {
  const text = '😀😀 hello';
  const backward = fromDom(text, 2, 7, 'backward');
  assert.deepEqual(backward, { anchor: 5, head: 1 });
  assert.deepEqual(toDom(text, backward), [2, 7, 'backward']);
  assert.deepEqual(toDom(text, fromDom(text, 2, 7, 'forward')), [2, 7, 'forward']);
});

test('someone else typing before the caret moves it; after it, not', () => {
  const caret = { anchor: 5, head: 5 };
  assert.deepEqual(mapSelection(caret, [[0, 0, 'abc']], false), { anchor: 8, head: 8 });
  assert.deepEqual(mapSelection(caret, [[6, 0, 'abc']], false), caret);
  assert.deepEqual(mapSelection(caret, [[2, 2, '']], false), { anchor: 3, head: 3 });
});

test('an insert at the caret: the others stay before it, the typist goes after it', () => {
  const caret = { anchor: 4, head: 4 };
  assert.deepEqual(mapSelection(caret, [[4, 0, 'xy']], false), caret);
  assert.deepEqual(mapSelection(caret, [[4, 0, 'xy']], true), { anchor: 6, head: 6 });
});

test('a selection shrinks when its text is deleted and grows around typing inside it', () => {
  const selection = { anchor: 2, head: 8 };
  assert.deepEqual(mapSelection(selection, [[0, 4, '']], false), { anchor: 0, head: 4 });
  assert.deepEqual(mapSelection(selection, [[5, 0, '😀😀']], false), { anchor: 2, head: 10 });
});

test('typing is placed at the caret, not where a plain diff would put it', () => {
  // "l" typed after "hel" in "hello": the caret is at 4 of "helllo"
  assert.deepEqual(diffAtCaret('hello', 'helllo', 4), [[3, 0, 'l']]);
  assert.deepEqual(diffAtCaret('hello', 'helllo', 5), [[4, 0, 'l']]);
  // backspace of the second "l" of "hello" (caret at 3 after it)
  assert.deepEqual(diffAtCaret('hello', 'helo', 3), [[3, 1, '']]);
  assert.deepEqual(diffAtCaret('aaa', 'aaaa', 1), [[0, 0, 'a']]);
  assert.deepEqual(diffAtCaret('same', 'same', 2), []);
});

test('replacing a selection and emoji count as code points', () => {
  assert.deepEqual(diffAtCaret('a😀b', 'aXYb', 3), [[1, 1, 'XY']]);
  assert.deepEqual(diffAtCaret('ab', 'a😀b', 2), [[1, 0, '😀']]);
});
