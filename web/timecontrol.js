/**
 * The controller of the time machine and the deleted notes: binds the view's
 * hooks to the store and to the two reads they need from the server
 * (`GET /api/events` page by page, `GET /api/notes/deleted`; docs/protocol.md).
 *
 * A restore is a `noteRestored` event dispatched like every edit
 * (`dispatchLocal`: optimistic, in the pending queue, with a client uuid), so
 * it is in the log, audited, and undone by deleting the note again.
 */

import { ids_of } from './build/shared_reducers.js';
import { loadVisibleEvents, restorePayload } from './timemachine.js';

const DELETED_REFRESH_MS = 300;

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const why = body && typeof body.error === 'string' ? body.error : 'HTTP ' + response.status;
    throw new Error('The server did not answer ' + url + ': ' + why);
  }
  return body;
}

const fetchEventsPage = (after, limit) =>
  getJson('/api/events?after=' + encodeURIComponent(after) + '&limit=' + encodeURIComponent(limit));

/**
 * @param {{store: import('redux').Store, view: import('./view.js').View,
 *   dispatchLocal: (type: string, payload: object) => object}} parts
 */
export function wireTimeMachine({ store, view, dispatchLocal }) {
  async function loadEvents() {
    try {
      const events = await loadVisibleEvents(fetchEventsPage);
      store.dispatch({ type: 'timemachine/loaded', events });
    } catch (error) {
      store.dispatch({ type: 'timemachine/failed', error: String(error.message || error) });
    }
  }

  view.bindTimeMachine((value) => {
    const tm = store.getState().timeMachine;
    if (tm.status === 'ready') {
      store.dispatch({ type: 'timemachine/moved', position: value });
      return;
    }
    // First use: the slider counts seqs until the visible events are in.
    store.dispatch({ type: 'timemachine/asked', seq: value });
    if (tm.status !== 'loading') loadEvents();
  });
  // "Back to now" (or Escape in the past view): the focus goes back to the slider that opened it.
  view.bindBackToNow(() => {
    store.dispatch({ type: 'timemachine/now' });
    view.focusTimeMachine();
  });

  view.bindRestore((note, fromPast) => {
    dispatchLocal('noteRestored', restorePayload(note));
    if (fromPast) store.dispatch({ type: 'timemachine/now' }); // show it back among the notes
  });

  let deletedRequest = 0; // only the newest answer counts (an older one may arrive last)
  async function loadDeleted() {
    const request = ++deletedRequest;
    try {
      const body = await getJson('/api/notes/deleted');
      if (request === deletedRequest) store.dispatch({ type: 'deleted/loaded', entries: body.deleted });
    } catch (error) {
      if (request === deletedRequest) {
        store.dispatch({ type: 'deleted/failed', error: String(error.message || error) });
      }
    }
  }

  const idsOf = (state) => ids_of(state.confirmed, 'notes').join('\n');
  let seenIds = '';
  view.bindToggleDeleted(() => {
    if (store.getState().deleted.open) {
      store.dispatch({ type: 'deleted/closed' });
      view.focusDeletedToggle(); // closed by Escape inside the list: back to its button
      return;
    }
    seenIds = idsOf(store.getState());
    store.dispatch({ type: 'deleted/opened' });
    loadDeleted();
  });

  // While the list is open, a committed event may delete or restore a note (the set of
  // note ids changes; edits leave it alone): read the list again.
  let seenSeq = store.getState().seq;
  let timer = null;
  store.subscribe(() => {
    const state = store.getState();
    if (state.seq === seenSeq) return;
    seenSeq = state.seq;
    if (!state.deleted.open) return;
    const ids = idsOf(state);
    const changed = ids !== seenIds;
    seenIds = ids;
    if (!changed || timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      if (store.getState().deleted.open) loadDeleted();
    }, DELETED_REFRESH_MS);
  });
}
