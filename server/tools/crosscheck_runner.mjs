// The Node half of `flux crosscheck` (server/tools/crosscheck.py).
//
//   node crosscheck_runner.mjs path/to/crosscheck_entry.js
//
// The entry module (written by crosscheck.py next to the Transcrypt build)
// exports combine_reducers, state_reducer, empty_state, rows_of,
// EventRejected and REDUCERS, a list of [collection name, reducer function].
//
// stdin: one JSON line per case, the list of events (already stamped by the
// CPython side, so both engines get the same input, parsed as the browser
// parses it: plain objects).  stdout: one JSON line per case,
//   {"steps": [null | [rejected, name, message, native], ...], "rows": {collection: [row, ...]}}
// where a step is null for an accepted event; `rejected` is true for
// EventRejected and its subclasses, `native` true for a JavaScript error that
// is not a Transcrypt exception (TypeError from `undefined.x`, RangeError ...).
// A case that could not run at all answers {"crash": text}.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { answerLines, isInstance } from './node_lines.mjs';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node crosscheck_runner.mjs path/to/crosscheck_entry.js');
  process.exit(2);
}
const built = await import(pathToFileURL(resolve(entry)).href);
const { combine_reducers, state_reducer, empty_state, rows_of, EventRejected, REDUCERS } = built;

const reducers = {};
for (const [name, reducer] of REDUCERS) {
  Object.defineProperty(reducers, name, { value: reducer, enumerable: true, writable: true, configurable: true });
}
const root = combine_reducers(reducers);
const names = root.collection_names;
const step = state_reducer(root);

const isRejection = (error) => isInstance(error, EventRejected);

function outcome(error) {
  if (error && error.__class__) {
    // A Transcrypt exception: its Python class name and str().
    let message;
    if (isRejection(error) && typeof error.reason === 'string') message = error.reason;
    else if (error.__args__ && error.__args__.length === 1) message = String(error.__args__[0]);
    else message = typeof error.__str__ === 'function' ? String(error.__str__()) : String(error);
    return [isRejection(error), error.__class__.__name__, message, false];
  }
  if (error instanceof Error) return [false, error.name, error.message, true];
  return [false, 'thrown value', String(error), true];
}

function runCase(events) {
  let state = empty_state(names);
  const steps = [];
  for (const event of events) {
    try {
      state = step(state, event);
      steps.push(null);
    } catch (error) {
      steps.push(outcome(error));
    }
  }
  const rows = {};
  for (const name of names) rows[name] = rows_of(state, name);
  return { steps, rows };
}

await answerLines(runCase);
