/**
 * The composition root: wires the Redux store, the view, the drafts and the
 * websocket.  Nothing else reaches for globals.
 */

import { combine_reducers, notes_reducer, state_reducer } from './build/shared_reducers.js';
import { baseVersionFor, createDrafts } from './drafts.js';
import { toWire, unsyncedCount } from './pending.js';
import { connectSocket } from './socket.js';
import { createAppStore } from './store.js';
import { wireTimeMachine } from './timecontrol.js';
import { View } from './view.js';

const rootReducer = combine_reducers({ notes: notes_reducer });
const applyEvent = state_reducer(rootReducer);

const view = new View(document);
const devtools = window.__REDUX_DEVTOOLS_EXTENSION__ ? window.__REDUX_DEVTOOLS_EXTENSION__() : undefined;
const store = createAppStore(view.readInitialState(), applyEvent, devtools);

let socket = null;

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
function dispatchLocal(type, payload) {
  const state = store.getState();
  const event = {
    type,
    payload,
    id: newId(),
    meta: { user: state.user.name },
    timestamp: new Date().toISOString(),
  };
  store.dispatch({ type: 'local/edited', event });
  if (socket) socket.send({ type: 'dispatch', event: toWire(event) });
  return event;
}

const drafts = createDrafts({
  save(draft) {
    const note = store.getState().shown.notes[draft.noteId];
    if (note && note[draft.field] === draft.value) {
      store.dispatch({ type: 'drafts/saved' }); // nothing changed; re-render without the draft
      return;
    }
    const type = draft.field === 'title' ? 'noteTitleEdited' : 'noteContentEdited';
    const baseVersion = baseVersionFor(draft, note);
    dispatchLocal(type, { id: draft.noteId, [draft.field]: draft.value, baseVersion });
  },
});

const RETRY_UNAVAILABLE_MS = 2000;

function resend(id) {
  const entry = store.getState().pending.find((e) => e.event.id === id);
  if (entry && entry.confirmedSeq === null) socket.send({ type: 'dispatch', event: toWire(entry.event) });
}

function onMessage(message) {
  switch (message.type) {
    case 'hello':
      // (Re)connected: the server streams what we missed; re-send what it has not confirmed.
      for (const entry of store.getState().pending) {
        if (entry.confirmedSeq === null) socket.send({ type: 'dispatch', event: toWire(entry.event) });
      }
      break;
    case 'event':
      store.dispatch({ type: 'server/event', event: message.event });
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

view.bindNewNote((isPrivate) => {
  const id = newId();
  dispatchLocal('noteAdded', { id, title: '', text: '', private: isPrivate });
  view.focusField(id, 'title');
});
view.bindEdit((noteId, field, value) => {
  const note = store.getState().shown.notes[noteId];
  drafts.input(noteId, field, value, note ? note.version : 0, note ? note[field] : '');
});
view.bindLeaveField((noteId, field) => drafts.flush(noteId, field));
view.bindAskDelete((noteId) => {
  store.dispatch({ type: 'delete/asked', noteId });
  view.focusCancelDelete(noteId);
});
view.bindCancelDelete(() => store.dispatch({ type: 'delete/cancelled' }));
view.bindConfirmDelete((noteId) => {
  store.dispatch({ type: 'delete/cancelled' });
  dispatchLocal('noteRemoved', { id: noteId });
});
view.bindDismiss((id) => store.dispatch({ type: 'rejection/dismissed', id }));
view.bindLeavePage(() => drafts.size > 0 || unsyncedCount(store.getState().pending) > 0);
view.bindOnline(() => socket && socket.retryNow());
wireTimeMachine({ store, view, dispatchLocal });

const draftOf = (noteId, field) => drafts.valueOf(noteId, field);
store.subscribe(() => view.render(store.getState(), draftOf));
view.render(store.getState(), draftOf);

socket = connectSocket({
  url: () => view.socketUrl(store.getState().seq),
  onMessage,
  onStatus: (status) => store.dispatch({ type: 'connection/changed', status }),
  onRefused: (reason) => store.dispatch({ type: 'connection/refused', reason }),
});
