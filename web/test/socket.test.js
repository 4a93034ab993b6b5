import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HELLO_WITHIN, PING_EVERY, PONG_WITHIN, connectSocket } from '../socket.js';

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
  close() {
    this.closedByClient = true;
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

function connect(t, onRefused = () => {}, network = null) {
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
    network,
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

test('while Live it pings; answers keep it Live and the pongs are not passed on', (t) => {
  const { statuses, messages } = connect(t);
  const ws = FakeSocket.made[0];
  ws.serverSays({ type: 'hello', seq: 7 });
  for (let i = 1; i <= 5; i += 1) {
    t.mock.timers.tick(PING_EVERY);
    assert.deepEqual(ws.sent.at(-1), { type: 'ping', id: i });
    t.mock.timers.tick(100);
    ws.serverSays({ type: 'pong', id: i });
  }
  assert.equal(ws.sent.length, 5);
  assert.equal(statuses.at(-1), 'Live');
  assert.equal(FakeSocket.made.length, 1);
  assert.deepEqual(messages.map((m) => m.type), ['hello']);
});

test('no answer to a ping: the socket is taken for dead, closed, and reconnected', (t) => {
  const { statuses, setSeq } = connect(t);
  const ws = FakeSocket.made[0];
  ws.serverSays({ type: 'hello', seq: 7 });
  setSeq(9);
  t.mock.timers.tick(PING_EVERY);
  assert.deepEqual(ws.sent, [{ type: 'ping', id: 1 }]);
  t.mock.timers.tick(PONG_WITHIN - 1);
  assert.equal(statuses.at(-1), 'Live');
  t.mock.timers.tick(1);
  assert.equal(statuses.at(-1), 'Offline');
  assert.equal(ws.closedByClient, true);
  t.mock.timers.tick(300);
  assert.equal(statuses.at(-1), 'Reconnecting');
  assert.equal(FakeSocket.made[1].url, 'ws://x/ws?after=9');
  // The dead socket's late close or messages change nothing.
  ws.listeners.close({ code: 1006, reason: '' });
  ws.listeners.message({ data: JSON.stringify({ type: 'hello', seq: 1 }) });
  assert.equal(statuses.at(-1), 'Reconnecting');
});

test("any message counts as an answer (a busy stream is alive)", (t) => {
  const { statuses } = connect(t);
  const ws = FakeSocket.made[0];
  ws.serverSays({ type: 'hello', seq: 7 });
  for (let i = 0; i < 10; i += 1) {
    t.mock.timers.tick(PING_EVERY);
    ws.serverSays({ type: 'event', event: { seq: 8 + i } });
  }
  assert.equal(statuses.at(-1), 'Live');
});

test("the browser's offline event drops the socket at once, online retries at once", (t) => {
  const network = new EventTarget();
  const { statuses } = connect(t, () => {}, network);
  FakeSocket.made[0].serverSays({ type: 'hello', seq: 7 });
  network.dispatchEvent(new Event('offline'));
  assert.equal(statuses.at(-1), 'Offline');
  assert.equal(FakeSocket.made[0].closedByClient, true);
  network.dispatchEvent(new Event('online'));
  assert.equal(statuses.at(-1), 'Reconnecting');
  assert.equal(FakeSocket.made.length, 2);
});

test('a connection that brings no hello is given up and retried', (t) => {
  const { statuses } = connect(t);
  t.mock.timers.tick(HELLO_WITHIN - 1);
  assert.equal(statuses.at(-1), 'Connecting');
  t.mock.timers.tick(1);
  assert.equal(statuses.at(-1), 'Offline');
  assert.equal(FakeSocket.made[0].closedByClient, true);
  t.mock.timers.tick(300);
  assert.equal(FakeSocket.made.length, 2);
  FakeSocket.made[1].serverSays({ type: 'hello', seq: 7 });
  for (let waited = 0; waited <= HELLO_WITHIN; waited += 500) {
    t.mock.timers.tick(500);
    FakeSocket.made[1].serverSays({ type: 'pong' });
  }
  assert.equal(statuses.at(-1), 'Live');
  assert.equal(FakeSocket.made.length, 2);
});
