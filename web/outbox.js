/**
 * The outbox: the pending queue kept in IndexedDB, so a reload, a closed tab
 * or a crashed browser loses no change.
 *
 * What is kept, per user and per server (the scope: the page's origin and the
 * user name), one record per tab (see openOutbox):
 *
 *   {key, scope, tab, at, events: [the pending events the server has not confirmed, in order],
 *    sessions: [co-editing sessions with typing in flight or not sent yet],
 *    drafts: [typing restored onto a note that moved on meanwhile, see below]}
 *
 * The record is written after every change of these, before the change is
 * sent (app.js sends once `saved()` resolves).  A confirmed or rejected event
 * leaves the pending queue and so the next record.  When the page opens it
 * reads the record *after* the server's state (the first render) and before
 * the websocket connects: the events go back into the pending queue with
 * their ids (shown at once, re-sent after the hello; the server applies an id
 * once, and merges a late `noteSpliced` through its `baseVersion`).
 *
 * A session is restored as it was when the note is where the session left it
 * (same version and text: the usual case, nobody else touched the note).
 * Otherwise its event in flight is still re-sent (the server merges it), and
 * its unsent typing becomes a *draft*: the splices and the text they were
 * typed on; once nothing of that field is pending any more, they are moved
 * through what changed since (`transform`, as the server does) and typed
 * into the field again.
 *
 * @typedef {import('./pending.js').FluxEvent} FluxEvent
 * @typedef {import('./sessions.js').Session} Session
 * @typedef {{note: string, field: string, base: string, buffer: any[]}} Draft
 * @typedef {{events: FluxEvent[], sessions: Session[], drafts: Draft[]}} Saved
 */

import { apply_splices, diff_splices, row_of, transform } from './build/shared_reducers.js';
import { replay } from './pending.js';
import { hasWork, keyOf, withSessions } from './sessions.js';

const DATABASE = 'flux-outbox';
const STORE = 'outbox';
const VERSION = 2; // 2: one record per tab (key), found by scope
const LEASE_MS = 10_000;

/** @returns {Saved} */
export const emptySaved = () => ({ events: [], sessions: [], drafts: [] });

/** What to keep of the app state (and the drafts not yet typed in). @returns {Saved} */
export function snapshotOf(state, drafts = []) {
  return {
    events: state.pending.filter((entry) => entry.confirmedSeq === null).map((entry) => entry.event),
    sessions: Object.values(state.coedit)
      .filter((entry) => hasWork(entry.session))
      .map((entry) => entry.session),
    drafts,
  };
}

/** How many changes wait in a saved record (events, unsent typing, drafts). */
export function waiting(saved) {
  const unsent = saved.sessions.filter((session) => session.buffer.length > 0).length;
  return saved.events.length + unsent + saved.drafts.length;
}

/**
 * The app state with a saved record put back on top of the server's state:
 * its events at the end of the pending queue (minus those already there),
 * the sessions that still fit, and the drafts of those that do not.
 * @returns {{state: object, drafts: Draft[]}}
 */
export function restore(state, saved, applyEvent) {
  const known = new Set(state.pending.map((entry) => entry.event.id));
  const events = saved.events.filter((event) => event && typeof event.id === 'string' && !known.has(event.id));
  const pending = [...state.pending, ...events.map((event) => ({ event, confirmedSeq: null }))];
  const inflight = new Set(saved.sessions.map((session) => session.inflight_id).filter(Boolean));
  // The notes as the sessions' in-flight splices found them: confirmed + the other pending events.
  const under = replay(applyEvent, state.confirmed, pending.filter((entry) => !inflight.has(entry.event.id))).state;
  const pendingIds = new Set(pending.map((entry) => entry.event.id));
  let coedit = state.coedit;
  const drafts = [...saved.drafts];
  for (const session of saved.sessions) {
    const key = keyOf(session.note, session.field);
    const note = row_of(under, 'notes', session.note);
    const fits = note && note.version === session.version && note[session.field] === session.text &&
      (session.inflight_id === null || pendingIds.has(session.inflight_id)) && !coedit[key];
    if (fits) {
      coedit = { ...coedit, [key]: { session, rev: 0, shown: [] } };
    } else if (session.buffer.length > 0) {
      const base = session.inflight === null ? session.text : apply_splices(session.text, session.inflight);
      drafts.push({ note: session.note, field: session.field, base, buffer: session.buffer });
    }
  }
  const shown = withSessions(replay(applyEvent, state.confirmed, pending).state, coedit);
  return { state: { ...state, pending, coedit, shown }, drafts };
}

/** Whether a draft can be typed in now: Live, its note shown, nothing of its field pending. */
export function draftReady(state, draft) {
  if (state.connection !== 'Live' || !row_of(state.shown, 'notes', draft.note)) return false;
  const busy = state.pending.some((entry) =>
    entry.event.type === 'noteSpliced' && entry.event.payload.id === draft.note &&
    entry.event.payload.field === draft.field);
  const entry = state.coedit[keyOf(draft.note, draft.field)];
  return !busy && !(entry && entry.session.inflight !== null);
}

/** The draft's typing moved onto `text` (the field now), through what changed since its base. */
export function draftSplices(draft, text) {
  const since = diff_splices(draft.base, text);
  return since.length ? transform(draft.buffer, since, true) : draft.buffer;
}

/** A stand-in when IndexedDB is missing or refuses (private windows, tests): keeps nothing. */
function memoryOutbox(why) {
  if (why) console.warn('Unsynced changes will not survive a reload:', why);
  const last = Promise.resolve();
  return {
    persistent: false,
    load: async () => emptySaved(),
    save: () => last,
    saved: () => last,
  };
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error || new Error('The IndexedDB transaction was aborted.'));
  });
}

const asList = (value) => (Array.isArray(value) ? value : []);

/** Several records (closed tabs') as one, oldest first; an event id only once. */
export function mergeSaved(records) {
  const out = emptySaved();
  const seen = new Set();
  for (const record of [...records].sort((a, b) => (a.at || 0) - (b.at || 0))) {
    for (const event of asList(record.events)) {
      if (event && typeof event.id === 'string' && !seen.has(event.id)) {
        seen.add(event.id);
        out.events.push(event);
      }
    }
    out.sessions.push(...asList(record.sessions));
    out.drafts.push(...asList(record.drafts));
  }
  return out;
}

function newTabId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
}

/**
 * The outbox of `user` on this `origin`, for this tab.
 *
 * Each tab writes its own record (two tabs of one person are two writers), and
 * holds a Web Lock named after it while it lives.  Opening, a tab takes over the
 * records of the same user and origin whose tab is gone (its lock is free): it
 * writes them into its own record and deletes theirs in one transaction, under
 * their lock, so two tabs opening at once never both take the same changes.
 * Where Web Locks are missing (a page served over plain http from another host),
 * a live tab refreshes its record's time every LEASE_MS / 3 and a record older
 * than LEASE_MS counts as gone.
 *
 * @param {{user: string, origin: string, indexedDB?: IDBFactory, locks?: LockManager | null}} options
 * @returns {Promise<{persistent: boolean, load: () => Promise<Saved>,
 *   save: (saved: Saved) => Promise<void>, saved: () => Promise<void>}>}
 */
export async function openOutbox({
  user,
  origin,
  indexedDB = globalThis.indexedDB,
  locks = globalThis.navigator && navigator.locks ? navigator.locks : null,
}) {
  if (!indexedDB) return memoryOutbox('this browser has no IndexedDB.');
  let db;
  try {
    const opening = indexedDB.open(DATABASE, VERSION);
    opening.onupgradeneeded = () => {
      // Version 1 kept one record per user; none of it was released, so it starts over.
      if (opening.result.objectStoreNames.contains(STORE)) opening.result.deleteObjectStore(STORE);
      const store = opening.result.createObjectStore(STORE, { keyPath: 'key' });
      store.createIndex('scope', 'scope');
    };
    db = await request(opening);
  } catch (error) {
    return memoryOutbox(error && error.message ? error.message : String(error));
  }
  const scope = origin + ' ' + user;
  const tab = newTabId();
  const key = scope + ' ' + tab;
  const lockName = (recordKey) => 'flux-outbox ' + recordKey;
  let last = Promise.resolve();
  let lastText = null;
  let record = { key, scope, tab, events: [], sessions: [], drafts: [], at: Date.now() };

  if (locks) {
    // Held until the page goes away (closed, reloaded, crashed): then its record is free.
    locks.request(lockName(key), () => new Promise(() => {}));
  } else {
    setInterval(() => {
      record = { ...record, at: Date.now() };
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(record);
    }, LEASE_MS / 3);
  }

  /** Take over one record if its tab is gone: ours gets its changes, it is deleted. */
  async function adopt(other) {
    const take = async () => {
      const tx = db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      const found = await request(store.get(other.key));
      if (!found) return;
      const merged = mergeSaved([record, found]);
      record = { ...record, ...merged, at: Date.now() };
      store.put(record);
      store.delete(other.key);
      await committed(tx);
    };
    if (locks) {
      await locks.request(lockName(other.key), { ifAvailable: true }, (lock) => (lock ? take() : null));
    } else if (Date.now() - (other.at || 0) > LEASE_MS) {
      await take();
    }
  }

  return {
    persistent: true,
    /** The changes of this user's closed tabs (taken over by this one). */
    async load() {
      const tx = db.transaction(STORE, 'readonly');
      const others = await request(tx.objectStore(STORE).index('scope').getAll(scope));
      for (const other of others) {
        if (other.key !== key) await adopt(other);
      }
      const saved = { events: record.events, sessions: record.sessions, drafts: record.drafts };
      lastText = JSON.stringify([saved.events, saved.sessions, saved.drafts]);
      return saved;
    },
    /** Write this tab's record (skipped when nothing changed); resolves once it is committed. */
    save(saved) {
      const text = JSON.stringify([saved.events, saved.sessions, saved.drafts]);
      if (text === lastText) return last;
      lastText = text;
      // Plain data only (a JSON copy): what goes in is exactly what a reload reads back.
      const [events, sessions, drafts] = JSON.parse(text);
      record = { key, scope, tab, events, sessions, drafts, at: Date.now() };
      // Transactions on one store commit in the order they were made: the last save wins.
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(record);
      if (typeof tx.commit === 'function') tx.commit();
      last = committed(tx).catch((error) => {
        console.error('Could not keep the unsynced changes in IndexedDB:', error);
        lastText = null;
      });
      return last;
    },
    /** Resolves once everything saved so far is committed. */
    saved: () => last,
  };
}
