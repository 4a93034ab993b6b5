/**
 * Debounced saves of the Title and Text fields.
 *
 * Typing changes a draft, not the store: one event per pause in typing (or
 * per `maxWait` of continuous typing, or on leaving the field), never one per
 * keystroke, and no keystroke is lost because the view shows the draft while
 * it exists.  A draft remembers the note's version in the shown state when it
 * began: that is the edit's baseVersion.  The user's own earlier, still
 * pending saves are part of the shown state, so consecutive saves never
 * conflict with each other; a change by someone else in between makes the
 * save a conflict copy instead of silently overwriting theirs.
 *
 * @typedef {{noteId: string, field: 'title' | 'text', value: string, baseVersion: number, startedAt: number}} Draft
 */

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
      startedAt: draft.startedAt,
    });
  }

  return {
    /** The user typed: `value` is the whole field, `version` the note's shown version now. */
    input(noteId, field, value, version) {
      const key = keyOf(noteId, field);
      let draft = drafts.get(key);
      if (!draft) {
        draft = { noteId, field, value, baseVersion: version, startedAt: now(), timer: null };
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
