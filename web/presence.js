/**
 * Presence: who else is looking at which note, and where their carets are
 * (docs/protocol.md, "presence").  The Redux slice (pure functions) and the
 * sender (throttled, with a heartbeat).
 *
 *   state.presence = {[client id]: {client, user, note, field, selection, version, at}}
 *
 * `selection` is `{anchor, head}` in code points of the field as this page
 * shows it: taken as the sender's positions on arrival (clamped), then moved
 * through every change of the shown text here (ours and others') until the
 * next update replaces it.  `at` is when it arrived (ms): an entry not
 * refreshed for PRESENCE_TTL_MS disappears.
 */

import { pointLength, mapSelection } from './carets.js';
import { createThrottle } from './throttle.js';

export const PRESENCE_TTL_MS = 8000;
export const PRESENCE_INTERVAL_MS = 100;
export const HEARTBEAT_MS = 3000;

const isField = (field) => field === 'title' || field === 'text';

function withoutKey(mapping, key) {
  if (!(key in mapping)) return mapping;
  const { [key]: _gone, ...rest } = mapping;
  return rest;
}

/** The slice after a presence message from the server; `notes` are the shown notes. */
export function received(presence, message, now, notes) {
  const client = message.client;
  if (typeof client !== 'string') return presence;
  if (typeof message.note !== 'string' || !notes[message.note]) return withoutKey(presence, client);
  const note = notes[message.note];
  const field = isField(message.field) ? message.field : null;
  let selection = null;
  const raw = message.selection;
  if (field && Array.isArray(raw) && raw.length === 2 && raw.every((n) => Number.isInteger(n) && n >= 0)) {
    const length = pointLength(note[field] || '');
    selection = { anchor: Math.min(raw[0], length), head: Math.min(raw[1], length) };
  }
  const entry = {
    client,
    user: typeof message.user === 'string' && message.user ? message.user : 'someone',
    note: message.note,
    field,
    selection,
    version: Number.isInteger(message.version) ? message.version : 0,
    at: now,
  };
  return { ...presence, [client]: entry };
}

/** Without the entries not refreshed for PRESENCE_TTL_MS, and those of notes not shown. */
export function expired(presence, now, notes) {
  let out = presence;
  for (const [client, entry] of Object.entries(presence)) {
    if (now - entry.at > PRESENCE_TTL_MS || !notes[entry.note]) out = withoutKey(out, client);
  }
  return out;
}

/**
 * The carets on `field` of `noteId` moved through `splices` (a change of the
 * shown text); the caret of `author` (who typed them) goes after their text.
 */
export function mapped(presence, noteId, field, splices, author) {
  if (!splices || splices.length === 0) return presence;
  let out = presence;
  for (const [client, entry] of Object.entries(presence)) {
    if (entry.note !== noteId || entry.field !== field || !entry.selection) continue;
    const selection = mapSelection(entry.selection, splices, entry.user === author);
    out = { ...out, [client]: { ...entry, selection } };
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
