import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDrafts } from '../drafts.js';

function fakeClock() {
  let now = 0;
  let timers = [];
  return {
    now: () => now,
    timers: {
      set: (fn, ms) => { const t = { fn, at: now + ms }; timers.push(t); return t; },
      clear: (t) => { timers = timers.filter((x) => x !== t); },
    },
    advance(ms) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) { timers = timers.filter((x) => x !== t); t.fn(); }
    },
  };
}

test('typing saves once after a pause, with the last text and the starting version', () => {
  const clock = fakeClock();
  const saved = [];
  const drafts = createDrafts({ save: (d) => saved.push(d), now: clock.now, timers: clock.timers });
  for (const text of ['h', 'he', 'hel', 'hell', 'hello']) {
    drafts.input('n1', 'text', text, 3, '');
    clock.advance(100);
  }
  assert.equal(saved.length, 0);
  assert.equal(drafts.valueOf('n1', 'text'), 'hello');
  clock.advance(400);
  assert.deepEqual(saved.map((d) => [d.value, d.baseVersion]), [['hello', 3]]);
  assert.equal(drafts.valueOf('n1', 'text'), undefined);
});

test('continuous typing still saves every maxWait', () => {
  const clock = fakeClock();
  const saved = [];
  const drafts = createDrafts({ save: (d) => saved.push(d.value), now: clock.now, timers: clock.timers, maxWait: 1000 });
  let text = '';
  for (let i = 0; i < 15; i += 1) {
    text += 'x';
    drafts.input('n1', 'title', text, 1, '');
    clock.advance(100);
  }
  assert.equal(saved.length, 1);
  assert.equal(saved[0].length, 11);
});

test('leaving the field saves at once', () => {
  const clock = fakeClock();
  const saved = [];
  const drafts = createDrafts({ save: (d) => saved.push(d.value), now: clock.now, timers: clock.timers });
  drafts.input('n1', 'title', 'Plan', 1, '');
  drafts.flush('n1', 'title');
  assert.deepEqual(saved, ['Plan']);
  assert.equal(drafts.size, 0);
});

test('a save is based on the current version when only another field changed meanwhile', async () => {
  const { baseVersionFor } = await import('../drafts.js');
  const draft = { field: 'text', startValue: 'old text', baseVersion: 3 };
  assert.equal(baseVersionFor(draft, { version: 4, title: 'renamed', text: 'old text' }), 4);
});

test('a save keeps the version its typing began on when the same field changed meanwhile', async () => {
  const { baseVersionFor } = await import('../drafts.js');
  const draft = { field: 'text', startValue: 'old text', baseVersion: 3 };
  assert.equal(baseVersionFor(draft, { version: 4, title: 'same', text: 'their text' }), 3);
});
