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
 *   loaded: boolean,
 *   search: import('./search.js').Search,
 *   confirmed: {notes: Collection, removed_notes: Collection},
 *   pending: PendingEntry[],
 *   shown: {notes: Collection, removed_notes: Collection},
 *   rejections: Rejection[],
 *   recent: ReturnType<typeof describeEvent>[],
 *   connection: string,
 *   refused: string,
 *   confirmingDelete: string | null,
 *   timeMachine: import('./timemachine.js').TimeMachine,
 *   deleted: import('./timemachine.js').Deleted,
 *   coedit: Object<string, import('./sessions.js').CoeditEntry>,
 *   presence: Object<string, object>,
 *   authors: Object<string, Object<number, string>>,
 *   lost: Lost[],
 * }} AppState
 * @typedef {{noteId: string, title: string, text: string, private: boolean, author: string,
 *   deletedBy: string, at: string}} Lost  a note deleted while this person was typing in it
 * @typedef {object | [number, any[]]} Collection  memory.py's plain {id: row} or shared form;
 *   read it only through row_of, ids_of, rows_of, row_count, changed_ids (either form)
 */

import { createStore } from 'redux';
import { plain_state, row_of, shared_state } from './build/shared_reducers.js';
import { commitsDraft, draftActions, withDraft } from './newnote.js';
import { addLine, describeChange, describeEvent } from './describe.js';
import { restore } from './outbox.js';
import { initialSearch, searchActions } from './search.js';
import {
  enqueue,
  find,
  markConfirmed,
  reasonOf,
  replay,
  without,
} from './pending.js';
import { SELF, received, settled, withAuthor } from './presence.js';
import {
  afterEvent,
  afterRejection,
  opened,
  outgoing,
  typed,
  withSessions,
  withoutNote,
  workOn,
} from './sessions.js';
import {
  createReplayer,
  initialDeleted,
  initialTimeMachine,
  timeMachineActions,
  withStreamedEvent,
} from './timemachine.js';

const RECENT_LIMIT = 50;

/**
 * With `shared` (the page: its reducer is the transpiled one) the notes are turned once,
 * here, into memory.py's structurally shared form, so an event or a keystroke copies a
 * leaf and two short lists instead of the whole notes object.  Without it (tests with a
 * stand-in reducer) they stay plain; every reader goes through the accessors, which
 * take either form.
 * @returns {AppState}
 */
export function initialAppState(initial, { shared = false } = {}) {
  let confirmed = {
    notes: { ...(initial.notes || {}) },
    removed_notes: { ...(initial.removed_notes || {}) },
  };
  if (shared) confirmed = shared_state(confirmed);
  const recent = describeBacklog(initial.events || [], confirmed).slice(0, RECENT_LIMIT);
  return {
    user: initial.user || { name: '', role: '' },
    seq: typeof initial.seq === 'number' ? initial.seq : 0,
    // The first page may carry only the first screen of notes ("complete": false);
    // then the rest arrive with "notes/loaded" before the page connects and may write.
    loaded: initial.complete !== false,
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
    coedit: {},
    presence: {},
    authors: {},
    lost: [],
    draft: null,
    search: initialSearch(),
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
  let lines = [];
  for (const event of events) {
    const id = event.payload && typeof event.payload.id === 'string' ? event.payload.id : '';
    const note = row_of(current, 'notes', id);
    const title = id in titles ? titles[id] : note ? note.title : '';
    const isNew = event.type === 'noteAdded' || event.type === 'noteRestored';
    const before = { notes: isNew ? {} : { [id]: { title } } };
    lines = addLine(lines, describeEvent(event, before, current), Infinity);
    if (event.payload && typeof event.payload.title === 'string') titles[id] = event.payload.title;
  }
  return lines;
}

/** The Redux reducer, given the shared reducer's `(state, event) -> state`. */
export function createAppReducer(applyEvent, { sharedPast = false, shared = false } = {}) {
  const stateAfter = createReplayer(applyEvent, { shared: sharedPast }); // the time machine's past states
  const rebased = (state) => ({
    ...state,
    shown: withSessions(
      withDraft(replay(applyEvent, state.confirmed, state.pending).state, state.draft, applyEvent),
      state.coedit,
    ),
  });

  return function app(state, action) {
    switch (action.type) {
      case 'local/edited': {
        // Refuse at once what cannot apply to the shown state (e.g. the note was deleted).
        const event = action.event;
        // The draft's first keystroke: its noteAdded joins the queue, then the keystroke.
        // A session opened on the draft (its caret) starts again on the note as added.
        if (commitsDraft(state, event)) {
          const coedit = withoutNote(state.coedit, event.payload.id);
          const added = rebased({ ...state, draft: null, coedit, pending: enqueue(state.pending, event) });
          if (!action.typed) return added;
          const { field, splices } = action.typed;
          return app(added, { type: 'coedit/typed', noteId: event.payload.id, field, splices });
        }
        try {
          const shown = applyEvent(state.shown, event);
          const next = { ...state, pending: enqueue(state.pending, event), shown };
          if (event.type !== 'noteRemoved') return next;
          // Our own delete: the typing in it goes with it (what was sent is ahead in the queue).
          return { ...next, coedit: withoutNote(state.coedit, event.payload.id) };
        } catch (error) {
          return addRejection(state, event, reasonOf(error));
        }
      }
      case 'coedit/opened': {
        const coedit = opened(state, action.noteId, action.field);
        return coedit === state.coedit ? state : { ...state, coedit };
      }
      case 'coedit/typed': {
        const coedit = typed(state, action.noteId, action.field, action.splices);
        if (!coedit) return state;
        const next = { ...state, coedit, shown: withSessions(state.shown, coedit) };
        return { ...next, presence: settled(state.presence, action.noteId, placing(next)) };
      }
      case 'coedit/send': {
        const { coedit, event } = outgoing(state.coedit, action.key, action.event);
        if (!event) return state;
        return rebased({ ...state, coedit, pending: enqueue(state.pending, event) });
      }
      case 'server/event':
        return serverEvent(state, action.event, action.typingIn || null);
      case 'notes/loaded': {
        // Every note the person may see, at one seq (GET /page-state): the first page's
        // notes were a part of them at an earlier seq.  Nothing was sent before this.
        const loaded = initialAppState(action.state, { shared });
        return rebased({
          ...state,
          loaded: true,
          seq: loaded.seq,
          confirmed: loaded.confirmed,
          recent: loaded.recent,
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
        const coedit = afterRejection(state.coedit, action.id);
        const next = rebased({ ...state, coedit, pending: without(state.pending, action.id) });
        return addRejection(next, entry.event, action.error);
      }
      case 'connection/changed': {
        if (state.connection === action.status) return state;
        const refused = action.status === 'Live' ? '' : state.refused;
        // The server sends everyone's presence again after its hello.
        const presence = action.status === 'Live' ? state.presence : {};
        return { ...state, connection: action.status, refused, presence };
      }
      case 'connection/refused':
        return { ...state, refused: action.reason };
      case 'outbox/restored':
        // What an earlier page kept in IndexedDB (outbox.js), back on the server's state.
        return restore(state, action.saved, applyEvent).state;
      case 'presence/received':
        return { ...state, presence: received(state.presence, action.message, placing(state)) };
      case 'lost/dismissed':
        return { ...state, lost: state.lost.filter((lost) => lost.noteId !== action.noteId) };
      case 'rejection/dismissed':
        return { ...state, rejections: state.rejections.filter((r) => r.id !== action.id) };
      case 'delete/asked':
        return { ...state, confirmingDelete: action.noteId };
      case 'delete/cancelled':
        return { ...state, confirmingDelete: null };
      default:
        return (
          draftActions(state, action, rebased) ||
          searchActions(state, action) ||
          timeMachineActions(state, action, stateAfter)
        );
    }
  };

  /** A confirmed event from the stream, in seq order: the confirmed state, the
   * sessions of its note, the carets on it, the events panel, then the rebase.
   * `typingIn`: the note the person is typing in (focused, typed lately), whose
   * deletion keeps their text even when all of it was saved. */
  function serverEvent(state, event, typingIn) {
    if (typeof event.seq !== 'number' || event.seq <= state.seq) return state;
    let confirmed = state.confirmed;
    try {
      confirmed = applyEvent(state.confirmed, event);
    } catch (error) {
      // The server applied it, so this only happens if our copy diverged.
      console.error('A confirmed event did not apply locally; reload to resync.', event, error);
    }
    const noteId = event.payload && typeof event.payload.id === 'string' ? event.payload.id : '';
    const gone = Boolean(row_of(state.confirmed, 'notes', noteId)) && !row_of(confirmed, 'notes', noteId);
    let pending = without(state.pending, event.id);
    let lost = state.lost;
    if (gone) {
      // Deleted under someone's typing: keep their text and offer to restore or keep it.
      const shown = row_of(state.shown, 'notes', noteId);
      if (shown && (workOn(state.coedit, noteId).length > 0 || typingIn === noteId)) {
        lost = [
          ...lost.filter((l) => l.noteId !== noteId),
          {
            noteId,
            title: shown.title,
            text: shown.text,
            private: Boolean(shown.private),
            author: shown.author || '',
            deletedBy: (event.meta && event.meta.user) || 'someone',
            at: event.timestamp || '',
          },
        ];
      }
      // Our splices still queued for it cannot apply any more (the server refuses them too).
      pending = pending.filter((e) => !(e.event.type === 'noteSpliced' && e.event.payload.id === noteId));
    }
    const coedit = afterEvent(state.coedit, event, state.confirmed, confirmed);
    const row = row_of(confirmed, 'notes', noteId);
    const previous = row_of(state.confirmed, 'notes', noteId);
    const recent = addLine(state.recent, describeEvent(event, state.confirmed, confirmed), RECENT_LIMIT);
    const mine = Boolean(find(state.pending, event.id));
    const authors = row && (!previous || row.version !== previous.version)
      ? withAuthor(state.authors, noteId, row.version, mine ? SELF : (event.meta && event.meta.user) || '')
      : state.authors;
    const next = rebased({
      ...state,
      seq: event.seq,
      confirmed,
      recent,
      pending,
      coedit,
      authors,
      lost,
      timeMachine: withStreamedEvent(state.timeMachine, event),
    });
    const placed = settled(next.presence, noteId, placing(next));
    return placed === next.presence ? next : { ...next, presence: placed };
  }
}

/** What presence needs to place a caret on the shown text (collections in either form). */
const placing = (state) => ({
  confirmed: state.confirmed.notes,
  shown: state.shown.notes,
  coedit: state.coedit,
  authors: state.authors,
});

function addRejection(state, event, reason) {
  const rejection = {
    id: event.id,
    noteId: event.payload && typeof event.payload.id === 'string' ? event.payload.id : '',
    what: describeChange(event, state.shown),
    reason: reason || 'The server refused the change.',
  };
  return { ...state, rejections: [...state.rejections, rejection] };
}

/**
 * The state as Redux DevTools should show it: the notes as plain `{id: row}` objects
 * (the live state and the time machine's past are in memory.py's shared form, a trie
 * of leaves that says little to a person).  Only what DevTools show; the store keeps
 * the shared form.
 * @param {AppState} state
 */
export function readableState(state) {
  const tm = state.timeMachine;
  return {
    ...state,
    confirmed: plain_state(state.confirmed),
    shown: plain_state(state.shown),
    timeMachine: tm && tm.past ? { ...tm, past: plain_state(tm.past) } : tm,
  };
}

/** A Redux store; `enhancer` is Redux DevTools' when the extension is there. */
export function createAppStore(initial, applyEvent, enhancer) {
  // The page's reducer is the transpiled one: the past is folded in memory.py's shared form.
  // The live state is in that form too, converted once here (and on "notes/loaded").
  return createStore(
    createAppReducer(applyEvent, { sharedPast: true, shared: true }),
    initialAppState(initial, { shared: true }),
    enhancer,
  );
}
