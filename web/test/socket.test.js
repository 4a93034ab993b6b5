import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectSocket } from '../socket.js';

/** A stand-in for the browser's WebSocket: the test opens, talks and closes it. */
class FakeSocket {
  static OPEN = 1;
  static made = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.listeners = {};
    FakeSocket.made.push(this);
  }
  addEventListener(type, fn) {
    this.listeners[type] = fn;
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  serverSays(message) {
    this.readyState = FakeSocket.OPEN;
    this.listeners.message({ data: JSON.stringify(message) });
  }
  serverCloses(code = 1006, reason = '') {
    this.readyState = 3;
    this.listeners.close({ code, reason });
  }
}

function connect(t, onRefused = () => {}) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  FakeSocket.made = [];
  let seq = 7;
  const statuses = [];
  const messages = [];
  const client = connectSocket({
    url: () => 'ws://x/ws?after=' + seq,
    onMessage: (m) => messages.push(m),
    onStatus: (s) => statuses.push(s),
    onRefused,
    WebSocketClass: FakeSocket,
  });
  return { client, statuses, messages, setSeq: (n) => { seq = n; } };
}

test('connects with after=the last seq and is Live after hello', (t) => {
  const { statuses, messages } = connect(t);
  assert.equal(FakeSocket.made[0].url, 'ws://x/ws?after=7');
  FakeSocket.made[0].serverSays({ type: 'hello', seq: 9 });
  assert.deepEqual(statuses, ['Connecting', 'Live']);
  assert.equal(messages[0].type, 'hello');
});

test('a drop shows Offline, then reconnects with the seq reached meanwhile', (t) => {
  const { statuses, setSeq } = connect(t);
  FakeSocket.made[0].serverSays({ type: 'hello', seq: 7 });
  setSeq(12);
  FakeSocket.made[0].serverCloses();
  assert.equal(statuses.at(-1), 'Offline');
  t.mock.timers.tick(300);
  assert.equal(statuses.at(-1), 'Reconnecting');
  assert.equal(FakeSocket.made[1].url, 'ws://x/ws?after=12');
});

test('nothing is sent while the socket is not open', (t) => {
  const { client } = connect(t);
  assert.equal(client.send({ type: 'dispatch' }), false);
  FakeSocket.made[0].serverSays({ type: 'hello', seq: 7 });
  assert.equal(client.send({ type: 'dispatch' }), true);
  assert.deepEqual(FakeSocket.made[0].sent, [{ type: 'dispatch' }]);
});

test('a refusal (1008) is reported with its reason and retried', (t) => {
  const reasons = [];
  connect(t, (reason) => reasons.push(reason));
  FakeSocket.made[0].serverSays({ type: 'hello', seq: 7 });
  FakeSocket.made[0].serverCloses(1008, 'Not signed in: sign in at /login first.');
  assert.deepEqual(reasons, ['Not signed in: sign in at /login first.']);
  t.mock.timers.tick(2000);
  assert.equal(FakeSocket.made.length, 2);
});
