// Runs operations of the twin runtime (flux_twin.js in a build) for
// tests/tools/test_twin_runtime.py, and calls the functions of a built probe
// package for its probe table.
//
//   node run_twin.mjs path/to/build/shared_reducers.js
//
// stdin, one JSON line each: {"op": "_tw_getitem", "args": [...]} runs one
// runtime function; {"module": "file:///.../probes.js", "call": "name",
// "args": [...]} calls one exported function of a module; with "return_args":
// true the answer also carries the arguments after the call (for mutations).  stdout: one JSON line
// each, {"value": result} or {"error": "KeyError"} (the Python exception's
// class name; "JS:RangeError" for a JavaScript error the runtime let through).
import { answerLines } from '../../../server/tools/node_lines.mjs';
import { pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node run_twin.mjs path/to/build/shared_reducers.js');
  process.exit(2);
}
const twin = await import(pathToFileURL(join(dirname(resolve(entry)), 'flux_twin.js')).href);
const modules = new Map();

function errorName(error) {
  if (error && error.__class__ && error.__class__.__name__) return error.__class__.__name__;
  return 'JS:' + (error && error.name ? error.name : String(error));
}

// A JSON-able copy; a non-finite number or undefined is reported as such.
function plain(value) {
  if (value === undefined) return { undefined: true };
  if (typeof value === 'number' && !Number.isFinite(value)) return { nonfinite: String(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, { value: plain(value[key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

async function answer(request) {
  let fn;
  if (request.op !== undefined) {
    fn = twin[request.op];
    if (typeof fn !== 'function') return { error: 'no such runtime function: ' + request.op };
  } else {
    if (!modules.has(request.module)) modules.set(request.module, await import(request.module));
    fn = modules.get(request.module)[request.call];
    if (typeof fn !== 'function') return { error: 'no such function: ' + request.call };
  }
  const args = request.args.map((arg) => (arg !== null && typeof arg === 'object' && arg.__tuple__ ? tupleOf(arg.__tuple__) : arg));
  try {
    const value = plain(fn(...args));
    return request.return_args ? { value, args: plain(args) } : { value };
  } catch (error) {
    return { error: errorName(error) };
  }
}

function tupleOf(items) {
  const out = items.slice();
  out.__class__ = twin._tw_tuple([]).__class__;
  return out;
}

await answerLines(answer);
