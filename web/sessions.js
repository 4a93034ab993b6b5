/**
 * Live co-editing in the Redux state: one session of shared_reducers/coedit.py
 * per note field this page typed in or focused.  Pure functions over plain
 * data (the sessions are plain objects, so Redux DevTools shows them).
 *
 *   state.coedit = {[keyOf(noteId, field)]: {session, rev, shown}}
 *
 * `rev` counts the changes of the shown text that did not come from this
 * page's typing (someone else's splices, a rejection); `shown` holds the
 * splices of the last one, made on the shown text before it, for the view to
 * move the caret and the selection (carets.js).
 *
 * The session's event in flight is also an entry of the pending queue (so it
 * is counted, shown as unsynced and re-sent after a reconnect with its id);
 * what was typed since (the buffer) is only in the session, and the shown
 * state shows it (`withSessions`).
 *
 * @typedef {{note: string, field: 'title' | 'text', version: number, text: string,
 *   inflight: any[] | null, inflight_id: string | null, buffer: any[]}} Session
 * @typedef {{session: Session, rev: number, shown: any[]}} CoeditEntry
 */

import {
  diff_splices,
  local_edit,
  new_session,
  on_confirmed,
  on_rejected,
  on_remote,
  row_of,
  shown_text,
  take_outgoing,
  with_row,
} from './build/shared_reducers.js';
import { conflictCopyId } from './notes.js';

export const FIELDS = ['title', 'text'];

export const keyOf = (noteId, field) => field + ':' + noteId;

/** Typed and not yet confirmed (in flight or not yet sent)? */
export const hasWork = (session) => session.inflight !== null || session.buffer.length > 0;

/** Sessions whose typing is not sent yet (the pending queue counts the rest). */
export const unsentCount = (coedit) =>
  Object.values(coedit).filter((entry) => entry.session.buffer.length > 0).length;

/** Note ids with typing not sent yet. */
export const unsentNotes = (coedit) =>
  Object.values(coedit)
    .filter((entry) => entry.session.buffer.length > 0)
    .map((entry) => entry.session.note);

/** A new session on the field as the server has it (or, for a note this page added and
 * the server has not confirmed yet, as the add makes it: version 1). */
function fresh(state, noteId, field) {
  const confirmed = row_of(state.confirmed, 'notes', noteId);
  if (confirmed) return new_session(noteId, field, confirmed[field], confirmed.version);
  const shown = row_of(state.shown, 'notes', noteId);
  if (!shown) return null;
  return new_session(noteId, field, shown[field], 1);
}

/** The coedit slice with a session on this field (a new one if there was none). */
export function opened(state, noteId, field) {
  const key = keyOf(noteId, field);
  if (state.coedit[key]) return state.coedit;
  const session = fresh(state, noteId, field);
  if (!session) return state.coedit;
  return { ...state.coedit, [key]: { session, rev: 0, shown: [] } };
}

/** The person changed the shown field by `splices`; null when the note is not shown. */
export function typed(state, noteId, field, splices) {
  const coedit = opened(state, noteId, field);
  const entry = coedit[keyOf(noteId, field)];
  if (!entry) return null;
  return { ...coedit, [keyOf(noteId, field)]: { ...entry, session: local_edit(entry.session, splices) } };
}

/**
 * Take the buffer of the field's session as a noteSpliced event `event`
 * (its id, meta and timestamp), if nothing is in flight.
 * @returns {{coedit: object, event: object | null}}
 */
export function outgoing(coedit, key, event) {
  const entry = coedit[key];
  if (!entry) return { coedit, event: null };
  const [session, payload] = take_outgoing(entry.session, event.id);
  if (!payload) return { coedit, event: null };
  return { coedit: { ...coedit, [key]: { ...entry, session } }, event: { ...event, type: 'noteSpliced', payload } };
}

/** The shown state with each session's shown text (the buffer is not in the pending queue). */
export function withSessions(shown, coedit) {
  let out = shown;
  for (const entry of Object.values(coedit)) {
    const { note: noteId, field } = entry.session;
    const note = row_of(out, 'notes', noteId);
    if (!note) continue;
    const text = shown_text(entry.session);
    if (note[field] === text) continue;
    out = with_row(out, 'notes', { ...note, [field]: text }); // O(1) on the shared form
  }
  return out;
}

function changedShown(entry, session) {
  const before = shown_text(entry.session);
  const after = shown_text(session);
  const splices = diff_splices(before, after);
  return { session, rev: splices.length ? entry.rev + 1 : entry.rev, shown: splices };
}

/**
 * The sessions after a confirmed event (in seq order) turned `before` into
 * `after` (confirmed states).  Sessions of a note that is gone are dropped;
 * the caller keeps their typing (see store.js, "lost").
 */
export function afterEvent(coedit, event, before, after) {
  const noteId = event.payload && typeof event.payload.id === 'string' ? event.payload.id : '';
  let out = coedit;
  for (const field of FIELDS) {
    const key = keyOf(noteId, field);
    const entry = coedit[key];
    if (!entry) continue;
    const session = entry.session;
    const row = row_of(after, 'notes', noteId);
    if (!row) {
      out = withoutKey(out, key);
      continue;
    }
    let next = entry;
    if (session.inflight_id === event.id) {
      const applied = event.type === 'noteSpliced' && row.version === session.version + 1 &&
        !row_of(after, 'notes', conflictCopyId(noteId, event.id));
      next = applied
        ? { ...entry, session: on_confirmed(session, event.id, row.version) }
        : changedShown(entry, on_rejected(session));
    } else if (row.version === session.version + 1) {
      const [moved, shown] = on_remote(session, remoteSplices(row, field), row.version);
      next = { session: moved, rev: shown.length ? entry.rev + 1 : entry.rev, shown };
    } else if (row.version > session.version + 1) {
      // A version was missed (cannot happen with a gap-free stream): start over on the
      // server's text and keep what is shown as typing to send.
      console.warn('A note skipped versions; its session starts over.', session, row.version);
      const restart = new_session(noteId, field, row[field], row.version);
      const buffer = diff_splices(row[field], shown_text(session));
      next = changedShown(entry, buffer.length ? local_edit(restart, buffer) : restart);
    }
    // else: the session began on a version this event only now confirms (our own add).
    if (next !== entry) out = { ...out, [key]: next };
  }
  return out;
}

/** Our event `eventId` was refused: the session that had it in flight goes back. */
export function afterRejection(coedit, eventId) {
  for (const [key, entry] of Object.entries(coedit)) {
    if (entry.session.inflight_id === eventId) {
      return { ...coedit, [key]: changedShown(entry, on_rejected(entry.session)) };
    }
  }
  return coedit;
}

/** The sessions of one note with typing not yet confirmed (the note was deleted under it). */
export function workOn(coedit, noteId) {
  return FIELDS.map((field) => coedit[keyOf(noteId, field)]).filter((e) => e && hasWork(e.session));
}

/** The coedit slice without the sessions of `noteId`. */
export function withoutNote(coedit, noteId) {
  let out = coedit;
  for (const field of FIELDS) out = withoutKey(out, keyOf(noteId, field));
  return out;
}

function withoutKey(mapping, key) {
  if (!(key in mapping)) return mapping;
  const { [key]: _gone, ...rest } = mapping;
  return rest;
}

/** The splices someone else's event made to `field` of the note, on the confirmed text. */
export function remoteSplices(row, field) {
  const recent = row && Array.isArray(row.recent) ? row.recent : [];
  const last = recent[recent.length - 1];
  return last && last[0] === row.version && last[1] === field ? last[2] : [];
}
