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

/** Notes of a state (an object by id), newest first: stable while someone types. */
export function sortedNotes(notes) {
  return Object.values(notes).sort(
    (a, b) => (b.createdAt || '').localeCompare(a.createdAt || '') || a.id.localeCompare(b.id),
  );
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
