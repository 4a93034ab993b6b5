// The notes reducer written by hand in plain JavaScript, with the same rules as
// shared_reducers/notes.py: the baseline of bench/browser_reducer.py. Immutable
// updates of {notes: {id: row}}, as a Redux reducer would do.

export class Rejected extends Error {}

const MAX_ID = 120;
const MAX_TITLE = 400;
const length = (s) => [...s].length;

function str(payload, name) {
  const value = payload[name];
  if (typeof value !== 'string') throw new Rejected(`The payload needs '${name}' as a string.`);
  return value;
}

function noteId(payload) {
  const id = str(payload, 'id');
  if (id === '' || length(id) > MAX_ID) throw new Rejected('A note id must have 1 to 120 characters.');
  return id;
}

function title(payload) {
  const t = str(payload, 'title');
  if (length(t) > MAX_TITLE) throw new Rejected('A title must have at most 400 characters.');
  return t;
}

const userOf = (event) =>
  event.meta && typeof event.meta.user === 'string' ? event.meta.user : 'anonymous';

function newNote(id, t, text, hidden, event) {
  const user = userOf(event);
  return { id, title: t, text, author: user, private: hidden, createdAt: event.timestamp,
           updatedAt: event.timestamp, updatedBy: user, version: 1 };
}

function privateFlag(payload) {
  const hidden = payload.private === undefined || payload.private === null ? false : payload.private;
  if (typeof hidden !== 'boolean') throw new Rejected("'private' must be true or false.");
  return hidden;
}

function edit(notes, payload, event, field) {
  const id = noteId(payload);
  const note = notes[id];
  if (note === undefined) throw new Rejected(`Note ${id} does not exist or was deleted.`);
  const value = field === 'title' ? title(payload) : str(payload, 'text');
  const base = payload.baseVersion ?? null;
  if (base !== null && !Number.isInteger(base)) throw new Rejected("'baseVersion' must be a whole number.");
  if (base !== null && base < note.version) {
    const copyId = `${id}~${event.id}`;
    if (notes[copyId] !== undefined) throw new Rejected(`The conflict copy ${copyId} already exists.`);
    const copy = newNote(copyId, (field === 'title' ? value : note.title) + ' (conflict)',
                         field === 'text' ? value : note.text, note.private, event);
    return { ...notes, [copyId]: copy };
  }
  return { ...notes, [id]: { ...note, [field]: value, updatedAt: event.timestamp,
                             updatedBy: userOf(event), version: note.version + 1 } };
}

export function notesReducer(state, event) {
  const notes = state.notes;
  const payload = event.payload;
  const needPayload = () => {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new Rejected(`${event.type} needs a payload object.`);
    }
  };
  const removed = state.removed_notes || {};
  switch (event.type) {
    case 'noteAdded': {
      needPayload();
      const id = noteId(payload);
      if (notes[id] !== undefined) throw new Rejected(`Note ${id} already exists.`);
      if (removed[id] !== undefined) throw new Rejected(`The note id ${id} was used before.`);
      const note = newNote(id, title(payload), str(payload, 'text'), privateFlag(payload), event);
      return { ...state, notes: { ...notes, [id]: note } };
    }
    case 'noteRestored': {
      // Only a removed note comes back, with its author, privacy and creation time.
      needPayload();
      const id = noteId(payload);
      if (notes[id] !== undefined) throw new Rejected(`Note ${id} is not deleted.`);
      const former = removed[id];
      if (former === undefined) throw new Rejected(`There is no deleted note ${id} to restore.`);
      if (privateFlag(payload) !== former.private) throw new Rejected('A restore keeps the privacy.');
      const note = { ...newNote(id, title(payload), str(payload, 'text'), former.private, event),
                     author: former.author, createdAt: former.createdAt };
      const { [id]: _back, ...still } = removed;
      return { ...state, notes: { ...notes, [id]: note }, removed_notes: still };
    }
    case 'noteTitleEdited':
      needPayload();
      return { ...state, notes: edit(notes, payload, event, 'title') };
    case 'noteContentEdited':
      needPayload();
      return { ...state, notes: edit(notes, payload, event, 'text') };
    case 'noteRemoved': {
      needPayload();
      const id = noteId(payload);
      const note = notes[id];
      if (note === undefined) throw new Rejected(`Note ${id} does not exist or was deleted.`);
      const { [id]: _gone, ...rest } = notes;
      const kept = { id, title: note.title, text: note.text, author: note.author,
                     private: note.private, createdAt: note.createdAt,
                     removedAt: event.timestamp, removedBy: userOf(event) };
      return { ...state, notes: rest, removed_notes: { ...removed, [id]: kept } };
    }
    default:
      return state;
  }
}
