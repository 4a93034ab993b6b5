// The time machine's pure parts: loading the visible events, replaying them, the store's actions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppReducer, initialAppState } from '../store.js';
import {
  EVENTS_PAGE,
  countUpTo,
  createReplayer,
  loadVisibleEvents,
  mergeEvents,
  restorePayload,
} from '../timemachine.js';
import { applyEvent } from './fake_reducer.js';
import { mayRestore, mayRemove } from '../notes.js';

const added = (seq, id, title = 'T') => ({
  seq, id: 'e' + seq, type: 'noteAdded', payload: { id, title, text: '' }, meta: { user: 'ada' }, timestamp: 't' + seq,
});
const removed = (seq, id) => ({ seq, id: 'e' + seq, type: 'noteRemoved', payload: { id }, meta: { user: 'ada' }, timestamp: 't' + seq });

test('mergeEvents keeps seq order and each seq once', () => {
  const merged = mergeEvents([added(1, 'a'), added(3, 'b')], [added(3, 'b'), added(2, 'c'), added(5, 'd')]);
  assert.deepEqual(merged.map((e) => e.seq), [1, 2, 3, 5]);
});

test('countUpTo counts the events at or below a seq (gaps are invisible events)', () => {
  const events = [added(2, 'a'), added(5, 'b'), added(9, 'c')];
  assert.deepEqual([0, 2, 4, 5, 9, 99].map((seq) => countUpTo(events, seq)), [0, 1, 1, 2, 3, 3]);
});

test('loadVisibleEvents continues after scanned until an empty page', async () => {
  const asked = [];
  const pages = [
    { events: Array.from({ length: 3 }, (_, i) => added(i + 1, 'n' + i)), scanned: 1500 },
    { events: [added(1501, 'x')], scanned: 1600 },
    { events: [], scanned: 1700 },
  ];
  const events = await loadVisibleEvents(async (after, limit) => {
    asked.push([after, limit]);
    return pages.shift();
  });
  assert.deepEqual(asked, [[0, EVENTS_PAGE], [1500, EVENTS_PAGE], [1600, EVENTS_PAGE]]);
  assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 1501]);
});

test('the replayer gives the same state with and without its checkpoints', () => {
  const events = [];
  for (let i = 1; i <= 700; i += 1) events.push(i % 3 === 0 ? removed(i, 'n' + (i - 1)) : added(i, 'n' + i));
  const warm = createReplayer(applyEvent);
  warm(events, 700);
  for (const count of [0, 1, 249, 250, 251, 600, 700]) {
    assert.deepEqual(warm(events, count), createReplayer(applyEvent)(events, count), `after ${count}`);
  }
});

test('mayRestore and mayRemove follow the shared policy: own notes, admins shared ones, never viewers', () => {
  const note = { author: 'ada', private: false };
  assert.equal(mayRestore({ name: 'ada', role: 'editor' }, note), true);
  assert.equal(mayRestore({ name: 'bob', role: 'editor' }, note), false);
  assert.equal(mayRestore({ name: 'boss', role: 'admin' }, note), true);
  assert.equal(mayRestore({ name: 'boss', role: 'admin' }, { ...note, private: true }), false);
  assert.equal(mayRestore({ name: 'ada', role: 'viewer' }, note), false);
  assert.equal(mayRemove({ name: 'ada', role: 'editor' }, note), true);
  assert.equal(mayRemove({ name: 'bob', role: 'editor' }, note), false);
  assert.equal(mayRemove({ name: 'boss', role: 'admin' }, note), true);
  assert.equal(mayRemove({ name: 'ada', role: 'viewer' }, note), false);
});

test('restorePayload keeps the privacy and the content', () => {
  assert.deepEqual(restorePayload({ id: 'n1', title: 'A', text: 'b', private: true, version: 3 }), {
    id: 'n1', title: 'A', text: 'b', private: true,
  });
});

const reducer = createAppReducer(applyEvent);
const start = () => initialAppState({ user: { name: 'ada', role: 'editor' }, seq: 3, notes: {} });
const log = [added(1, 'a', 'First'), added(2, 'b'), removed(3, 'a')];

test('the first move asks by seq; once loaded the past is the replay up to it', () => {
  let state = reducer(start(), { type: 'timemachine/asked', seq: 2 });
  assert.equal(state.timeMachine.status, 'loading');
  state = reducer(state, { type: 'timemachine/loaded', events: log });
  assert.equal(state.timeMachine.position, 2);
  assert.deepEqual(Object.keys(state.timeMachine.past.notes).sort(), ['a', 'b']);
  assert.equal(state.timeMachine.line.user, 'ada');
  assert.equal(state.timeMachine.line.timestamp, 't2');
});

test('events streamed while loading are kept; moving to the end is now', () => {
  let state = reducer(start(), { type: 'timemachine/asked', seq: 1 });
  state = reducer(state, { type: 'server/event', event: added(4, 'c') });
  state = reducer(state, { type: 'timemachine/loaded', events: log });
  assert.deepEqual(state.timeMachine.events.map((e) => e.seq), [1, 2, 3, 4]);
  assert.deepEqual(Object.keys(state.timeMachine.past.notes), ['a']);
  state = reducer(state, { type: 'timemachine/moved', position: 4 });
  assert.equal(state.timeMachine.past, null);
  state = reducer(state, { type: 'timemachine/moved', position: 0 });
  assert.deepEqual(state.timeMachine.past, { notes: {}, removed_notes: {} });
  assert.equal(state.timeMachine.line, null);
});

test('back to now leaves the past; the loaded events stay', () => {
  let state = reducer(start(), { type: 'timemachine/asked', seq: 1 });
  state = reducer(state, { type: 'timemachine/loaded', events: log });
  state = reducer(state, { type: 'timemachine/now' });
  assert.equal(state.timeMachine.past, null);
  assert.equal(state.timeMachine.events.length, 3);
});
