// The send throttle: typing goes out while it lasts, at most once per interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createThrottle } from '../throttle.js';
import { createPresenceSender } from '../presence.js';

function fakeClock() {
  let now = 0;
  let timers = [];
  let next = 1;
  return {
    timers: {
      set(fn, ms) {
        const id = next++;
        timers.push({ id, at: now + ms, fn });
        return id;
      },
      clear(id) {
        timers = timers.filter((t) => t.id !== id);
      },
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > end) break;
        timers.shift();
        now = due.at;
        due.fn();
      }
      now = end;
    },
    get now() {
      return now;
    },
  };
}

test('the first keystroke of a quiet period goes out at once', () => {
  const clock = fakeClock();
  const runs = [];
  const throttle = createThrottle(() => runs.push(clock.now), 200, clock.timers);
  throttle.poke();
  assert.deepEqual(runs, [0]);
});

test('continuous typing runs every interval while it lasts, not only after a pause', () => {
  const clock = fakeClock();
  const runs = [];
  const throttle = createThrottle(() => runs.push(clock.now), 200, clock.timers);
  for (let t = 0; t < 1000; t += 50) {
    throttle.poke(); // a keystroke every 50 ms for a second
    clock.advance(50);
  }
  clock.advance(1000);
  assert.deepEqual(runs, [0, 200, 400, 600, 800, 1000]);
});

test('the last keystroke is never dropped, and a quiet throttle stays quiet', () => {
  const clock = fakeClock();
  let runs = 0;
  const throttle = createThrottle(() => (runs += 1), 200, clock.timers);
  throttle.poke();
  clock.advance(10);
  throttle.poke();
  assert.equal(runs, 1);
  assert.equal(throttle.waiting, true);
  clock.advance(190);
  assert.equal(runs, 2);
  clock.advance(5000);
  assert.equal(runs, 2);
});

test('now() runs at once (leaving a field) and starts a new interval', () => {
  const clock = fakeClock();
  const runs = [];
  const throttle = createThrottle(() => runs.push(clock.now), 200, clock.timers);
  throttle.poke();
  clock.advance(20);
  throttle.poke();
  throttle.now();
  assert.deepEqual(runs, [0, 20]);
  clock.advance(1000);
  assert.deepEqual(runs, [0, 20]);
});

test('presence: at most ten a second, the latest only, nothing for no note never announced', () => {
  const clock = fakeClock();
  const sent = [];
  const sender = createPresenceSender({
    send: (m) => sent.push(m) > 0,
    timers: clock.timers,
    setEvery: () => {},
  });
  sender.update({ note: null });
  clock.advance(500);
  assert.deepEqual(sent, []);
  for (let p = 0; p < 10; p++) {
    sender.update({ note: 'n1', field: 'text', selection: [p, p], version: 3 });
    clock.advance(20);
  }
  clock.advance(200);
  // a caret move every 20 ms: the first at once, then one per 100 ms, the last one kept
  assert.deepEqual(sent.map((m) => m.selection[0]), [0, 4, 9]);
  sender.update({ note: null });
  clock.advance(200);
  assert.deepEqual(sent[sent.length - 1], { type: 'presence', note: null, field: null, selection: null, version: 0 });
});
