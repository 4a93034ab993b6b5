"""The cost of text_ops.transform per splice, in CPython and transpiled in Node.

    from bench.transform_cost import run
    run()  ->  {"cpython": {...}, "node": {...}}   (medians, microseconds)

For each size (splices per edit: 1, as one keystroke batch; 20, as a busy
200 ms; 200, the whole `recent` tail) it makes pairs of concurrent edits on
a 5,000-character text (with emoji), times `transform(b, a, True)` over all
pairs, several rounds, and reports the median of the rounds as microseconds
per call and per splice of `b`.  The edits are normalized first (one splice
per changed place, in document order), as the reducer and the page keep them;
normalizing an unordered list composes splice by splice, quadratic in its
length.  Self-contained: `flux bench` may wrap it.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from server.tools.transpile import BUILD, ENTRY_FILE, SOURCE, build_reducers
from shared_reducers.text_ops import normalize, transform

SIZES = (1, 20, 200)
PAIRS = 200
ALPHABET = "abcdefghij klmnop😀é中"

NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [entry, casesPath, rounds] = process.argv.slice(2);
const { transform } = await import(pathToFileURL(entry).href);
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
const out = {};
for (const [size, pairs] of Object.entries(cases)) {
  const times = [];
  for (let round = 0; round < Number(rounds); round++) {
    const started = process.hrtime.bigint();
    for (const [a, b] of pairs) transform(b, a, true);
    times.push(Number(process.hrtime.bigint() - started) / 1000 / pairs.length);
  }
  out[size] = times;
}
process.stdout.write(JSON.stringify(out));
"""


def edit(rng: random.Random, length: int, count: int) -> list[list[Any]]:
    splices = []
    for _ in range(count):
        at = rng.randrange(length + 1)
        removed = rng.choice([0, 0, 0, 1, 3]) if at < length else 0
        removed = min(removed, length - at)
        inserted = "".join(rng.choice(ALPHABET) for _ in range(rng.choice([0, 1, 1, 4])))
        splices.append([at, removed, inserted])
        length += len(inserted) - removed
    return splices


def cases(seed: int = 12) -> dict[str, list[list[list[list[Any]]]]]:
    rng = random.Random(seed)
    length = 5_000
    return {
        str(size): [
            [normalize(edit(rng, length, size)), normalize(edit(rng, length, size))]
            for _ in range(PAIRS if size < 200 else PAIRS // 10)
        ]
        for size in SIZES
    }


def summary(times_by_size: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    out = {}
    for size, times in times_by_size.items():
        call = statistics.median(times)
        out[size] = {"us_per_call": round(call, 2), "us_per_splice": round(call / int(size), 2)}
    return out


def run_cpython(pairs_by_size: dict[str, Any], rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for size, pairs in pairs_by_size.items():
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            for a, b in pairs:
                transform(b, a, True)
            times.append((time.perf_counter() - started) * 1e6 / len(pairs))
        out[size] = times
    return out


def run_node(pairs_by_size: dict[str, Any], rounds: int) -> dict[str, list[float]]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node is needed to time the transpiled transform; install Node 20.")
    entry = BUILD / ENTRY_FILE
    newest = max(p.stat().st_mtime for p in SOURCE.glob("*.py"))
    if not entry.exists() or entry.stat().st_mtime < newest:
        build_reducers()
    with tempfile.TemporaryDirectory(prefix="flux-transform-cost-") as work:
        script = Path(work) / "transform_cost.mjs"
        script.write_text(NODE_SCRIPT)
        data = Path(work) / "cases.json"
        data.write_text(json.dumps(pairs_by_size))
        done = subprocess.run(
            [node, str(script), str(entry.resolve()), str(data), str(rounds)],
            capture_output=True,
            text=True,
            check=True,
        )
    times: dict[str, list[float]] = json.loads(done.stdout)
    return times


def run(rounds: int = 7) -> dict[str, dict[str, dict[str, float]]]:
    """Medians per engine and per size: microseconds per transform call and per splice."""
    pairs = cases()
    return {
        "cpython": summary(run_cpython(pairs, rounds)),
        "node": summary(run_node(pairs, rounds)),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
