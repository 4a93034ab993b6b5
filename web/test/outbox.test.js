// The outbox's pure part: what is kept of the app state and how it is put back
// (outbox.js), with the transpiled shared reducers (web/build, made by `flux transpile`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { draftReady, draftSplices, mergeSaved, restore, snapshotOf, waiting } from '../outbox.js';
import { keyOf, withSessions } from '../sessions.js';
import { initialAppState } from '../store.js';
import {
  local_edit,
  new_session,
  notes_app,
  shown_text,
  state_reducer,
  take_outgoing,
} from '../build/shared_reducers.js';

const applyEvent = state_reducer(notes_app);
const at = '2026-01-01T00:00:00.000Z';
const row = {
  id: 'n1', title: 'Trip', text: 'tickets', author: 'ada', private: false,
  createdAt: at, updatedAt: at, updatedBy: 'ada', version: 3, recent: [],
};
const server = (notes) => ({ ...initialAppState({ user: { name: 'ada', role: 'editor' }, seq: 5, notes }), connection: 'Live' });
const added = (id, title) => ({
  type: 'noteAdded', id: 'e-' + id, payload: { id, title, text: '', private: false }, meta: { user: 'ada' }, timestamp: at,
});

/** A session on n1's text that sent ", passport" (in flight as `eventId`) and typed " and visa" since. */
function typing(eventId) {
  let session = new_session('n1', 'text', 'tickets', 3);
  session = local_edit(session, [[7, 0, ', passport']]);
  const [sent, payload] = take_outgoing(session, eventId);
  const event = { type: 'noteSpliced', id: eventId, payload, meta: { user: 'ada' }, timestamp: at };
  return { session: local_edit(sent, [[17, 0, ' and visa']]), event };
}

test('the snapshot keeps the events not confirmed yet and the sessions with work', () => {
  const { session, event } = typing('e-sent');
  const idle = new_session('n1', 'title', 'Trip', 3);
  const state = {
    ...server({ n1: row }),
    pending: [
      { event: added('n2', 'Done'), confirmedSeq: 6 },
      { event, confirmedSeq: null },
      { event: added('n3', 'New'), confirmedSeq: null },
    ],
    coedit: { [keyOf('n1', 'text')]: { session, rev: 0, shown: [] }, [keyOf('n1', 'title')]: { session: idle, rev: 0, shown: [] } },
  };
  const saved = snapshotOf(state);
  assert.deepEqual(saved.events.map((e) => e.id), ['e-sent', 'e-n3']);
  assert.deepEqual(saved.sessions, [session]);
  assert.equal(waiting(saved), 3);
});

test('restored on the note as the session left it: queue, session and shown text come back', () => {
  const { session, event } = typing('e-sent');
  const saved = JSON.parse(JSON.stringify({ events: [event, added('n3', 'New')], sessions: [session], drafts: [] }));
  const { state, drafts } = restore(server({ n1: row }), saved, applyEvent);
  assert.deepEqual(drafts, []);
  assert.deepEqual(state.pending.map((e) => [e.event.id, e.confirmedSeq]), [['e-sent', null], ['e-n3', null]]);
  assert.deepEqual(state.coedit[keyOf('n1', 'text')].session, session);
  assert.equal(state.shown.notes.n1.text, 'tickets, passport and visa');
  assert.equal(state.shown.notes.n3.title, 'New');
  assert.equal(state.confirmed.notes.n1.text, 'tickets', 'the server state stays as the server sent it');
});

test('restoring twice adds no event twice', () => {
  const { event } = typing('e-sent');
  const saved = { events: [event], sessions: [], drafts: [] };
  const once = restore(server({ n1: row }), saved, applyEvent).state;
  const twice = restore(once, saved, applyEvent).state;
  assert.equal(twice.pending.length, 1);
});

test('a note that moved on meanwhile: the event is re-sent, the unsent typing becomes a draft', () => {
  const { session, event } = typing('e-sent');
  const moved = { ...row, text: 'Rome: tickets', version: 4, recent: [[4, 'text', [[0, 0, 'Rome: ']]]] };
  const { state, drafts } = restore(server({ n1: moved }), { events: [event], sessions: [session], drafts: [] }, applyEvent);
  assert.equal(state.coedit[keyOf('n1', 'text')], undefined);
  assert.deepEqual(state.pending.map((e) => e.event.id), ['e-sent']);
  // The shared reducer merges the late splice through the note's recent tail, as the server will.
  assert.equal(state.shown.notes.n1.text, 'Rome: tickets, passport');
  assert.deepEqual(drafts, [{ note: 'n1', field: 'text', base: 'tickets, passport', buffer: [[17, 0, ' and visa']] }]);
  // Not while the field still has the event pending; then typed onto the text as it is.
  assert.equal(draftReady(state, drafts[0]), false);
  const settled = { ...state, pending: [], confirmed: { ...state.confirmed, notes: { n1: { ...moved, text: 'Rome: tickets, passport', version: 5 } } } };
  const free = { ...settled, shown: withSessions(settled.confirmed, {}) };
  assert.equal(draftReady(free, drafts[0]), true);
  assert.equal(draftReady({ ...free, connection: 'Offline' }, drafts[0]), false);
  const splices = draftSplices(drafts[0], free.shown.notes.n1.text);
  const typed = local_edit(new_session('n1', 'text', 'Rome: tickets, passport', 5), splices);
  assert.equal(shown_text(typed), 'Rome: tickets, passport and visa');
});

test('a draft whose base is still the text is typed as it was', () => {
  const draft = { note: 'n1', field: 'text', base: 'abc', buffer: [[3, 0, 'd']] };
  assert.deepEqual(draftSplices(draft, 'abc'), [[3, 0, 'd']]);
});

test('records of closed tabs merge oldest first, each event once', () => {
  const a = added('n2', 'A');
  const b = added('n3', 'B');
  const draft = { note: 'n1', field: 'text', base: 'x', buffer: [[1, 0, 'y']] };
  const merged = mergeSaved([
    { at: 20, events: [b, a], sessions: [], drafts: [draft] },
    { at: 10, events: [a], sessions: [{ note: 'n1' }] },
    { at: 30 },
  ]);
  assert.deepEqual(merged.events.map((e) => e.id), ['e-n2', 'e-n3']);
  assert.deepEqual(merged.sessions, [{ note: 'n1' }]);
  assert.deepEqual(merged.drafts, [draft]);
});
