// What a page keeps of notePrivacyChanged (privacy.js), on the transpiled shared reducers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notes_app, state_reducer } from '../build/shared_reducers.js';
import { seenBy } from '../privacy.js';

const base = state_reducer(notes_app);
const AT = '2026-11-30T10:00:00.000Z';
let seq = 0;
const logged = (type, payload, user, meta = {}) =>
  ({ type, payload, id: 'e' + (++seq), seq, timestamp: AT, meta: { user, ...meta } });
const empty = () => ({ notes: {}, removed_notes: {} });

test('a note made private by its author leaves the others\' state, and its next events are skipped', () => {
  const bob = seenBy('bob', base);
  let state = bob(empty(), logged('noteAdded', { id: 'n1', title: 'Plans', text: '' }, 'ada'));
  assert.equal(state.notes.n1.title, 'Plans');
  state = bob(state, logged('notePrivacyChanged', { id: 'n1', private: true }, 'ada'));
  assert.deepEqual(Object.keys(state.notes), []);
  const after = bob(state, logged('noteTitleEdited', { id: 'n1', title: 'Secret' }, 'ada'));
  assert.equal(after, state);
});

test('the author keeps their note, now private', () => {
  const ada = seenBy('ada', base);
  let state = ada(empty(), logged('noteAdded', { id: 'n1', title: 'Plans', text: '' }, 'ada'));
  state = ada(state, logged('notePrivacyChanged', { id: 'n1', private: true }, 'ada'));
  assert.equal(state.notes.n1.private, true);
  assert.equal(state.notes.n1.version, 2);
});

test('a note made shared arrives whole from the row the server attached', () => {
  const bob = seenBy('bob', base);
  const row = { id: 'n1', title: 'Lunch', text: 'Friday', author: 'ada', private: false,
    createdAt: AT, updatedAt: AT, updatedBy: 'ada', version: 3, recent: [[3, 'private', []]] };
  let state = bob(empty(), logged('notePrivacyChanged', { id: 'n1', private: false }, 'ada', { note: row }));
  assert.deepEqual(state.notes.n1, row);
  state = bob(state, logged('noteContentEdited', { id: 'n1', text: 'Friday at noon' }, 'ada'));
  assert.equal(state.notes.n1.text, 'Friday at noon');
});

test('a privacy change of a note the page never had changes nothing', () => {
  const bob = seenBy('bob', base);
  const state = empty();
  assert.equal(bob(state, logged('notePrivacyChanged', { id: 'n9', private: true }, 'ada')), state);
});

test('a local change of a missing note is still refused (the page shows why)', () => {
  const ada = seenBy('ada', base);
  const local = { type: 'notePrivacyChanged', payload: { id: 'n9', private: true }, id: 'x',
    timestamp: AT, meta: { user: 'ada' } };
  assert.throws(() => ada(empty(), local), (error) => /does not exist/.test(error.reason));
});
