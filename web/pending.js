/**
 * The pending queue and the rebase: pure functions over plain data.
 *
 * Confirmed state = the server's events applied in seq order.  Shown state =
 * the pending (not yet confirmed) local events replayed on top of it.  A
 * pending entry stays in the queue until its event arrives in the server's
 * stream (then it is part of the confirmed state) or is rejected.
 *
 * @typedef {{type: string, payload: object, id: string, meta?: object, timestamp?: string, seq?: number}} FluxEvent
 * @typedef {{event: FluxEvent, confirmedSeq: number | null}} PendingEntry
 * @typedef {(state: object, event: FluxEvent) => object} ApplyEvent
 */

/** The sentence a reducer's or the server's error carries. */
export function reasonOf(error) {
  if (error && typeof error.reason === 'string') return error.reason;
  if (error && typeof error.message === 'string' && error.message) return error.message;
  return 'The change could not be applied.';
}

/**
 * Replay `pending` on `confirmed`.  An event that no longer fits (its note
 * was deleted meanwhile, ...) is left out of the shown state and reported in
 * `failed`; the server will reject it too.
 * @param {ApplyEvent} applyEvent
 * @param {object} confirmed
 * @param {PendingEntry[]} pending
 * @returns {{state: object, failed: {id: string, reason: string}[]}}
 */
export function replay(applyEvent, confirmed, pending) {
  let state = confirmed;
  const failed = [];
  for (const entry of pending) {
    try {
      state = applyEvent(state, entry.event);
    } catch (error) {
      failed.push({ id: entry.event.id, reason: reasonOf(error) });
    }
  }
  return { state, failed };
}

/** @returns {PendingEntry[]} */
export function enqueue(pending, event) {
  return [...pending, { event, confirmedSeq: null }];
}

/** The server committed the event with this id as `seq` (its stream copy may still be on the way). */
export function markConfirmed(pending, id, seq) {
  return pending.map((entry) =>
    entry.event.id === id ? { ...entry, confirmedSeq: seq } : entry,
  );
}

export function without(pending, id) {
  return pending.filter((entry) => entry.event.id !== id);
}

export function find(pending, id) {
  return pending.find((entry) => entry.event.id === id) || null;
}

/** Changes the server has not confirmed yet. */
export function unsyncedCount(pending) {
  return pending.filter((entry) => entry.confirmedSeq === null).length;
}

/** What goes over the wire: the server sets meta.user, seq and timestamp itself. */
export function toWire(event) {
  return { type: event.type, payload: event.payload, id: event.id };
}
