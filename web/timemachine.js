/**
 * The time machine and the deleted notes: pure functions and the part of the
 * Redux state they own (`timeMachine`, `deleted`).
 *
 * The past is computed in the browser: the events this user may see, from
 * seq 1, replayed through the same shared reducer as the store's
 * (`applyEvent`, transpiled from shared_reducers/), starting from no notes.
 *
 * Why replaying only the visible events gives exactly the visible notes:
 * whether an event is visible depends only on the note it names, and a
 * note's visibility never changes (its author and privacy are fixed when it
 * is added; a restore keeps them).  A conflict copy `n~e` has the visibility
 * of `n`.  So a private note of someone else, its copies and all their
 * events are invisible as a whole, and an invisible event never touches a
 * visible note (the reducer reads and writes only the note it names and
 * that note's copies).  The visible events alone therefore bring the visible
 * notes to exactly the state the full log brings them to.
 *
 * @typedef {import('./pending.js').FluxEvent} FluxEvent
 * @typedef {import('./pending.js').ApplyEvent} ApplyEvent
 * @typedef {{
 *   status: 'idle' | 'loading' | 'ready' | 'failed',
 *   events: FluxEvent[],
 *   buffered: FluxEvent[],
 *   askedSeq: number | null,
 *   position: number | null,
 *   past: {notes: Object<string, object>} | null,
 *   line: ReturnType<typeof describeEvent> | null,
 *   error: string,
 * }} TimeMachine
 * @typedef {{open: boolean, status: 'idle' | 'loading' | 'ready' | 'failed', entries: object[], error: string}} Deleted
 */

import { plain_state, shared_state } from './build/shared_reducers.js';
import { describeEvent } from './describe.js';

export const EVENTS_PAGE = 1000;
const CHECKPOINT_EVERY = 250;

/** @returns {TimeMachine} */
export function initialTimeMachine() {
  return { status: 'idle', events: [], buffered: [], askedSeq: null, position: null, past: null, line: null, error: '' };
}

/** @returns {Deleted} */
export function initialDeleted() {
  return { open: false, status: 'idle', entries: [], error: '' };
}

/** `known` and `more` as one list in seq order, each seq once. */
export function mergeEvents(known, more) {
  if (more.length === 0) return known;
  const last = known.length ? known[known.length - 1].seq : 0;
  if (more.every((e, i) => e.seq > (i === 0 ? last : more[i - 1].seq))) return [...known, ...more];
  const bySeq = new Map();
  for (const event of [...known, ...more]) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** How many of `events` (in seq order) have a seq at or below `seq`. */
export function countUpTo(events, seq) {
  let count = 0;
  while (count < events.length && events[count].seq <= seq) count += 1;
  return count;
}

/**
 * `(events, count) -> state after the first count events`, remembering a
 * state every 250 events so moving the slider replays at most that many.
 * Events only ever get appended, so a remembered state stays right as long
 * as the event at its position is the same one.
 * With `shared` (the page, whose reducer is the transpiled one) the fold runs on the
 * structurally shared form of memory.py: an event costs the same at 10,000 notes as
 * at 10; the view gets the plain form, converted once per state.
 * @param {ApplyEvent} applyEvent
 * @param {{shared?: boolean}} [options]
 */
export function createReplayer(applyEvent, { shared = false } = {}) {
  const checkpoints = new Map(); // count -> {seq, state}
  const plain = new Map();
  const plainOf = (state) => {
    if (!shared) return state;
    let out = plain.get(state);
    if (!out) {
      out = plain_state(state);
      if (plain.size >= 4) plain.delete(plain.keys().next().value);
      plain.set(state, out);
    }
    return out;
  };
  return function stateAfter(events, count) {
    let start = 0;
    let state = { notes: {}, removed_notes: {} };
    if (shared) state = shared_state(state);
    for (let at = count - (count % CHECKPOINT_EVERY); at > 0; at -= CHECKPOINT_EVERY) {
      const saved = checkpoints.get(at);
      if (saved && events[at - 1] && events[at - 1].seq === saved.seq) {
        start = at;
        state = saved.state;
        break;
      }
    }
    for (let i = start; i < count; i += 1) {
      try {
        state = applyEvent(state, events[i]);
      } catch (error) {
        // The server applied it; if our replay cannot, show the rest rather than nothing.
        console.error('A logged event did not replay in the browser.', events[i], error);
      }
      if ((i + 1) % CHECKPOINT_EVERY === 0) checkpoints.set(i + 1, { seq: events[i].seq, state });
    }
    return plainOf(state);
  };
}

/**
 * Every event this user may see, from seq 1: `GET /api/events` page by page,
 * continuing after `scanned` (events the user may not see are skipped there).
 * @param {(after: number, limit: number) => Promise<{events: FluxEvent[], scanned: number}>} fetchPage
 */
export async function loadVisibleEvents(fetchPage) {
  let events = [];
  let after = 0;
  for (;;) {
    const page = await fetchPage(after, EVENTS_PAGE);
    events = mergeEvents(events, page.events);
    // An empty page: the server looked up to the end (a short page is not enough, the
    // server may cap `limit` lower than we ask).
    if (page.events.length === 0 || page.scanned <= after) return events;
    after = page.scanned;
  }
}

/** The noteRestored payload that brings `note` back as it is given (privacy unchanged). */
export function restorePayload(note) {
  return { id: note.id, title: note.title, text: note.text, private: Boolean(note.private) };
}

/**
 * The Redux reducer of the time machine's and the deleted list's actions;
 * `state` is the whole app state.  `stateAfter` is a createReplayer(...).
 */
export function timeMachineActions(state, action, stateAfter) {
  const tm = state.timeMachine;
  switch (action.type) {
    case 'timemachine/asked': // first use: remember where to go once the events are in
      if (tm.status === 'loading') return { ...state, timeMachine: { ...tm, askedSeq: action.seq } };
      return {
        ...state,
        timeMachine: { ...tm, status: 'loading', buffered: [], askedSeq: action.seq, error: '' },
      };
    case 'timemachine/loaded': {
      const events = mergeEvents(mergeEvents([], action.events), tm.buffered);
      const loaded = { ...tm, status: 'ready', events, buffered: [], error: '' };
      const asked = tm.askedSeq === null ? events.length : countUpTo(events, tm.askedSeq);
      return { ...state, timeMachine: { ...loaded, askedSeq: null, ...positionIn(loaded, asked, stateAfter) } };
    }
    case 'timemachine/failed':
      return { ...state, timeMachine: { ...tm, status: 'failed', askedSeq: null, error: action.error } };
    case 'timemachine/moved':
      if (tm.status !== 'ready') return state;
      return { ...state, timeMachine: { ...tm, ...positionIn(tm, action.position, stateAfter) } };
    case 'timemachine/now':
      return { ...state, timeMachine: { ...tm, position: null, past: null, line: null } };
    case 'deleted/opened':
      return { ...state, deleted: { ...state.deleted, open: true, status: 'loading', error: '' } };
    case 'deleted/closed':
      return { ...state, deleted: { ...state.deleted, open: false } };
    case 'deleted/loaded':
      return { ...state, deleted: { ...state.deleted, status: 'ready', entries: action.entries } };
    case 'deleted/failed':
      return { ...state, deleted: { ...state.deleted, status: 'failed', error: action.error } };
    default:
      return state;
  }
}

/** The view at `position` (events applied); at the newest visible event the past is now. */
function positionIn(tm, position, stateAfter) {
  if (position === null || position >= tm.events.length) return { position: null, past: null, line: null };
  const clamped = Math.max(0, position);
  const past = stateAfter(tm.events, clamped);
  const event = clamped > 0 ? tm.events[clamped - 1] : null;
  const line = event ? describeEvent(event, stateAfter(tm.events, clamped - 1), past) : null;
  return { position: clamped, past, line };
}

/** The time machine after a committed event arrived from the server's stream. */
export function withStreamedEvent(tm, event) {
  if (tm.status === 'loading') return { ...tm, buffered: [...tm.buffered, event] };
  if (tm.status !== 'ready') return tm;
  // Looking at the past: the view stays where it is while the log grows.
  return { ...tm, events: mergeEvents(tm.events, [event]) };
}
