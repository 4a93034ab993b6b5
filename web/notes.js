/**
 * What the page's modules know about notes, in one place: their order, the
 * conflict-copy convention and what the policy allows.  The rules come from
 * the shared reducers (transpiled from shared_reducers/conflicts.py and
 * policy.py), the same code the server runs, so the page never offers what
 * the server would refuse.
 */

import { MAX_TITLE, conflict_copy_id, is_conflict_copy, may } from './build/shared_reducers.js';

/** The most characters a title may have (shared_reducers/limits.py, as the server checks). */
export { MAX_TITLE };

/** Display order: newest first, then by id (code points; ISO timestamps and ids sort so). */
function newestFirst(a, b) {
  const at = a.createdAt || '';
  const bt = b.createdAt || '';
  if (at !== bt) return at < bt ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Notes of a state (an object by id), newest first: stable while someone types. */
export function sortedNotes(notes) {
  return Object.values(notes).sort(newestFirst);
}

/**
 * `order(notes) -> ids` newest first, remembered between calls: an edit changes no
 * note's place (createdAt is fixed when a note is added), so while the same ids are
 * there the last order is given again without sorting; only an add, a delete or a
 * restore sorts (10,000 notes: a few ms, once).
 */
export function createNoteOrder() {
  let lastNotes = null;
  let ids = [];
  return function order(notes) {
    if (notes === lastNotes) return ids;
    const keys = Object.keys(notes);
    const same = keys.length === ids.length && ids.every((id) => id in notes);
    if (!same) ids = keys.map((id) => notes[id]).sort(newestFirst).map((note) => note.id);
    lastNotes = notes;
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
