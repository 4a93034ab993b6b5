// A tiny stand-in for the transpiled notes reducer, with the same rules that
// matter to the rebase: versions, stale edits become conflict copies, a
// missing note is an error.
export function applyEvent(state, event) {
  const notes = { ...state.notes };
  const p = event.payload;
  const fail = (reason) => {
    const error = new Error(reason);
    error.reason = reason;
    throw error;
  };
  if (event.type === 'noteAdded') {
    if (notes[p.id]) fail('Note ' + p.id + ' already exists.');
    notes[p.id] = { id: p.id, title: p.title, text: p.text, version: 1, createdAt: event.timestamp };
  } else if (event.type === 'noteTitleEdited' || event.type === 'noteContentEdited') {
    const field = event.type === 'noteTitleEdited' ? 'title' : 'text';
    const note = notes[p.id] || fail('Note ' + p.id + ' does not exist or was deleted.');
    if (p.baseVersion < note.version) {
      const copy = { ...note, id: p.id + '~' + event.id, version: 1 };
      copy[field] = p[field];
      notes[copy.id] = copy;
    } else {
      notes[p.id] = { ...note, [field]: p[field], version: note.version + 1 };
    }
  } else if (event.type === 'noteRemoved') {
    if (!notes[p.id]) fail('Note ' + p.id + ' does not exist or was deleted.');
    delete notes[p.id];
  }
  return { ...state, notes };
}

let counter = 0;
export function ev(type, payload, extra = {}) {
  counter += 1;
  return { type, payload, id: 'e' + counter, timestamp: '2026-01-01T00:00:00.000Z', meta: { user: 'ada' }, ...extra };
}
