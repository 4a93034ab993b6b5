// Folds the events of a workload through the transpiled shared reducer (on a
// plain state and on a shared one, see shared_reducers/memory.py) and through
// the hand-written one, rotating who goes first each round; prints JSON figures.
// usage: node reducer_bench.mjs <build dir> <rounds> [--portable <build dir>] <workload.json>:<capped> ...
// --portable: a build of the reducers as they were in the portable dialect,
// before notes.py was rewritten in natural Python (bench/browser_reducer.py
// builds it from git), folded on a shared state like the current one.
// workload.json: {"setup": [event, ...], "events": [event, ...]}; only the
// fold of `events`, on the state the setup left, is timed: all of them on the
// shared state, the first <capped> on the plain state and by the hand-written
// reducer (which copy every note per event: at 5,000 notes, 10,000 events take
// minutes).  A first, untimed fold of each warms the JIT and checks that the
// three agree.  First the shared folds of all workloads alternate (before the
// other variants fill the heap: the growth figure), then, per workload, the
// three variants alternate (the figures against the hand-written reducer).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { notesReducer, Rejected } from './notes_handwritten.mjs';

const [buildDir, roundsText, ...rest] = process.argv.slice(2);
const portableAt = rest[0] === '--portable' ? rest[1] : null;
const workloadArgs = portableAt ? rest.slice(2) : rest;
const shared = await import(pathToFileURL(`${buildDir}/shared_reducers.js`).href);
const portable = portableAt
  ? await import(pathToFileURL(`${portableAt}/shared_reducers.js`).href)
  : null;
const portableStep = portable ? portable.state_reducer(portable.notes_app) : null;

function foldPortable(state, list) {
  for (const event of list) {
    try {
      state = portableStep(state, event);
    } catch (error) {
      if (!(error instanceof portable.EventRejected)) throw error;
    }
  }
  return state;
}
const rounds = Number(roundsText);
const root = shared.notes_app; // the page's root reducer (web/app.js)
// as the browser's store does (web/app.js): one reusable view for the fold
const step = shared.state_reducer(root);

function foldShared(state, list) {
  for (const event of list) {
    try {
      state = step(state, event);
    } catch (error) {
      if (!(error instanceof shared.EventRejected)) throw error;
    }
  }
  return state;
}

function foldHandwritten(state, list) {
  for (const event of list) {
    try {
      state = notesReducer(state, event);
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
    }
  }
  return state;
}

const rowsOf = (state) => shared.rows_of(state, 'notes');
const canonical = (state) => JSON.stringify(rowsOf(state));
// The hand-written reducer keeps no co-editing tail (`recent`): compare the rest.
const withoutTail = (rows) => JSON.stringify(rows.map((row) => ({ ...row, recent: undefined })));

/** The CPU time (user + system, ms) of one fold: on a machine shared with other
 * work, wall time measures the neighbours as much as the fold. */
function time(fold) {
  const start = process.cpuUsage();
  fold();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The three variants of one workload, checked against each other (a warm-up fold each). */
function prepare(argument) {
  const cut = argument.lastIndexOf(':');
  const { setup, events } = JSON.parse(readFileSync(argument.slice(0, cut), 'utf8'));
  const capped = events.slice(0, Number(argument.slice(cut + 1)));
  // The setup folded once on a shared state; the others start from the same rows.
  const startShared = foldShared(shared.shared_state(shared.empty_state(root.collection_names)), setup);
  const startPlain = shared.plain_state(startShared);
  const handRows = {};
  for (const row of rowsOf(startShared)) {
    const { recent: _tail, ...rest } = row;
    handRows[row.id] = rest;
  }
  const startHand = { notes: handRows, removed_notes: {} };
  const variants = {
    handwritten: () => foldHandwritten(startHand, capped),
    plain: () => foldShared(startPlain, capped),
    shared: () => foldShared(startShared, events),
  };
  if (portable) {
    const empty = portable.shared_state(portable.empty_state(portable.notes_app.collection_names));
    const startPortable = foldPortable(empty, setup);
    variants.portable = () => foldPortable(startPortable, events);
    const theirs = JSON.stringify(portable.rows_of(variants.portable(), 'notes'));
    if (theirs !== canonical(variants.shared())) {
      throw new Error('the portable and the natural reducer disagree on the final state');
    }
  }
  const final = variants.shared();
  const cappedShared = foldShared(startShared, capped);
  if (canonical(variants.plain()) !== canonical(cappedShared)) {
    throw new Error('the plain and the shared state disagree at the end');
  }
  const hand = variants.handwritten().notes;
  if (withoutTail(Object.keys(hand).sort().map((id) => hand[id])) !== withoutTail(rowsOf(cappedShared))) {
    throw new Error('the transpiled and the hand-written reducer disagree on the final state');
  }
  return {
    variants,
    answer: {
      events: events.length,
      capped: capped.length,
      notes: shared.row_count(final, 'notes'),
      final: canonical(final),
      growth: [],
      handwritten: [],
      plain: [],
      shared: [],
      portable: [],
    },
  };
}

const workloads = workloadArgs.map(prepare);
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < workloads.length; k++) {
    const w = workloads[(round + k) % workloads.length];
    w.answer.growth.push(time(w.variants.shared));
  }
}
const names = portable ? ['handwritten', 'plain', 'shared', 'portable'] : ['handwritten', 'plain', 'shared'];
for (const w of workloads) {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length];
      w.answer[name].push(time(w.variants[name]));
    }
  }
}
console.log(JSON.stringify(workloads.map((w) => w.answer)));
