// The Redux store with the transpiled shared reducer (web/build, made by `flux transpile`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createAppStore } from '../store.js';

const BUILD = new URL('../build/shared_reducers.js', import.meta.url);
const built = existsSync(BUILD);
const skip = built ? false : 'web/build is missing: run `flux transpile` first';

async function storeWith(notes) {
  const { combine_reducers, notes_reducer, reduce_state } = await import(BUILD.href);
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
  assert.equal(store.getState().shown.notes.n1.text, 'mine');

  const theirs = { type: 'noteContentEdited', id: 'e-theirs', seq: 2, payload: { id: 'n1', text: 'theirs', baseVersion: 1 }, meta: { user: 'bob' }, timestamp: at };
  store.dispatch({ type: 'server/event', event: theirs });
  let shown = store.getState().shown.notes;
  assert.equal(shown.n1.text, 'theirs');
  assert.equal(shown['n1~e-mine'].text, 'mine');

  store.dispatch({ type: 'server/event', event: { ...mine, seq: 3 } });
  const state = store.getState();
  assert.equal(state.pending.length, 0);
  assert.deepEqual(state.shown, state.confirmed);
  assert.deepEqual(Object.keys(state.confirmed.notes).sort(), ['n1', 'n1~e-mine']);
});

test('an edit of a note that is gone is refused locally with the reducer\'s reason', { skip }, async () => {
  const store = await storeWith({});
  const event = { type: 'noteRemoved', id: 'e1', payload: { id: 'nope' }, meta: { user: 'ada' }, timestamp: at };
  store.dispatch({ type: 'local/edited', event });
  const [rejection] = store.getState().rejections;
  assert.match(rejection.reason, /nope/);
  assert.equal(store.getState().pending.length, 0);
});
