// The ShareDB peer of `flux bench --only coedit` (bench/coedit.py).
//
//   node bench/node/sharedb_peer.mjs server PORT
//       ShareDB's backend (in-memory database) over `ws`; prints "listening".
//   node bench/node/sharedb_peer.mjs clients URL CONFIG_JSON
//       Two ShareDB clients on one ot-text-unicode document, typing like two
//       pages (bench/coedit_page.py, web/throttle.js): a keystroke every `keyMs`
//       (+-50%) at each one's caret, sent by a trailing throttle `sendMs` after
//       the first keystroke of a quiet period (doc.pause() in between, so the
//       keystrokes compose into one op; one op in flight).  Each keystroke
//       inserts a character nobody else types; the other client records when
//       it appears in its document.  Prints {"delays": [ms...], "converged":
//       bool, "keystrokes": n} as one JSON line.
//
// The clients talk to the server as a browser would: JSON messages on a
// websocket, one connection each.

import ShareDB from 'sharedb';
import ShareDBClient from 'sharedb/lib/client/index.js';
import { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import otText from 'ot-text-unicode';
import { WebSocket, WebSocketServer } from 'ws';

const { type } = otText;
ShareDB.types.register(type);

/** A ws connection as the object stream ShareDB's backend listens to. */
function jsonStream(socket) {
  const stream = new Duplex({
    objectMode: true,
    read() {},
    write(message, _encoding, done) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
      done();
    },
  });
  socket.on('message', (data) => stream.push(JSON.parse(data.toString())));
  socket.on('close', () => {
    stream.push(null);
    stream.destroy();
  });
  stream.on('error', () => socket.close());
  stream.on('end', () => socket.close());
  return stream;
}

function serve(port) {
  const backend = new ShareDB(); // its in-memory database (ShareDB.MemoryDB)
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  wss.on('connection', (socket) => backend.listen(jsonStream(socket)));
  wss.on('listening', () => process.stdout.write('listening\n'));
}

function connect(url) {
  const socket = new WebSocket(url);
  const connection = new ShareDBClient.Connection(socket);
  return connection;
}

function fetched(doc) {
  return new Promise((resolve, reject) =>
    doc.subscribe((error) => (error ? reject(error) : resolve())),
  );
}

function created(doc, text) {
  return new Promise((resolve, reject) =>
    doc.create(text, 'text-unicode', (error) => (error ? reject(error) : resolve())),
  );
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const codePoints = (text) => [...text].length;

/** One typist on `doc`: `first` is the first of its characters nobody else types. */
function typist(doc, name, first, config, typedAt, delays, others) {
  let caret = name === 'a' ? codePoints(doc.data) : 0;
  let next = first;
  let typing = true;
  let keystrokes = 0;
  doc.pause();
  doc.on('op', (op, source) => {
    if (source) return; // our own keystroke
    caret = type.transformPosition(caret, op);
    const now = performance.now();
    for (const component of op) {
      if (typeof component !== 'string') continue;
      for (const ch of component) {
        const at = others.get(ch);
        if (at !== undefined) {
          delays.push(now - at);
          others.delete(ch);
        }
      }
    }
  });
  let timer = null;
  const fire = () => {
    timer = null;
    doc.resume(); // sends the composed keystrokes unless one op is in flight
    doc.pause();
    if (doc.hasPending()) poke();
  };
  const poke = () => {
    if (timer === null) timer = setTimeout(fire, config.sendMs);
  };
  const type1 = async () => {
    while (typing) {
      await sleep(config.keyMs * (0.5 + Math.random()));
      if (!typing) break;
      const ch = String.fromCodePoint(next++);
      typedAt.set(ch, performance.now());
      doc.submitOp([caret, ch]);
      caret += 1;
      keystrokes += 1;
      poke();
    }
  };
  const done = type1();
  return {
    stop: () => {
      typing = false;
      return done;
    },
    keystrokes: () => keystrokes,
  };
}

async function clients(url, config) {
  const a = connect(url);
  const b = connect(url);
  const docA = a.get('notes', config.doc);
  await fetched(docA);
  await created(docA, config.text);
  const docB = b.get('notes', config.doc);
  await fetched(docB);
  const typedByA = new Map();
  const typedByB = new Map();
  const delays = [];
  const ta = typist(docA, 'a', 0x4e00, config, typedByA, delays, typedByB);
  const tb = typist(docB, 'b', 0x4e00 + 10000, config, typedByB, delays, typedByA);
  await sleep(config.seconds * 1000);
  await Promise.all([ta.stop(), tb.stop()]);
  const deadline = performance.now() + 5000;
  while ((typedByA.size || typedByB.size) && performance.now() < deadline) await sleep(20);
  await sleep(300);
  const result = {
    delays,
    unseen: typedByA.size + typedByB.size,
    keystrokes: ta.keystrokes() + tb.keystrokes(),
    converged: docA.data === docB.data,
    length: codePoints(docA.data),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  a.close();
  b.close();
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') {
  serve(Number(rest[0]));
} else if (mode === 'clients') {
  await clients(rest[0], JSON.parse(rest[1]));
  process.exit(0);
} else {
  process.stderr.write('usage: sharedb_peer.mjs server PORT | clients URL CONFIG_JSON\n');
  process.exit(2);
}
