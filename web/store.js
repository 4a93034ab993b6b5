/**
 * The Redux store of the notes page.
 *
 * Its reducer is a plain Redux reducer over UI actions ("local/edited",
 * "server/event", ...).  Notes change only through the shared reducer
 * (transpiled from shared_reducers/), passed in as `applyEvent`.
 *
 * @typedef {import('./pending.js').PendingEntry} PendingEntry
 * @typedef {{id: string, noteId: string, what: string, reason: string}} Rejection
 * @typedef {{
 *   user: {name: string, role: string},
 *   seq: number,
 *   confirmed: {notes: Object<string, object>},
 *   pending: PendingEntry[],
 *   shown: {notes: Object<string, object>},
 *   rejections: Rejection[],
 *   recent: ReturnType<typeof describeEvent>[],
 *   connection: string,
 *   refused: string,
 *   confirmingDelete: string | null,
 *   timeMachine: import('./timemachine.js').TimeMachine,
 *   deleted: import('./timemachine.js').Deleted,
 * }} AppState
 */

import { createStore } from 'redux';
import { describeChange, describeEvent } from './describe.js';
import { sortedNotes } from './notes.js';
import {
  enqueue,
  find,
  markConfirmed,
  reasonOf,
  replay,
  without,
} from './pending.js';
import {
  createReplayer,
  initialDeleted,
  initialTimeMachine,
  timeMachineActions,
  withStreamedEvent,
} from './timemachine.js';

const RECENT_LIMIT = 50;

/** @returns {AppState} */
export function initialAppState(initial) {
  const confirmed = { notes: { ...(initial.notes || {}) } };
  const recent = describeBacklog(initial.events || [], confirmed).slice(0, RECENT_LIMIT);
  return {
    user: initial.user || { name: '', role: '' },
    seq: typeof initial.seq === 'number' ? initial.seq : 0,
    confirmed,
    pending: [],
    shown: confirmed,
    rejections: [],
    recent,
    connection: 'Connecting',
    refused: '',
    confirmingDelete: null,
    timeMachine: initialTimeMachine(),
    deleted: initialDeleted(),
  };
}

/**
 * The events panel's lines for the events the page was rendered with (oldest
 * first), newest first.  Only the current notes are known, so titles as they
 * were are followed through the events themselves; a note renamed before the
 * first of them is named by its current title.
 */
function describeBacklog(events, current) {
  const titles = {};
  const lines = [];
  for (const event of events) {
    const id = event.payload && typeof event.payload.id === 'string' ? event.payload.id : '';
    const note = current.notes[id];
    const title = id in titles ? titles[id] : note ? note.title : '';
    const isNew = event.type === 'noteAdded' || event.type === 'noteRestored';
    const before = { notes: isNew ? {} : { [id]: { title } } };
    lines.unshift(describeEvent(event, before, current));
    if (event.payload && typeof event.payload.title === 'string') titles[id] = event.payload.title;
  }
  return lines;
}

/** The Redux reducer, given the shared reducer's `(state, event) -> state`. */
export function createAppReducer(applyEvent) {
  const stateAfter = createReplayer(applyEvent); // the time machine's past states
  const rebased = (state) => ({
    ...state,
    shown: replay(applyEvent, state.confirmed, state.pending).state,
  });

  return function app(state, action) {
    switch (action.type) {
      case 'local/edited': {
        // Refuse at once what cannot apply to the shown state (e.g. the note was deleted).
        try {
          const shown = applyEvent(state.shown, action.event);
          return { ...state, pending: enqueue(state.pending, action.event), shown };
        } catch (error) {
          return addRejection(state, action.event, reasonOf(error));
        }
      }
      case 'server/event': {
        const event = action.event;
        if (typeof event.seq !== 'number' || event.seq <= state.seq) return state;
        let confirmed = state.confirmed;
        try {
          confirmed = applyEvent(state.confirmed, event);
        } catch (error) {
          // The server applied it, so this only happens if our copy diverged.
          console.error('A confirmed event did not apply locally; reload to resync.', event, error);
        }
        const recent = [describeEvent(event, state.confirmed, confirmed), ...state.recent].slice(
          0,
          RECENT_LIMIT,
        );
        return rebased({
          ...state,
          seq: event.seq,
          confirmed,
          recent,
          pending: without(state.pending, event.id),
          timeMachine: withStreamedEvent(state.timeMachine, event),
        });
      }
      case 'server/confirmed': {
        if (!find(state.pending, action.id)) return state;
        if (typeof action.seq === 'number' && action.seq <= state.seq) {
          // The stream already brought everything up to seq (it has no gaps for us): a
          // re-sent event that was committed before is part of the confirmed state.
          return rebased({ ...state, pending: without(state.pending, action.id) });
        }
        return { ...state, pending: markConfirmed(state.pending, action.id, action.seq) };
      }
      case 'server/rejected': {
        const entry = find(state.pending, action.id);
        if (!entry) return state;
        const next = rebased({ ...state, pending: without(state.pending, action.id) });
        return addRejection(next, entry.event, action.error);
      }
      case 'connection/changed': {
        if (state.connection === action.status) return state;
        const refused = action.status === 'Live' ? '' : state.refused;
        return { ...state, connection: action.status, refused };
      }
      case 'connection/refused':
        return { ...state, refused: action.reason };
      case 'rejection/dismissed':
        return { ...state, rejections: state.rejections.filter((r) => r.id !== action.id) };
      case 'delete/asked':
        return { ...state, confirmingDelete: action.noteId };
      case 'delete/cancelled':
        return { ...state, confirmingDelete: null };
      default:
        return timeMachineActions(state, action, stateAfter);
    }
  };
}

function addRejection(state, event, reason) {
  const rejection = {
    id: event.id,
    noteId: event.payload && typeof event.payload.id === 'string' ? event.payload.id : '',
    what: describeChange(event, state.shown),
    reason: reason || 'The server refused the change.',
  };
  return { ...state, rejections: [...state.rejections, rejection] };
}

/** A Redux store; `enhancer` is Redux DevTools' when the extension is there. */
export function createAppStore(initial, applyEvent, enhancer) {
  return createStore(createAppReducer(applyEvent), initialAppState(initial), enhancer);
}

/** Notes to show, newest first (stable while someone types). */
export function visibleNotes(state) {
  return sortedNotes(state.shown.notes);
}
