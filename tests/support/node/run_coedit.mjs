// Co-editing in Node, for tests/reducers/: the transpiled text_ops and coedit,
// and the reference implementation ot-text-unicode.
//
//   node tests/node/run_coedit.mjs web/build/shared_reducers.js
//
// stdin: one JSON line per request; stdout: one JSON line per answer.
//   {"simulate": case}       -> what tests/reducers/test_coedit_convergence.py's
//                               simulate(case) computes in CPython (mirrored below)
//   {"pair": {text, a, b, opA, opB}}
//                            -> the transpiled transform of two concurrent edits and
//                               ot-text-unicode's on the same ops (see test_ot_differential.py)
import { answerLines, isInstance } from '../../../server/tools/node_lines.mjs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node run_coedit.mjs path/to/web/build/shared_reducers.js');
  process.exit(2);
}
const shared = await import(pathToFileURL(resolve(entry)).href);
const require = createRequire(import.meta.url);
const otText = require('ot-text-unicode').type;

const { combine_reducers, make_notes_reducer, reduce_state, empty_state, EventRejected,
  apply_splices, transform, transform_position, new_session, shown_text, local_edit,
  take_outgoing, on_confirmed, on_remote, on_rejected } = shared;

const AT = '2026-11-26T23:22:24.123Z';
const codePoints = (text) => Array.from(text);

const isRejection = (error) => isInstance(error, EventRejected);

// -- the convergence simulation: keep in step with simulate() in the Python test --

function uniqueChar(k) {
  if (k % 3 === 0) return String.fromCodePoint(0x4e00 + k);
  if (k % 3 === 1) return String.fromCodePoint(0x20000 + k);
  return String.fromCodePoint(0x1f300 + (k % 700));
}

function simulate(kase) {
  const root = combine_reducers({ notes: make_notes_reducer(kase.maxRecent, 65536) });
  let counter = 0;
  const fresh = (count) => {
    let out = '';
    for (let i = 0; i < count; i++) out += uniqueChar(counter++);
    return out;
  };
  const n = kase.clients;
  const base = fresh(kase.base);
  const deleted = [];
  const problems = [];
  const trace = [];
  let eventCount = 0;
  const add = { type: 'noteAdded', id: 'add', timestamp: AT, meta: { user: 'setup' },
    payload: { id: 'n1', title: 'T', text: base } };
  let server = reduce_state(root, empty_state(['notes']), add);
  const clients = [];
  for (let i = 0; i < n; i++) {
    clients.push({ state: server, session: new_session('n1', 'text', base, 1), caret: 0, up: [], down: [] });
  }

  const broadcast = (event, sender) => {
    try {
      server = reduce_state(root, server, event);
    } catch (error) {
      if (!isRejection(error)) throw error;
      problems.push('rejected ' + event.id + ': ' + error.reason);
      if (sender !== null) clients[sender].down.push({ rejected: event.id });
      return;
    }
    for (const client of clients) client.down.push(event);
  };

  const receive = (client, message) => {
    if (message.rejected !== undefined) {
      client.session = on_rejected(client.session);
      return;
    }
    client.state = reduce_state(root, client.state, message);
    const row = client.state.notes.n1;
    const session = client.session;
    if (message.id === session.inflight_id) {
      if (row.version === session.version + 1) {
        client.session = on_confirmed(session, message.id, row.version);
      } else {
        client.session = on_rejected(session);
      }
    } else if (row.version !== session.version) {
      const last = row.recent[row.recent.length - 1];
      const splices = last[1] === 'text' ? last[2] : [];
      const [next, shown] = on_remote(session, splices, row.version);
      client.session = next;
      client.caret = transform_position(client.caret, shown, false);
    }
    if (client.session.text !== row.text) problems.push('confirmed text differs from the row');
  };

  const send = (who) => {
    const client = clients[who];
    eventCount += 1;
    const id = 'c' + who + '-' + eventCount;
    const [next, payload] = take_outgoing(client.session, id);
    client.session = next;
    if (payload !== null) {
      client.up.push({ type: 'noteSpliced', id, timestamp: AT, meta: { user: 'u' + who }, payload });
    }
  };

  for (const [kind, rawWho, a, b, c] of kase.actions) {
    const who = rawWho % n;
    const client = clients[who];
    if (kind === 0) {
      const text = shown_text(client.session);
      const length = codePoints(text).length;
      const at = a % (length + 1);
      const removed = Math.min(b % 4, length - at);
      const inserted = fresh(c % 4);
      if (removed > 0 || inserted !== '') {
        for (const ch of codePoints(text).slice(at, at + removed)) deleted.push(ch);
        const splices = [[at, removed, inserted]];
        client.session = local_edit(client.session, splices);
        client.caret = transform_position(client.caret, splices, true);
      }
    } else if (kind === 1) {
      send(who);
    } else if (kind === 2) {
      if (client.up.length > 0) broadcast(client.up.shift(), who);
    } else if (kind === 3) {
      if (client.down.length > 0) receive(client, client.down.shift());
    } else {
      eventCount += 1;
      const row = server.notes.n1;
      if (a % 2 === 0) {
        broadcast({ type: 'noteTitleEdited', id: 'api-' + eventCount, timestamp: AT, meta: { user: 'api' },
          payload: { id: 'n1', title: 'T' + eventCount, baseVersion: row.version } }, null);
      } else {
        const chars = codePoints(row.text);
        const at = b % (chars.length + 1);
        const text = chars.slice(0, at).join('') + fresh(1 + (c % 2)) + chars.slice(at).join('');
        broadcast({ type: 'noteContentEdited', id: 'api-' + eventCount, timestamp: AT, meta: { user: 'api' },
          payload: { id: 'n1', text, baseVersion: row.version } }, null);
      }
    }
    trace.push([who, shown_text(client.session), client.caret]);
  }

  for (let round = 0; round < 10; round++) {
    for (let who = 0; who < n; who++) send(who);
    for (let who = 0; who < n; who++) {
      while (clients[who].up.length > 0) broadcast(clients[who].up.shift(), who);
    }
    for (const client of clients) {
      while (client.down.length > 0) receive(client, client.down.shift());
    }
    if (clients.every((cl) => cl.session.inflight === null && cl.session.buffer.length === 0)) break;
  }
  return {
    server: server.notes.n1.text,
    version: server.notes.n1.version,
    shown: clients.map((cl) => shown_text(cl.session)),
    carets: clients.map((cl) => cl.caret),
    created: counter,
    deleted,
    problems,
    trace,
  };
}

// -- one concurrent pair, ours (transpiled) and ot-text-unicode's --------------

function pair({ text, a, b, opA, opB }) {
  const ours = {
    afterA: apply_splices(apply_splices(text, a), transform(b, a, true)),
    afterB: apply_splices(apply_splices(text, b), transform(a, b, false)),
    bAfterA: transform(b, a, true),
  };
  const theirs = {
    applyA: otText.apply(text, opA),
    // side 'right': the op being transformed goes after the other's insert at a tie
    afterA: otText.apply(otText.apply(text, opA), otText.transform(opB, opA, 'right')),
    afterB: otText.apply(otText.apply(text, opB), otText.transform(opA, opB, 'left')),
    bAfterA: otText.transform(opB, opA, 'right'),
    composedA: otText.apply(text, a.reduce(
      (op, [at, removed, inserted]) => otText.compose(op, otText.normalize([at, inserted, { d: removed }])), [])),
  };
  return { ours, theirs };
}

await answerLines((request) =>
  request.simulate !== undefined ? simulate(request.simulate) : pair(request.pair));
