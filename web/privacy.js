/**
 * The page's side of a note's privacy (`notePrivacyChanged {id, private}`):
 * the shared reducer decides what the event does to the row; this wrapper
 * decides what this person keeps of it, as the server decides what they see
 * (server/app/visibility.py).
 *
 * - Someone else's note that is (or becomes) private leaves this person's
 *   state: the page shows nothing of it, and the later events of it, which a
 *   time machine fold of a note shared again meets, are skipped.
 * - A change that makes a note shared carries the row as it was then
 *   (`meta.note`, from the server): the note arrives whole, and its later
 *   events apply to it.
 * - A privacy change of a note this page does not have changes nothing (the
 *   server sends every privacy change to everyone, so pages that show the
 *   note learn it became private).
 *
 * Reads and writes go through the shared memory module (find_row,
 * apply_changeset), so either form of a collection works.
 */

import { apply_changeset, find_row, may } from './build/shared_reducers.js';

export const PRIVACY_CHANGED = 'notePrivacyChanged';
const NOTES = 'notes';
const ADDS = new Set(['noteAdded', 'noteRestored']);

const noteIdOf = (event) =>
  event && event.payload && typeof event.payload.id === 'string' ? event.payload.id : null;

/** May `user` ({name, role}) make `note` private or shared?  (Its author only.) */
export const mayChangePrivacy = (user, note) => Boolean(user) && may(user, PRIVACY_CHANGED, note);

/**
 * `applyEvent` (the shared reducer, `(state, event) -> state`) as seen by the user
 * named `userName`.
 */
export function seenBy(userName, applyEvent) {
  const hidden = new Set(); // ids of others' notes dropped because they were private
  const hiddenFrom = (row) => Boolean(row) && row.private === true && row.author !== userName;

  function put(state, id, row) {
    const ops = [];
    if (find_row(state[NOTES], id) !== null) ops.push({ op: 'remove', collection: NOTES, id, values: null });
    if (row) ops.push({ op: 'insert', collection: NOTES, id, values: row });
    return ops.length ? apply_changeset(state, ops) : state;
  }

  return function apply(state, event) {
    const id = noteIdOf(event);
    const logged = typeof event.seq === 'number';
    if (id !== null && event.type === PRIVACY_CHANGED) {
      const row = event.meta && event.meta.note;
      if (row && typeof row === 'object' && row.id === id) {
        hidden.delete(id);
        return put(state, id, hiddenFrom(row) ? null : row);
      }
      if (find_row(state[NOTES], id) === null && (logged || hidden.has(id))) return state;
    } else if (id !== null && logged && hidden.has(id) && !ADDS.has(event.type)) {
      return state; // an event of a note this person may not see (it was private then)
    }
    const next = applyEvent(state, event);
    if (id === null) return next;
    const row = find_row(next[NOTES], id);
    if (!hiddenFrom(row)) return next;
    hidden.add(id);
    return put(next, id, null);
  };
}
