/**
 * "Search notes": the part of the Redux state it owns (`search`), its actions,
 * and the requests to the server's full-text search (GET /api/notes?q=&limit=).
 *
 * The server finds the notes (title and text, case- and accent-insensitive,
 * never others' private notes: docs/api.md); the page shows the found notes
 * from its own state, so they keep changing live while the results are shown.
 *
 * @typedef {{
 *   query: string,
 *   status: 'idle' | 'loading' | 'ready' | 'failed',
 *   ids: string[],
 *   rows: Object<string, object>,
 *   next: string | null,
 *   error: string,
 * }} Search
 */

import { row_of } from './build/shared_reducers.js';

/** Results asked for at once (the endpoint allows 1..100). */
export const SEARCH_LIMIT = 100;
/** Each keystroke asks at once (a request in flight for an older query is aborted): a
 * pause before asking would only add to what the person waits for, and people type
 * slower than the server answers. */
export const SEARCH_DEBOUNCE_MS = 0;
/** While results are shown, a change from the stream asks again after this long. */
export const REFRESH_MS = 500;

/** @returns {Search} */
export function initialSearch() {
  return { query: '', status: 'idle', ids: [], rows: {}, next: null, error: '' };
}

/** The search slice after a search action, or null for another action. */
export function searchActions(state, action) {
  const search = state.search;
  switch (action.type) {
    case 'search/typed': {
      const query = action.query;
      if (!query.trim()) return { ...state, search: initialSearch() };
      // The last results stay on screen until the new ones come.
      return { ...state, search: { ...search, query, status: 'loading', error: '' } };
    }
    case 'search/results': {
      if (action.query !== search.query) return state; // an older request's answer
      const rows = {};
      for (const row of action.notes) rows[row.id] = row;
      const ids = action.more ? [...search.ids, ...action.notes.map((r) => r.id)] : action.notes.map((r) => r.id);
      const allRows = action.more ? { ...search.rows, ...rows } : rows;
      return { ...state, search: { ...search, status: 'ready', ids, rows: allRows, next: action.next, error: '' } };
    }
    case 'search/failed':
      if (action.query !== search.query) return state;
      return { ...state, search: { ...search, status: 'failed', error: action.error } };
    case 'search/cleared':
      return search.query === '' ? state : { ...state, search: initialSearch() };
    default:
      return null;
  }
}

/** Is a search shown instead of the whole list? */
export const searching = (state) => state.search.query.trim() !== '';

/**
 * The found notes' ids still there, in the server's order, and where to read each:
 * the page's shown state (live) or, for a note it has not loaded yet, the server's row.
 */
export function foundNotes(state) {
  const search = state.search;
  const ids = [];
  const byId = {};
  for (const id of search.ids) {
    const note = row_of(state.shown, 'notes', id) || (state.loaded ? null : search.rows[id]);
    if (!note || id in byId) continue;
    ids.push(id);
    byId[id] = note;
  }
  return { ids, byId };
}

/**
 * The controller's half: `typed(query)` asks the server, the
 * newest query wins (older requests are aborted), `refresh()` asks again for
 * the current query (a change arrived), `more()` the next page.
 * @param {{getState: () => any, dispatch: (action: object) => void}} store
 */
export function createSearcher(store, fetchImpl = (...args) => fetch(...args)) {
  let timer = null;
  let refreshTimer = null;
  let inflight = null;

  async function ask(query, after) {
    if (inflight) inflight.abort();
    const controller = new AbortController();
    inflight = controller;
    let url = '/api/notes?q=' + encodeURIComponent(query) + '&limit=' + SEARCH_LIMIT;
    if (after) url += '&after=' + encodeURIComponent(after);
    try {
      const response = await fetchImpl(url, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        signal: controller.signal,
      });
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      if (!response.ok || !body || !Array.isArray(body.notes)) {
        const why = body && typeof body.error === 'string' ? body.error : 'HTTP ' + response.status;
        store.dispatch({ type: 'search/failed', query, error: 'The search failed: ' + why });
        return;
      }
      store.dispatch({ type: 'search/results', query, notes: body.notes, next: body.next || null, more: Boolean(after) });
    } catch (error) {
      if (error && error.name === 'AbortError') return;
      store.dispatch({ type: 'search/failed', query, error: 'The search failed: the server did not answer.' });
    } finally {
      if (inflight === controller) inflight = null;
    }
  }

  return {
    typed(query) {
      store.dispatch({ type: 'search/typed', query });
      clearTimeout(timer);
      clearTimeout(refreshTimer);
      if (!query.trim()) {
        if (inflight) inflight.abort();
        return;
      }
      timer = setTimeout(() => ask(query, null), SEARCH_DEBOUNCE_MS);
    },
    refresh() {
      if (!searching(store.getState()) || refreshTimer) return;
      refreshTimer = setTimeout(() => {
        refreshTimer = null;
        const { query } = store.getState().search;
        if (query.trim()) ask(query, null);
      }, REFRESH_MS);
    },
    more() {
      const { query, next } = store.getState().search;
      if (query.trim() && next) ask(query, next);
    },
  };
}
