import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppReducer, initialAppState } from '../store.js';
import { unsyncedCount } from '../pending.js';
import { applyEvent, ev } from './fake_reducer.js';

const reducer = createAppReducer(applyEvent);
const note = { id: 'n1', title: 'Plan', text: 'a', version: 1, createdAt: 't' };
const start = () => initialAppState({ user: { name: 'ada', role: 'editor' }, seq: 5, notes: { n1: note } });
const local = (state, event) => reducer(state, { type: 'local/edited', event });
const server = (state, event, seq) => reducer(state, { type: 'server/event', event: { ...event, seq } });

test('the store starts from the embedded state', () => {
  const state = start();
  assert.equal(state.seq, 5);
  assert.deepEqual(state.shown.notes.n1, note);
  assert.deepEqual(state.confirmed.notes.n1, note);
});

test('a local edit shows at once and stays pending, confirmed state untouched', () => {
  const state = local(start(), ev('noteTitleEdited', { id: 'n1', title: 'Mine', baseVersion: 1 }));
  assert.equal(state.shown.notes.n1.title, 'Mine');
  assert.equal(state.confirmed.notes.n1.title, 'Plan');
  assert.equal(unsyncedCount(state.pending), 1);
});

test('consecutive saves based on the shown version do not conflict', () => {
  let state = local(start(), ev('noteContentEdited', { id: 'n1', text: 'ab', baseVersion: 1 }));
  const second = ev('noteContentEdited', { id: 'n1', text: 'abc', baseVersion: state.shown.notes.n1.version });
  state = local(state, second);
  assert.equal(state.shown.notes.n1.text, 'abc');
  assert.deepEqual(Object.keys(state.shown.notes), ['n1']);
});

test('another user\'s event rebases pending edits on top of it', () => {
  const mine = ev('noteContentEdited', { id: 'n1', text: 'mine', baseVersion: 1 });
  let state = local(start(), mine);
  state = server(state, ev('noteTitleEdited', { id: 'n1', title: 'Theirs', baseVersion: 1 }, { meta: { user: 'bob' } }), 6);
  assert.equal(state.confirmed.notes.n1.title, 'Theirs');
  // our edit was based on version 1, theirs made version 2: it becomes a conflict copy
  assert.equal(state.shown.notes['n1~' + mine.id].text, 'mine');
  assert.equal(state.shown.notes.n1.text, 'a');
  assert.equal(state.pending.length, 1);
});

test('our own event from the stream leaves pending and enters confirmed', () => {
  const mine = ev('noteTitleEdited', { id: 'n1', title: 'Mine', baseVersion: 1 });
  let state = local(start(), mine);
  state = reducer(state, { type: 'server/confirmed', id: mine.id, seq: 6 });
  assert.equal(unsyncedCount(state.pending), 0);
  assert.equal(state.pending.length, 1);
  state = server(state, mine, 6);
  assert.equal(state.pending.length, 0);
  assert.equal(state.confirmed.notes.n1.title, 'Mine');
  assert.equal(state.shown.notes.n1.title, 'Mine');
});

test('an event already applied (seq not above ours) is ignored', () => {
  const state = start();
  assert.equal(server(state, ev('noteRemoved', { id: 'n1' }), 5), state);
});

test('a rejection rolls back to the server state and says why next to the note', () => {
  const mine = ev('noteTitleEdited', { id: 'n1', title: 'Nope', baseVersion: 1 });
  let state = local(start(), mine);
  state = reducer(state, { type: 'server/rejected', id: mine.id, error: 'Viewers may not edit notes.' });
  assert.equal(state.shown.notes.n1.title, 'Plan');
  assert.equal(state.pending.length, 0);
  assert.deepEqual(state.rejections.map((r) => [r.noteId, r.reason]), [['n1', 'Viewers may not edit notes.']]);
  assert.match(state.rejections[0].what, /title change “Nope”/);
});

test('an edit that cannot apply locally is refused at once, not queued', () => {
  const state = local(start(), ev('noteRemoved', { id: 'gone' }));
  assert.equal(state.pending.length, 0);
  assert.match(state.rejections[0].reason, /does not exist/);
});

test('a pending edit whose note was deleted meanwhile drops out of the shown state', () => {
  let state = local(start(), ev('noteTitleEdited', { id: 'n1', title: 'Mine', baseVersion: 1 }));
  state = server(state, ev('noteRemoved', { id: 'n1' }, { meta: { user: 'bob' } }), 6);
  assert.equal(state.shown.notes.n1, undefined);
  assert.equal(state.pending.length, 1);
});

test('the events panel lists who did what, newest first', () => {
  let state = server(start(), ev('noteTitleEdited', { id: 'n1', title: 'New', baseVersion: 1 }, { meta: { user: 'bob' } }), 6);
  state = server(state, ev('noteRemoved', { id: 'n1' }, { meta: { user: 'cy' } }), 7);
  assert.deepEqual(
    state.recent.map((line) => [line.user, line.verb, line.title]),
    [['cy', 'deleted', 'New'], ['bob', 'renamed', 'Plan']],
  );
});

test('the backlog of the first render names notes as they were at each event', () => {
  const state = initialAppState({
    user: { name: 'ada', role: 'editor' },
    seq: 3,
    notes: { n1: { ...note, title: 'Final' } },
    events: [
      ev('noteAdded', { id: 'n1', title: '', text: '' }, { seq: 1 }),
      ev('noteTitleEdited', { id: 'n1', title: 'First' }, { seq: 2 }),
      ev('noteTitleEdited', { id: 'n1', title: 'Final' }, { seq: 3, meta: { user: 'bob' } }),
    ],
  });
  assert.deepEqual(
    state.recent.map((line) => [line.user, line.verb, line.title, line.detail]),
    [
      ['bob', 'renamed', 'First', 'to “Final”'],
      ['ada', 'titled', 'First', ''],
      ['ada', 'added', '', ''],
    ],
  );
});

test('a refused connection is explained until the socket is live again', () => {
  let state = reducer(start(), { type: 'connection/refused', reason: 'Not signed in.' });
  state = reducer(state, { type: 'connection/changed', status: 'Offline' });
  assert.equal(state.refused, 'Not signed in.');
  state = reducer(state, { type: 'connection/changed', status: 'Live' });
  assert.equal(state.refused, '');
});

test('a confirmation of an event the stream already brought clears it from the queue', () => {
  const mine = ev('noteTitleEdited', { id: 'n1', title: 'Mine', baseVersion: 1 });
  const state = reducer(local(start(), mine), { type: 'server/confirmed', id: mine.id, seq: 4 });
  assert.equal(state.pending.length, 0);
});
