/**
 * Presence: who else is looking at which note, and where their carets are
 * (docs/protocol.md, "Presence").  The Redux slice (pure functions) and the
 * sender (throttled, with a heartbeat).
 *
 *   state.presence = {[client id]: {client, user, note, field, selection, raw, version, waiting}}
 *
 * A message's `selection` is in code points of the field as its sender shows
 * it, at the note's `version` (the sender's confirmed version).  Here it is
 * placed on the text this page shows: moved through the splices committed
 * since that version (the row's `recent`), then through this page's own
 * pending typing; when this page has not applied that version yet, the
 * previous caret stays (`waiting`) until it has.  It is placed again from
 * the message at every change of the shown text (ours and others') until the
 * next message replaces it: the sender's own typing that arrives later is in
 * its positions already, so that typing is skipped (`authors`; this page's own
 * events are SELF).  The server expires a silent sender (note: null); a deleted
 * note drops its entries here.
 */

import { find_row, transform_position } from './build/shared_reducers.js';
import { pointLength } from './carets.js';
import { keyOf } from './sessions.js';
import { createThrottle } from './throttle.js';

export const PRESENCE_INTERVAL_MS = 100;
export const HEARTBEAT_MS = 3000;

const isField = (field) => field === 'title' || field === 'text';

function withoutKey(mapping, key) {
  if (!(key in mapping)) return mapping;
  const { [key]: _gone, ...rest } = mapping;
  return rest;
}

/**
 * Where `raw` ([anchor, head] at `version` of the note, as its sender shows it)
 * is on the text this page shows; null while this page is behind `version`.
 * `ctx`: {confirmed, shown, coedit, authors} of the state (the notes collections in either
 * form of memory.py, read with find_row); `user` sent it.
 */
export function place(raw, version, noteId, field, ctx, user) {
  const shown = find_row(ctx.shown, noteId);
  const row = find_row(ctx.confirmed, noteId);
  let [anchor, head] = raw;
  if (row) {
    if (version > row.version) return null;
    const authors = (ctx.authors && ctx.authors[noteId]) || {};
    for (const entry of Array.isArray(row.recent) ? row.recent : []) {
      // The sender's own typing since `version` is in its positions already.
      if (entry[0] <= version || entry[1] !== field || (user && authors[entry[0]] === user)) continue;
      anchor = transform_position(anchor, entry[2], false);
      head = transform_position(head, entry[2], false);
    }
    const coedit = ctx.coedit[keyOf(noteId, field)];
    const session = coedit && coedit.session;
    if (session && session.version === row.version) {
      for (const splices of [session.inflight, session.buffer]) {
        if (!splices || splices.length === 0) continue;
        anchor = transform_position(anchor, splices, false);
        head = transform_position(head, splices, false);
      }
    }
  }
  const length = pointLength((shown && shown[field]) || '');
  return { anchor: Math.min(anchor, length), head: Math.min(head, length) };
}

/** The slice after a presence message from the server. */
export function received(presence, message, ctx) {
  const client = message.client;
  if (typeof client !== 'string') return presence;
  if (typeof message.note !== 'string' || !find_row(ctx.shown, message.note)) return withoutKey(presence, client);
  const field = isField(message.field) ? message.field : null;
  const raw = message.selection;
  const valid = field && Array.isArray(raw) && raw.length === 2 && raw.every((n) => Number.isInteger(n) && n >= 0);
  const version = Number.isInteger(message.version) ? message.version : 0;
  const previous = presence[client];
  const user = typeof message.user === 'string' && message.user ? message.user : 'someone';
  let selection = valid ? place(raw, version, message.note, field, ctx, user) : null;
  const waiting = Boolean(valid && selection === null);
  if (waiting && previous && previous.note === message.note && previous.field === field) {
    selection = previous.selection;
  }
  const entry = {
    client,
    user,
    note: message.note,
    field,
    selection,
    raw: valid ? [raw[0], raw[1]] : null,
    version,
    waiting,
  };
  return { ...presence, [client]: entry };
}

/** Who made the recent versions of each note (for `place`): `authors` after `event`
 * made `version` of its note; the last AUTHORS_KEPT versions per note. */
export function withAuthor(authors, noteId, version, user) {
  const known = authors[noteId] || {};
  const next = { ...known, [version]: user };
  delete next[version - AUTHORS_KEPT];
  return { ...authors, [noteId]: next };
}

const AUTHORS_KEPT = 200;

/** The author of this page's own events in `authors` (never a user name: it has U+0000). */
export const SELF = '\u0000self';

/**
 * The carets on `noteId` placed again on the text this page shows now, from
 * what their senders sent (after a confirmed event or local typing), waiting
 * ones too once this page has their version; entries of a deleted note dropped.
 */
export function settled(presence, noteId, ctx) {
  let out = presence;
  for (const [client, entry] of Object.entries(presence)) {
    if (entry.note !== noteId) continue;
    if (!find_row(ctx.shown, noteId)) {
      out = withoutKey(out, client);
      continue;
    }
    if (!entry.raw) continue;
    const selection = place(entry.raw, entry.version, noteId, entry.field, ctx, entry.user);
    if (!selection) continue;
    const same = entry.selection && !entry.waiting &&
      entry.selection.anchor === selection.anchor && entry.selection.head === selection.head;
    if (!same) out = { ...out, [client]: { ...entry, selection, waiting: false } };
  }
  return out;
}

/** The names of the others on a note (each once, sorted). */
export function othersOn(presence, noteId) {
  const names = new Set();
  for (const entry of Object.values(presence)) if (entry.note === noteId) names.add(entry.user);
  return [...names].sort();
}

/** The others' carets and selections on one field. */
export function caretsOn(presence, noteId, field) {
  return Object.values(presence)
    .filter((entry) => entry.note === noteId && entry.field === field && entry.selection)
    .sort((a, b) => a.client.localeCompare(b.client));
}

/**
 * Sends this page's presence: `update(where)` with `{note, field, selection,
 * version}` (note null: in no note), at most every `interval` ms, the latest
 * only, plus a heartbeat every `heartbeat` ms while in a note; `resend()`
 * after a reconnect (the server forgot us).  `send(message)` returns false
 * when offline.
 */
export function createPresenceSender({
  send,
  interval = PRESENCE_INTERVAL_MS,
  heartbeat = HEARTBEAT_MS,
  timers,
  setEvery = (fn, ms) => setInterval(fn, ms),
}) {
  const none = { note: null, field: null, selection: null, version: 0 };
  let desired = none;
  let sent = null; // the JSON of the last message sent
  let announced = false; // the server knows us in a note

  function flush() {
    const message = { type: 'presence', ...desired };
    const json = JSON.stringify(message);
    if (json === sent) return;
    if (desired.note === null && !announced) return;
    if (send(message)) {
      sent = json;
      announced = desired.note !== null;
    }
  }

  const throttle = createThrottle(flush, interval, timers);
  setEvery(() => {
    if (desired.note === null) return;
    sent = null;
    flush();
  }, heartbeat);

  return {
    update(where) {
      desired = where.note === null ? none : where;
      throttle.poke();
    },
    resend() {
      sent = null;
      announced = false;
      if (desired.note !== null) throttle.now();
    },
    get current() {
      return desired;
    },
  };
}
