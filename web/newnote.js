/**
 * A new note is a draft of this page until its first keystroke: "New note"
 * shows it at once, with its fields ready, but nothing is dispatched, so a
 * note that was never typed in leaves nothing behind for the others (no
 * empty "Untitled" note, no event in the log).  The first keystroke
 * dispatches its `noteAdded` (optimistic, queued, sent like every edit) and
 * that keystroke, in one store action (store.js `local/edited` with `typed`);
 * leaving the draft untouched drops it.  Its "Private" toggle only
 * changes the draft.
 *
 * The draft is the `noteAdded` event it would be: `state.draft`, laid over the
 * shown state after the pending events (`withDraft`).
 */

/** The shown notes with the draft laid over them. */
export function withDraft(shown, draft, applyEvent) {
  if (!draft) return shown;
  try {
    return applyEvent(shown, draft);
  } catch {
    return shown; // its id is taken meanwhile (cannot happen with uuids): no draft
  }
}

/** Is `event` (a local edit) the dispatch of the draft's note? */
export const commitsDraft = (state, event) =>
  Boolean(state.draft) && event.type === 'noteAdded' && event.payload.id === state.draft.payload.id;

/** The id of the draft's note, or null. */
export const draftId = (state) => (state.draft ? state.draft.payload.id : null);

/**
 * The draft's actions: `draft/opened` {event} (a noteAdded not dispatched),
 * `draft/changed` {private}, `draft/dropped`.  `rebased(state)` recomputes the
 * shown state (store.js).
 */
export function draftActions(state, action, rebased) {
  switch (action.type) {
    case 'draft/opened':
      return rebased({ ...state, draft: action.event });
    case 'draft/changed': {
      if (!state.draft) return state;
      const payload = { ...state.draft.payload, private: Boolean(action.private) };
      return rebased({ ...state, draft: { ...state.draft, payload } });
    }
    case 'draft/dropped':
      return state.draft ? rebased({ ...state, draft: null }) : state;
    default:
      return null;
  }
}
