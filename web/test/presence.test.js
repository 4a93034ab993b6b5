// Others' carets placed on the text this page shows (docs/protocol.md, Presence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SELF, othersOn, received, settled, withAuthor } from '../presence.js';
import { keyOf } from '../sessions.js';

const row = (text, version, recent) => ({ id: 'n1', title: 'T', text, version, recent });
const message = (selection, version, user = 'bob', client = 'c1') =>
  ({ type: 'presence', client, user, note: 'n1', field: 'text', selection, version });

function ctx(note, { authors = {}, coedit = {}, shown = note } = {}) {
  return { confirmed: { n1: note }, shown: { n1: shown }, coedit, authors: { n1: authors } };
}

test('a caret at our version is taken as it is, clamped to the text', () => {
  const note = row('hello', 3, []);
  const p = received({}, message([2, 9], 3), ctx(note));
  assert.deepEqual(p.c1.selection, { anchor: 2, head: 5 });
  assert.deepEqual(othersOn(p, 'n1'), ['bob']);
});

test('someone else\'s typing since the sender\'s version moves the caret; the sender\'s own does not', () => {
  // version 4: ada typed "AB" at 0; version 5: bob typed "xy" at 5 (his caret already counts it)
  const note = row('ABhelloxy', 5, [[4, 'text', [[0, 0, 'AB']]], [5, 'text', [[5, 0, 'xy']]]]);
  const p = received({}, message([7, 7], 3), ctx(note, { authors: { 4: 'ada', 5: 'bob' } }));
  assert.deepEqual(p.c1.selection, { anchor: 9, head: 9 });
});

test('our own typing, confirmed or pending, moves their caret', () => {
  const note = row('ABhello', 4, [[4, 'text', [[0, 0, 'AB']]]]);
  const session = { note: 'n1', field: 'text', version: 4, text: 'ABhello', inflight: null, inflight_id: null, buffer: [[0, 0, 'z']] };
  const coedit = { [keyOf('n1', 'text')]: { session, rev: 0, shown: [] } };
  const c = ctx(note, { authors: { 4: SELF }, coedit, shown: { ...note, text: 'zABhello' } });
  const p = received({}, message([5, 5], 3), c);
  assert.deepEqual(p.c1.selection, { anchor: 8, head: 8 });
});

test('a caret from a version we have not applied waits, then is placed', () => {
  const before = row('hello', 3, []);
  let p = received({}, message([1, 1], 3), ctx(before));
  p = received(p, message([7, 7], 4), ctx(before));
  assert.equal(p.c1.waiting, true);
  assert.deepEqual(p.c1.selection, { anchor: 1, head: 1 }); // the previous caret stays
  const after = row('hello!!', 4, [[4, 'text', [[5, 0, '!!']]]]);
  p = settled(p, 'n1', ctx(after, { authors: withAuthor({}, 'n1', 4, 'bob').n1 }));
  assert.deepEqual(p.c1.selection, { anchor: 7, head: 7 });
  assert.equal(p.c1.waiting, false);
});

test('note: null, or a note not shown, removes the entry; a deleted note drops its carets', () => {
  const note = row('hello', 3, []);
  let p = received({}, message([1, 1], 3), ctx(note));
  assert.deepEqual(received(p, { ...message(null, null), note: null }, ctx(note)), {});
  p = settled(p, 'n1', { confirmed: {}, shown: {}, coedit: {}, authors: {} });
  assert.deepEqual(p, {});
});
