// The Redux store with the transpiled shared reducer (web/build, made by `flux transpile`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createAppStore } from '../store.js';

const BUILD = new URL('../build/shared_reducers.js', import.meta.url);
const built = existsSync(BUILD);
const skip = built ? false : 'web/build is missing: run `flux transpile` first';

const memory = built ? await import(BUILD.href) : null;
const noteOf = (state, id) => memory.row_of(state, 'notes', id);

async function storeWith(notes) {
  const { combine_reducers, notes_reducer, reduce_state } = memory;
  const root = combine_reducers({ notes: notes_reducer });
  const applyEvent = (state, event) => reduce_state(root, state, event);
  return createAppStore({ user: { name: 'ada', role: 'editor' }, seq: 1, notes }, applyEvent);
}

const base = {
  id: 'n1', title: 'Plan', text: 'a', author: 'ada', private: false,
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'ada', version: 1,
};
const at = '2026-01-01T00:00:01.000Z';

test('local edit, foreign edit, rebase into a conflict copy, then our confirmation', { skip }, async () => {
  const store = await storeWith({ n1: base });
  const mine = { type: 'noteContentEdited', id: 'e-mine', payload: { id: 'n1', text: 'mine', baseVersion: 1 }, meta: { user: 'ada' }, timestamp: at };
  store.dispatch({ type: 'local/edited', event: mine });
  assert.equal(noteOf(store.getState().shown, 'n1').text, 'mine');

  const theirs = { type: 'noteContentEdited', id: 'e-theirs', seq: 2, payload: { id: 'n1', text: 'theirs', baseVersion: 1 }, meta: { user: 'bob' }, timestamp: at };
  store.dispatch({ type: 'server/event', event: theirs });
  const shown = store.getState().shown;
  assert.equal(noteOf(shown, 'n1').text, 'theirs');
  assert.equal(noteOf(shown, 'n1~e-mine').text, 'mine');

  store.dispatch({ type: 'server/event', event: { ...mine, seq: 3 } });
  const state = store.getState();
  assert.equal(state.pending.length, 0);
  assert.deepEqual(state.shown, state.confirmed);
  assert.deepEqual(memory.ids_of(state.confirmed, 'notes'), ['n1', 'n1~e-mine']);
});

test('an edit of a note that is gone is refused locally with the reducer\'s reason', { skip }, async () => {
  const store = await storeWith({});
  const event = { type: 'noteRemoved', id: 'e1', payload: { id: 'nope' }, meta: { user: 'ada' }, timestamp: at };
  store.dispatch({ type: 'local/edited', event });
  const [rejection] = store.getState().rejections;
  assert.match(rejection.reason, /nope/);
  assert.equal(store.getState().pending.length, 0);
});

const manyNotes = (count) => {
  const notes = {};
  for (let i = 0; i < count; i += 1) {
    const id = 'n' + i;
    notes[id] = { ...base, id, title: 'Note ' + i, createdAt: '2026-01-01T00:00:' + String(i % 60).padStart(2, '0') + '.000Z' };
  }
  return notes;
};

test('the live state is in the shared form: a keystroke or another user\'s edit replaces one row, the rest keep their identity', { skip }, async () => {
  const store = await storeWith(manyNotes(300));
  const first = store.getState();
  assert.ok(Array.isArray(first.confirmed.notes), 'notes are a shared collection, not a plain object');
  assert.equal(memory.row_count(first.shown, 'notes'), 300);

  // Our keystroke (a session's shown text laid over the shown state with with_row).
  const splices = memory.diff_splices('a', 'ab');
  store.dispatch({ type: 'coedit/typed', noteId: 'n5', field: 'text', splices });
  const typed = store.getState();
  assert.equal(noteOf(typed.shown, 'n5').text, 'ab');
  assert.deepEqual(memory.changed_ids(first.shown, typed.shown, 'notes'), ['n5']);
  assert.equal(noteOf(typed.shown, 'n7'), noteOf(first.shown, 'n7'), 'an untouched row keeps its identity');
  assert.equal(typed.confirmed, first.confirmed);

  // Another user's edit, from the stream.
  const theirs = { type: 'noteTitleEdited', id: 'e-bob', seq: 2, payload: { id: 'n9', title: 'Bob', baseVersion: 1 }, meta: { user: 'bob' }, timestamp: at };
  store.dispatch({ type: 'server/event', event: theirs });
  const after = store.getState();
  assert.deepEqual(memory.changed_ids(typed.confirmed, after.confirmed, 'notes'), ['n9']);
  assert.equal(noteOf(after.shown, 'n9').title, 'Bob');
  assert.equal(noteOf(after.shown, 'n5').text, 'ab', 'the typing stays shown');
  assert.equal(noteOf(after.shown, 'n7'), noteOf(first.shown, 'n7'));
  assert.ok(Array.isArray(after.shown.notes));
});

test('"notes/loaded" (GET /page-state) turns the loaded notes into the shared form too', { skip }, async () => {
  const store = await storeWith({ n1: base });
  store.dispatch({ type: 'notes/loaded', state: { seq: 4, notes: manyNotes(20) } });
  const state = store.getState();
  assert.ok(Array.isArray(state.confirmed.notes));
  assert.ok(Array.isArray(state.shown.notes));
  assert.equal(memory.row_count(state.shown, 'notes'), 20);
  assert.equal(state.seq, 4);
});

test('the note order reads the shared form: an edit keeps the order without sorting, an add sorts', { skip }, async () => {
  const { createNoteOrder } = await import('../notes.js');
  const order = createNoteOrder();
  const start = memory.shared_state({ notes: manyNotes(5) });
  const ids = order(start);
  assert.deepEqual(ids, ['n4', 'n3', 'n2', 'n1', 'n0']);
  const edited = memory.with_row(start, 'notes', { ...noteOf(start, 'n2'), title: 'Changed' });
  assert.equal(order(edited), ids, 'same ids: the remembered order, not a new sort');
  const added = memory.with_row(edited, 'notes', { ...base, id: 'n9', createdAt: '2026-01-02T00:00:00.000Z' });
  assert.deepEqual(order(added), ['n9', 'n4', 'n3', 'n2', 'n1', 'n0']);
});
