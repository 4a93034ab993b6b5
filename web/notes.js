/**
 * What the page's modules know about notes, in one place: their order, the
 * conflict-copy convention and what the policy allows.  The rules come from
 * the shared reducers (transpiled from shared_reducers/conflicts.py and
 * policy.py), the same code the server runs, so the page never offers what
 * the server would refuse.
 */

import {
  MAX_TITLE,
  changed_ids,
  conflict_copy_id,
  is_conflict_copy,
  may,
  row_count,
  row_of,
  rows_of,
} from './build/shared_reducers.js';

/** The most characters a title may have (shared_reducers/limits.py, as the server checks). */
export { MAX_TITLE };

/** Display order: newest first, then by id (code points; ISO timestamps and ids sort so). */
function newestFirst(a, b) {
  const at = a.createdAt || '';
  const bt = b.createdAt || '';
  if (at !== bt) return at < bt ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The notes of a state (`state.notes` in either form of memory.py), newest first. */
export function sortedNotes(state) {
  return rows_of(state, 'notes').sort(newestFirst);
}

/**
 * `order(state) -> ids` of `state.notes` (either form of memory.py) newest first,
 * remembered between calls: an edit changes no note's place (createdAt is fixed when a
 * note is added), so while the same ids are there the last order is given again without
 * sorting; only an add, a delete or a restore sorts (10,000 notes: a few ms, once).
 * Whether the ids are the same is told by `changed_ids` against the state last ordered,
 * which on the shared form looks only where the two differ (O(changed rows)).
 */
export function createNoteOrder() {
  let last = null;
  let ids = [];
  return function order(state) {
    if (last !== null && state.notes === last.notes) return ids;
    const same = last !== null && row_count(state, 'notes') === ids.length &&
      changed_ids(last, state, 'notes').every((id) => row_of(last, 'notes', id) !== null &&
        row_of(state, 'notes', id) !== null);
    if (!same) ids = rows_of(state, 'notes').sort(newestFirst).map((note) => note.id);
    last = state;
    return ids;
  };
}

/** True for a conflict copy's id. */
export const isConflictCopy = (noteId) => is_conflict_copy(noteId);

/** The id of the conflict copy that event `eventId` made of note `noteId`. */
export const conflictCopyId = (noteId, eventId) => conflict_copy_id(noteId, eventId);

/** May `user` ({name, role}) change anything at all? (Viewers may not.) */
export const mayWrite = (user) => Boolean(user) && may(user, 'noteAdded', null);

/** May `user` delete `note`? */
export const mayRemove = (user, note) => Boolean(user) && may(user, 'noteRemoved', note);

/** May `user` restore `note` (as it was when it was deleted)? */
export const mayRestore = (user, note) => Boolean(user) && may(user, 'noteRestored', note);
