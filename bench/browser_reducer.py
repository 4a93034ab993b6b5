"""Scenario 7: the shared reducer in the browser's engine. 10,000 events
through the transpiled reducer in Node vs the same reducer in CPython and vs
a reducer written by hand in JavaScript (bench/node/notes_handwritten.mjs);
plus the bytes of JavaScript a page loads for the runtime and reducers."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import time
from pathlib import Path

from bench.harness import Result, Row
from bench.timemachine import synthetic_log
from server.tools.transpile import BUILD, build_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, state_reducer
from shared_reducers.notes_app import notes_app as reducer  # the page's root reducer

NAME = "browser_reducer"
TITLE = "7. Shared reducer in the browser's engine (Node 20)"
TARGET = "transpiled <= 2.5x the hand-written JS reducer"
NODE_SCRIPT = Path(__file__).resolve().parent / "node" / "reducer_bench.mjs"


def _fold_cpython(events: list[dict]) -> dict:
    state = empty_state(reducer.collection_names)
    step = state_reducer(reducer)
    for event in events:
        try:
            state = step(state, event)
        except EventRejected:
            pass
    return state


def _canonical(state: dict) -> str:
    rows = [state["notes"][id] for id in sorted(state["notes"])]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    count = 2_000 if quick else 10_000
    rounds = 3 if quick else 9
    build_reducers()
    events = [json.loads(line) for line in synthetic_log(count)]
    events_path = workdir / "events.json"
    events_path.write_text(json.dumps(events))
    transpiled: list[float] = []
    handwritten: list[float] = []
    cpython: list[float] = []
    final_js = ""
    for _ in range(rounds):
        out = await asyncio.to_thread(
            subprocess.run,
            ["node", str(NODE_SCRIPT), str(BUILD), str(events_path), "2"],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        figures = json.loads(out.stdout)
        transpiled.extend(figures["transpiled"])
        handwritten.extend(figures["handwritten"])
        final_js = figures["final"]
        start = time.perf_counter()
        state = _fold_cpython(events)
        cpython.append((time.perf_counter() - start) * 1000)
    same = final_js == _canonical(state)
    loaded = sorted(BUILD.glob("*.js"))
    raw = sum(p.stat().st_size for p in loaded)
    zipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in loaded)
    rows = [
        Row.of_samples(
            f"vs hand-written JS\n{count:,} events",
            transpiled,
            handwritten,
            "ms",
            "hand-written JS reducer (Node)",
        ),
        Row.of_samples(
            f"vs CPython\n{count:,} events",
            transpiled,
            cpython,
            "ms",
            "the same reducer in CPython",
        ),
    ]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=[
            f"Final state of Node and CPython identical: {'yes' if same else 'NO'}.",
            f"JavaScript a page loads for runtime + reducers: {len(loaded)} modules, "
            f"{raw / 1024:.0f} KiB raw, {zipped / 1024:.1f} KiB gzip -9.",
            "Each fold copies the notes object per event (immutable updates, as Redux wants), in both JS reducers.",
        ],
        met=rows[0].ratio <= 2.5 and same,
    )
