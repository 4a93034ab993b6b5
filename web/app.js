/**
 * The composition root: wires the Redux store, the view, the co-editing
 * sessions, presence and the websocket.  Nothing else reaches for globals.
 */

import { notes_app, row_of, state_reducer } from './build/shared_reducers.js';
import { draftReady, draftSplices, emptySaved, openOutbox, restore, snapshotOf } from './outbox.js';
import { find, toWire, unsyncedCount } from './pending.js';
import { createPresenceSender } from './presence.js';
import { createSearcher } from './search.js';
import { keyOf, unsentCount } from './sessions.js';
import { connectSocket } from './socket.js';
import { createAppStore, readableState } from './store.js';
import { createThrottle } from './throttle.js';
import { wireTimeMachine } from './timecontrol.js';
import { View } from './view.js';
import { draftId } from './newnote.js';
import { seenBy } from './privacy.js';

/** Typing goes out as noteSpliced at most this often (one event in flight per field). */
const SEND_EVERY_MS = 200;

// The notes app's root reducer, the one the server runs: notes and removed notes.
const rootReducer = notes_app;

const view = new View(document);
const initialState = view.readInitialState();
// What this person keeps of others' notes made private or shared (privacy.js).
const applyEvent = seenBy(initialState.user ? initialState.user.name : '', state_reducer(rootReducer));
// Redux DevTools, when the extension is there, with the notes shown as plain objects.
const devtools = window.__REDUX_DEVTOOLS_EXTENSION__
  ? window.__REDUX_DEVTOOLS_EXTENSION__({ name: 'Flux Notes', stateSanitizer: readableState })
  : undefined;
const store = createAppStore(initialState, applyEvent, devtools);

let socket = null;
let ownClient = null; // this connection's id, if the server names it

/** A uuid v4.  crypto.randomUUID exists only in secure contexts (https, localhost). */
function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A local edit: applied at once (optimistic), queued, and sent if we are online. */
function dispatchLocal(type, payload, typed = null) {
  const state = store.getState();
  const event = {
    type,
    payload,
    id: newId(),
    meta: { user: state.user.name },
    timestamp: new Date().toISOString(),
  };
  store.dispatch({ type: 'local/edited', event, typed }); // typed: a draft's first keystroke
  sendWhenKept(event.id);
  return event;
}

let addingDraft = false; // while a draft's noteAdded is dispatched: its typing goes out after it

/** Send what was typed in each field, where nothing of that field is in flight. */
function sendTyping() {
  if (addingDraft) return;
  const state = store.getState();
  for (const [key, entry] of Object.entries(state.coedit)) {
    const session = entry.session;
    if (session.inflight !== null || session.buffer.length === 0) continue;
    const id = newId();
    const event = { id, meta: { user: state.user.name }, timestamp: new Date().toISOString() };
    store.dispatch({ type: 'coedit/send', key, event });
    sendWhenKept(id);
  }
}
const typing = createThrottle(sendTyping, SEND_EVERY_MS);

/** Whether a field has typing to send now (nothing of it in flight). */
const hasTypingToSend = (state) =>
  Object.values(state.coedit).some((e) => e.session.inflight === null && e.session.buffer.length > 0);

const presence = createPresenceSender({ send: (message) => Boolean(socket) && socket.send(message) });

/** Where this page's caret is, for the others: nothing of a private note is ever sent. */
let caretAt = null;
let lastTyped = null;
const TYPING_LATELY_MS = 10_000;

/** The note the person is typing in: the caret is in it and they typed in it lately. */
function typingIn() {
  if (!caretAt || !lastTyped || caretAt.noteId !== lastTyped.noteId) return null;
  return Date.now() - lastTyped.at < TYPING_LATELY_MS ? caretAt.noteId : null;
}
function reportPresence() {
  const state = store.getState();
  const note = caretAt && row_of(state.shown, 'notes', caretAt.noteId);
  if (!note || note.private || state.timeMachine.past) {
    presence.update({ note: null });
    return;
  }
  const entry = state.coedit[keyOf(caretAt.noteId, caretAt.field)];
  presence.update({
    note: caretAt.noteId,
    field: caretAt.field,
    selection: [caretAt.selection.anchor, caretAt.selection.head],
    version: entry ? entry.session.version : note.version,
  });
}

const RETRY_UNAVAILABLE_MS = 2000;

function resend(id) {
  const entry = store.getState().pending.find((e) => e.event.id === id);
  if (entry && entry.confirmedSeq === null) socket.send({ type: 'dispatch', event: toWire(entry.event) });
}

function onMessage(message) {
  switch (message.type) {
    case 'hello':
      // (Re)connected: the server streams what we missed; re-send what it has not confirmed
      // (typing in flight keeps its id: the server applies an id once), then where we are.
      for (const entry of store.getState().pending) {
        if (entry.confirmedSeq === null) socket.send({ type: 'dispatch', event: toWire(entry.event) });
      }
      ownClient = typeof message.client === 'string' ? message.client : null;
      presence.resend();
      typing.poke();
      break;
    case 'presence':
      if (message.client !== ownClient) store.dispatch({ type: 'presence/received', message });
      break;
    case 'event':
      store.dispatch({ type: 'server/event', event: message.event, typingIn: typingIn() });
      searcher.refresh(); // what is found may change with it
      break;
    case 'confirmed':
      store.dispatch({
        type: 'server/confirmed',
        id: message.id,
        seq: message.event ? message.event.seq : null,
      });
      break;
    case 'rejected':
      if (message.status === 503) {
        // The database was unavailable and nothing was written: retry later, same id.
        setTimeout(() => resend(message.id), RETRY_UNAVAILABLE_MS);
      } else {
        store.dispatch({ type: 'server/rejected', id: message.id, error: message.error });
      }
      break;
    case 'error':
      console.error('The server could not read a message:', message.error);
      break;
    default:
      console.warn('Unknown message from the server:', message);
  }
}

// "Search notes": the server finds, the page shows the found notes from its state (search.js).
const searcher = createSearcher(store);
view.bindSearch((query) => searcher.typed(query));
view.bindMoreResults(() => searcher.more());

// "New note" opens a draft (newnote.js): dispatched on its first keystroke, dropped if left untouched.
view.bindNewNote((isPrivate) => {
  if (store.getState().search.query) searcher.typed(''); // the new note shows in the whole list
  const id = newId();
  const { user } = store.getState();
  const payload = { id, title: '', text: '', private: isPrivate };
  const event = { type: 'noteAdded', payload, id: newId(), meta: { user: user.name }, timestamp: new Date().toISOString() };
  store.dispatch({ type: 'draft/opened', event });
  view.focusField(id, 'title');
});
view.bindLeaveNote((noteId) => {
  if (draftId(store.getState()) === noteId) store.dispatch({ type: 'draft/dropped' });
});
view.bindPrivacy((noteId, isPrivate) => {
  if (draftId(store.getState()) === noteId) store.dispatch({ type: 'draft/changed', private: isPrivate });
  else dispatchLocal('notePrivacyChanged', { id: noteId, private: isPrivate });
});
view.bindType((noteId, field, splices) => {
  const state = store.getState();
  lastTyped = { noteId, at: Date.now() };
  if (draftId(state) === noteId) {
    // The draft's first keystroke: its noteAdded, then the keystroke, in one dispatch (one
    // render: the caret stays where the browser put it).
    addingDraft = true;
    try {
      dispatchLocal('noteAdded', state.draft.payload, { field, splices });
    } finally {
      addingDraft = false;
    }
    typing.poke();
    return;
  }
  store.dispatch({ type: 'coedit/typed', noteId, field, splices });
  typing.poke();
});
view.bindCaret((where) => {
  caretAt = where;
  if (where) store.dispatch({ type: 'coedit/opened', noteId: where.noteId, field: where.field });
  reportPresence();
});
view.bindLeaveField(() => typing.now());
view.bindKeepLost((lost, how) => {
  const payload = { title: lost.title, text: lost.text, private: lost.private };
  if (how === 'restore') dispatchLocal('noteRestored', { id: lost.noteId, ...payload });
  else {
    const id = newId();
    dispatchLocal('noteAdded', { id, ...payload });
    view.focusField(id, 'text');
  }
  store.dispatch({ type: 'lost/dismissed', noteId: lost.noteId });
  if (how === 'restore') view.focusField(lost.noteId, 'text');
});
view.bindDismissLost((noteId) => store.dispatch({ type: 'lost/dismissed', noteId }));
view.bindAskDelete((noteId) => {
  if (draftId(store.getState()) === noteId) {
    store.dispatch({ type: 'draft/dropped' }); // never sent: nothing to confirm
    return;
  }
  store.dispatch({ type: 'delete/asked', noteId });
  view.focusCancelDelete(noteId);
});
view.bindCancelDelete(() => {
  const noteId = store.getState().confirmingDelete;
  store.dispatch({ type: 'delete/cancelled' });
  if (noteId) view.focusDelete(noteId); // back to the button that asked
});
view.bindConfirmDelete((noteId) => {
  store.dispatch({ type: 'delete/cancelled' });
  dispatchLocal('noteRemoved', { id: noteId });
});
view.bindDismiss((id) => store.dispatch({ type: 'rejection/dismissed', id }));
view.bindLeavePage(() => {
  const state = store.getState();
  return unsentCount(state.coedit) > 0 || unsyncedCount(state.pending) > 0;
});
view.bindOnline(() => socket && socket.retryNow());
wireTimeMachine({ store, view, dispatchLocal });

// The outbox (outbox.js): the pending queue and unsent typing kept in IndexedDB for this
// user and origin, written before an event is sent, read back when the page opens.
let outbox = null; // set once an earlier page's record is back in the queue
let drafts = []; // typing kept for a note that moved on, typed in again once its field is free
let kept = { pending: null, coedit: null, drafts: null };

// A keystroke's record is written once the frame showing it is painted (an idle moment, at
// most KEEP_WITHIN_MS later), not in the keystroke's own task; an event to send, leaving
// or hiding the page writes it at once.
const KEEP_WITHIN_MS = 50;
let keepSoonHandle = null;
function keepSoon() {
  if (keepSoonHandle !== null) return;
  keepSoonHandle = window.requestIdleCallback
    ? { idle: window.requestIdleCallback(keep, { timeout: KEEP_WITHIN_MS }) }
    : { timer: setTimeout(keep, 0) };
}
function cancelKeepSoon() {
  if (keepSoonHandle === null) return;
  if (keepSoonHandle.idle !== undefined) window.cancelIdleCallback(keepSoonHandle.idle);
  else clearTimeout(keepSoonHandle.timer);
  keepSoonHandle = null;
}
const outboxOpening = openOutbox({ user: store.getState().user.name, origin: window.location.origin });
const OUTBOX_WAIT_MS = 3000;

/** Send a pending event once the outbox holds it (a reload then re-sends it, same id).
 * Before the socket's hello, the hello re-sends the whole queue.  Without an outbox
 * (IndexedDB missing or silent) it is sent at once. */
function sendWhenKept(id) {
  if (!socket) return;
  keep();
  (outbox ? outbox.saved() : Promise.resolve()).then(() => {
    const entry = find(store.getState().pending, id);
    if (entry && entry.confirmedSeq === null && socket) socket.send({ type: 'dispatch', event: toWire(entry.event) });
  });
}

/** Write the outbox record when the queue, the sessions or the drafts changed. */
function keep() {
  cancelKeepSoon();
  if (!outbox) return;
  const state = store.getState();
  if (state.pending === kept.pending && state.coedit === kept.coedit && drafts === kept.drafts) return;
  kept = { pending: state.pending, coedit: state.coedit, drafts };
  outbox.save(snapshotOf(state, drafts));
}

/** Type the drafts whose field is free again (Live, nothing of it pending). */
function typeDrafts() {
  const state = store.getState();
  if (drafts.length === 0 || state.connection !== 'Live') return;
  const removed = (d) => Boolean(row_of(state.confirmed, 'removed_notes', d.note));
  const ready = drafts.filter((d) => draftReady(state, d));
  const gone = drafts.filter((d) => !row_of(state.shown, 'notes', d.note) && removed(d));
  if (ready.length === 0 && gone.length === 0) return;
  for (const d of gone) console.warn('Typing kept from an earlier page is for a deleted note:', d);
  drafts = drafts.filter((d) => !ready.includes(d) && !gone.includes(d));
  for (const d of ready) {
    const text = row_of(store.getState().shown, 'notes', d.note)[d.field];
    store.dispatch({ type: 'coedit/typed', noteId: d.note, field: d.field, splices: draftSplices(d, text) });
  }
  typing.poke();
  keep();
}

/** After the server's state and before the socket: put back what an earlier page kept. */
async function restoreThenConnect() {
  let timer = null;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), OUTBOX_WAIT_MS);
  });
  try {
    const opened = await Promise.race([outboxOpening, late]);
    const saved = opened ? await Promise.race([opened.load(), late]) : null;
    if (saved === null) console.warn('IndexedDB did not answer: unsynced changes are not kept.');
    else {
      const found = saved || emptySaved();
      drafts = restore(store.getState(), found, applyEvent).drafts;
      if (found.events.length || found.sessions.length) store.dispatch({ type: 'outbox/restored', saved: found });
      outbox = opened;
      keep();
    }
  } catch (error) {
    console.error('Could not read the unsynced changes kept by an earlier page:', error);
  }
  clearTimeout(timer);
  connect();
}
store.subscribe(() => {
  keepSoon();
  typeDrafts();
});
// Closing or hiding the page: what was typed becomes events now (kept, and sent if we can).
window.addEventListener('pagehide', () => {
  typing.now();
  keep();
});
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') {
    typing.now();
    keep();
  }
});

// Rendered once per new state: an action that changes nothing (the caret moving in a field
// already open) costs no render.
let rendered = store.getState();
store.subscribe(() => {
  const state = store.getState();
  if (state !== rendered) {
    rendered = state;
    view.render(state);
  }
  // A confirmation frees a field whose typing waited for it.
  if (hasTypingToSend(state)) typing.poke();
});
view.render(rendered);

function connect() {
  socket = connectSocket({
    url: () => view.socketUrl(store.getState().seq),
    onMessage,
    onStatus: (status) => store.dispatch({ type: 'connection/changed', status }),
    onRefused: (reason) => store.dispatch({ type: 'connection/refused', reason }),
  });
}

const LOAD_RETRY_MS = [500, 1000, 2000, 5000];

/** The first page carried only the first screen of notes: fetch them all (one read, one
 * seq: GET /page-state), then connect from that seq.  Until then the page is read-only. */
async function loadAllNotes() {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch('/page-state', { headers: { Accept: 'application/json' } });
      if (response.status === 401) {
        store.dispatch({ type: 'connection/refused', reason: 'You are signed out.' });
        return;
      }
      if (!response.ok) throw new Error('GET /page-state answered ' + response.status);
      store.dispatch({ type: 'notes/loaded', state: await response.json() });
      restoreThenConnect();
      return;
    } catch (error) {
      console.warn('Loading the notes failed; trying again.', error);
      await new Promise((r) => setTimeout(r, LOAD_RETRY_MS[Math.min(attempt, LOAD_RETRY_MS.length - 1)]));
    }
  }
}

if (store.getState().loaded) restoreThenConnect();
else loadAllNotes();
