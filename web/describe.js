/**
 * Sentences about events, for the "Recent events" panel and for rejections.
 * Pure: reads the state the event applied to, returns plain data.
 */

import { row_of } from './build/shared_reducers.js';
import { conflictCopyId } from './notes.js';

/** The note `id` of a state (either form of memory.py), or null. */
const noteIn = (state, id) => (state ? row_of(state, 'notes', id) : null);

const VERBS = {
  noteAdded: 'added',
  noteTitleEdited: 'renamed',
  noteContentEdited: 'edited the text of',
  noteRemoved: 'deleted',
  noteRestored: 'restored',
  noteSpliced: 'typed in',
};

const CHANGES = {
  noteAdded: 'new note',
  noteTitleEdited: 'title change',
  noteContentEdited: 'text change',
  noteRemoved: 'deletion',
  noteRestored: 'restore',
  noteSpliced: 'typing',
};

/** Typing by one person in one note within this long is one line of the panel. */
export const BURST_MS = 60_000;

function noteIdOf(event) {
  const payload = event.payload;
  return payload && typeof payload.id === 'string' ? payload.id : '';
}

/** The title a person knows the note by: the one before the event, else the payload's ('' if none). */
function titleOf(event, before) {
  const id = noteIdOf(event);
  const note = noteIn(before, id);
  if (note && note.title) return note.title;
  if (event.payload && typeof event.payload.title === 'string') return event.payload.title;
  return '';
}

/**
 * One line of the events panel: "<user> <verb> <title> <detail>"; an empty
 * title means an untitled note.
 * @returns {{seq: number, id: string, user: string, verb: string, title: string, detail: string, timestamp: string, noteId: string}}
 */
export function describeEvent(event, before, after) {
  const noteId = noteIdOf(event);
  let verb = VERBS[event.type] || event.type;
  let title = titleOf(event, before);
  let detail = '';
  if (event.type === 'noteSpliced' && noteIn(after, noteId)) {
    title = noteIn(after, noteId).title; // typing in the title: the title it made
  }
  if (event.type === 'noteTitleEdited' && event.payload && typeof event.payload.title === 'string') {
    const old = noteIn(before, noteId) ? noteIn(before, noteId).title : '';
    if (old) {
      detail = 'to “' + event.payload.title + '”';
    } else {
      verb = 'titled';
      title = event.payload.title;
    }
  }
  if (noteIn(after, conflictCopyId(noteId, event.id))) {
    detail = 'at the same time as someone else; kept as a conflict copy';
  }
  return {
    seq: event.seq || 0,
    id: event.id,
    user: (event.meta && event.meta.user) || 'someone',
    verb,
    title,
    detail,
    timestamp: event.timestamp || '',
    noteId,
  };
}

/**
 * `lines` (newest first) with `line` on top, at most `limit` of them.  Typing
 * (noteSpliced, saved every ~200 ms) is one line per burst per person and
 * note: the line of their last burst moves up and takes the new time, unless
 * something else happened to the note since or it is older than BURST_MS.
 */
export function addLine(lines, line, limit) {
  if (line.verb === VERBS.noteSpliced) {
    const at = Date.parse(line.timestamp);
    for (let i = 0; i < lines.length; i++) {
      const other = lines[i];
      if (other.noteId !== line.noteId) continue;
      if (other.verb !== VERBS.noteSpliced) break;
      if (other.user !== line.user) continue;
      if (!(at - Date.parse(other.timestamp) <= BURST_MS)) break;
      const merged = { ...other, seq: line.seq, title: line.title, timestamp: line.timestamp };
      return [merged, ...lines.slice(0, i), ...lines.slice(i + 1)].slice(0, limit);
    }
  }
  return [line, ...lines].slice(0, limit);
}

/** "Your title change “Foo”" — what a rejection undid. */
export function describeChange(event, shown) {
  const change = CHANGES[event.type] || event.type;
  const typedText = event.type === 'noteSpliced' && event.payload && Array.isArray(event.payload.splices)
    ? event.payload.splices.map((splice) => (Array.isArray(splice) ? String(splice[2]) : '')).join('')
    : null;
  const value =
    typedText !== null
      ? typedText
      : event.payload && typeof event.payload.title === 'string'
        ? event.payload.title
        : event.payload && typeof event.payload.text === 'string'
          ? event.payload.text
          : titleOf(event, shown);
  const short = value.length > 200 ? value.slice(0, 197) + '…' : value;
  return 'Your ' + change + (short ? ' “' + short + '”' : '');
}
