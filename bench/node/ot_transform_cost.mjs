// ot-text-unicode's transform on the cases of bench/transform_cost.py (as ot ops):
//   node bench/node/ot_transform_cost.mjs ROUNDS < cases.json
// cases: {size: [[a, b], ...]}; times transform(b, a, 'right') (a committed first,
// as our transform(b, a, true)); prints {size: [µs per call, one per round]}.
import { readFileSync } from 'node:fs';
import otText from 'ot-text-unicode';

const { type } = otText;
const rounds = Number(process.argv[2] || 7);
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = {};
for (const [size, pairs] of Object.entries(cases)) {
  const ops = pairs.map(([a, b]) => [type.normalize(a), type.normalize(b)]);
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (const [a, b] of ops) type.transform(b, a, 'right');
    times.push(Number(process.hrtime.bigint() - started) / 1000 / ops.length);
  }
  out[size] = times;
}
process.stdout.write(JSON.stringify(out));
