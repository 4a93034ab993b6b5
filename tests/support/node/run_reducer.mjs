// Runs event sequences through the transpiled shared reducers, for tests/test_isomorphism.py.
//
//   node tests/node/run_reducer.mjs web/build/shared_reducers.js
//
// stdin: one JSON line per case, {"events": [event, ...]} (events as the
// browser gets them: parsed JSON, plain objects).  stdout: one JSON line per
// case, {"steps": [step, ...]}, where a step is what tests/test_isomorphism.py's
// run_case computes in CPython: {"changeset", "state", "ids"} after an accepted
// event, {"rejected": {"error", "reason"}} for a rejected one, or {"crash": text}.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { answerLines, isInstance } from '../../../server/tools/node_lines.mjs';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node run_reducer.mjs path/to/web/build/shared_reducers.js');
  process.exit(2);
}
const shared = await import(pathToFileURL(resolve(entry)).href);
const { notes_app, reduce_state, apply_changeset, empty_state, rows_of,
  MemoryDatabase, EventRejected } = shared;

const root = notes_app; // the root reducer the server and the page run

function step(state, event) {
  try {
    const changeset = root(MemoryDatabase(state), event);
    const next = apply_changeset(state, changeset);
    return [next, { changeset, state: next, ids: rows_of(next, 'notes').map((row) => row.id) }];
  } catch (error) {
    if (isRejection(error)) {
      return [state, { rejected: { error: error.__class__.__name__, reason: error.reason } }];
    }
    return [state, { crash: String(error && error.stack ? error.stack : error) }];
  }
}

const isRejection = (error) => isInstance(error, EventRejected);

function runCase(events) {
  let state = empty_state(root.collection_names);
  const steps = [];
  for (const event of events) {
    const [next, result] = step(state, event);
    state = next;
    steps.push(result);
  }
  return { steps };
}

// Keep reduce_state referenced: it is part of the entry module's contract.
if (typeof reduce_state !== 'function') throw new Error('reduce_state is missing from the build');

await answerLines((request) => runCase(request.events));
