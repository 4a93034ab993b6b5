/**
 * Debounced saves of the Title and Text fields.
 *
 * Typing changes a draft, not the store: one event per pause in typing (or
 * per `maxWait` of continuous typing, or on leaving the field), never one per
 * keystroke, and no keystroke is lost because the view shows the draft while
 * it exists.  A draft remembers the note's version and the field's text in
 * the shown state when it began (see `baseVersionFor`).
 *
 * @typedef {{noteId: string, field: 'title' | 'text', value: string, baseVersion: number,
 *            startValue: string, startedAt: number}} Draft
 */

/**
 * The baseVersion of a draft's save, given the note in the shown state now.
 *
 * The user's own earlier, still pending saves are part of the shown state,
 * so consecutive saves never conflict with each other.  If someone else
 * changed the same field while the user typed, the save keeps the version the
 * typing began on: the reducer then makes it a conflict copy instead of
 * silently overwriting their text.  If they changed only another field (the
 * title while the user typed the text), the field the user typed is still as
 * it was, so the save is based on the current version and both changes stay.
 */
export function baseVersionFor(draft, note) {
  if (note && note[draft.field] === draft.startValue) return note.version;
  return draft.baseVersion;
}

/**
 * @param {{save: (draft: Draft) => void, delay?: number, maxWait?: number,
 *          now?: () => number, timers?: {set: Function, clear: Function}}} options
 */
export function createDrafts({ save, delay = 400, maxWait = 2000, now = Date.now, timers }) {
  const clock = timers || { set: (fn, ms) => setTimeout(fn, ms), clear: (id) => clearTimeout(id) };
  /** @type {Map<string, Draft & {timer: any}>} */
  const drafts = new Map();
  const keyOf = (noteId, field) => noteId + '\u0000' + field;

  function flush(noteId, field) {
    const key = keyOf(noteId, field);
    const draft = drafts.get(key);
    if (!draft) return;
    clock.clear(draft.timer);
    drafts.delete(key);
    save({
      noteId: draft.noteId,
      field: draft.field,
      value: draft.value,
      baseVersion: draft.baseVersion,
      startValue: draft.startValue,
      startedAt: draft.startedAt,
    });
  }

  return {
    /**
     * The user typed: `value` is the whole field; `version` and `shownValue` are the
     * note's version and the field's text in the shown state (before this keystroke).
     */
    input(noteId, field, value, version, shownValue) {
      const key = keyOf(noteId, field);
      let draft = drafts.get(key);
      if (!draft) {
        draft = {
          noteId,
          field,
          value,
          baseVersion: version,
          startValue: shownValue,
          startedAt: now(),
          timer: null,
        };
        drafts.set(key, draft);
      }
      draft.value = value;
      clock.clear(draft.timer);
      if (now() - draft.startedAt >= maxWait) {
        flush(noteId, field);
      } else {
        draft.timer = clock.set(() => flush(noteId, field), delay);
      }
    },
    flush,
    flushAll() {
      for (const draft of [...drafts.values()]) flush(draft.noteId, draft.field);
    },
    /** The draft's text, or undefined when the field has no unsaved typing. */
    valueOf(noteId, field) {
      const draft = drafts.get(keyOf(noteId, field));
      return draft ? draft.value : undefined;
    },
    get size() {
      return drafts.size;
    },
  };
}
