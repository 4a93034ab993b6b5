// Folds the events of a JSON file through the transpiled shared reducer and
// through the hand-written one, alternating rounds; prints JSON figures.
// usage: node reducer_bench.mjs <build dir> <events.json> <rounds>
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { notesReducer, Rejected } from './notes_handwritten.mjs';

const [buildDir, eventsPath, roundsText] = process.argv.slice(2);
const shared = await import(pathToFileURL(`${buildDir}/shared_reducers.js`).href);
const events = JSON.parse(readFileSync(eventsPath, 'utf8'));
const rounds = Number(roundsText);
const root = shared.notes_app; // the page's root reducer (web/app.js)
// as the browser's store does (web/app.js): one reusable view for the fold
const step = shared.state_reducer(root);

function foldTranspiled() {
  let state = shared.empty_state(root.collection_names);
  for (const event of events) {
    try {
      state = step(state, event);
    } catch (error) {
      if (!(error instanceof shared.EventRejected)) throw error;
    }
  }
  return state;
}

function foldHandwritten() {
  let state = { notes: {}, removed_notes: {} };
  for (const event of events) {
    try {
      state = notesReducer(state, event);
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
    }
  }
  return state;
}

const canonical = (state) =>
  JSON.stringify(Object.keys(state.notes).sort().map((id) => state.notes[id]));
// The hand-written reducer keeps no co-editing tail (`recent`): compare the rest.
const withoutTail = (state) =>
  JSON.stringify(Object.keys(state.notes).sort().map((id) => ({ ...state.notes[id], recent: undefined })));
if (withoutTail(foldTranspiled()) !== withoutTail(foldHandwritten())) {
  console.error('the two reducers disagree on the final state');
  process.exit(1);
}

const transpiled = [];
const handwritten = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [foldTranspiled, foldHandwritten] : [foldHandwritten, foldTranspiled];
  for (const fold of order) {
    const start = process.hrtime.bigint();
    fold();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    (fold === foldTranspiled ? transpiled : handwritten).push(ms);
  }
}
console.log(JSON.stringify({ transpiled, handwritten, final: canonical(foldTranspiled()) }));
