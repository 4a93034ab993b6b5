"""Scenario 7: the shared reducer in the browser's engine.

The fold of 10,000 note events on a page that holds 100 notes and one that
holds 5,000, in Node: (a) a reducer written by hand in JavaScript
(bench/node/notes_handwritten.mjs, immutable `{...notes}` updates, no
co-editing tail), (b) the transpiled portable reducer (notes_app) on a plain
state, as the page holds it today (every event copies the notes object), (c)
the same on a shared state (shared_reducers/memory.py: one leaf and two
32-lists copied per event), and (d) the natural-Python reducer lowered by
server/tools/lowering.py, against (e) the reducers as they were in the
portable dialect (built from git, Transcrypt alone).  Targets: the page's fold <= 1.2x
the hand-written one, and the 5,000-note fold within 1.5x of the 100-note
fold.  Plus the same fold in CPython, and the bytes of JavaScript a page loads.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Result, Row, median
from bench.timemachine import USERS, format_timestamp
from server.tools.transpile import BUILD, build_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, rows_of, shared_state, state_reducer
from shared_reducers.notes_app import notes_app as reducer  # the page's root reducer

NAME = "browser_reducer"
TITLE = "7. Shared reducer in the browser's engine (Node 20): fold of 10,000 events"
TARGET = "page's fold <= 1.2x the hand-written JS reducer; 5,000 notes within 1.5x of 100 notes"
NODE_SCRIPT = Path(__file__).resolve().parent / "node" / "reducer_bench.mjs"
EVENTS = 10_000
SIZES = (100, 5_000)
HAND_TARGET = 1.2
GROWTH_TARGET = 1.5
NATURAL = "natural Python, lowered (server/tools/lowering.py)"


def workload(notes: int, count: int, seed: int = 14) -> dict[str, list[dict[str, Any]]]:
    """`notes` notes added (the setup, not timed), then `count` events that keep
    about that many notes: 85% title/text edits on the current version, 5% adds,
    5% removals, 5% restores."""
    rng = random.Random(seed)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    live: list[str] = []
    gone: list[str] = []
    versions: dict[str, int] = {}
    made = 0

    def event(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal moment
        moment += timedelta(milliseconds=rng.randrange(1, 2000))
        return {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "type": kind,
            "payload": payload,
            "meta": {"user": rng.choice(USERS)},
            "timestamp": format_timestamp(moment),
        }

    def add() -> dict[str, Any]:
        nonlocal made
        made += 1
        id = f"n{made}"
        live.append(id)
        versions[id] = 1
        return event("noteAdded", {"id": id, "title": f"Note {made}", "text": "hello world"})

    setup = [add() for _ in range(notes)]
    events: list[dict[str, Any]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.85 or (roll >= 0.95 and not gone):
            id = live[rng.randrange(len(live))]
            field = rng.choice(("title", "text"))
            kind = "noteTitleEdited" if field == "title" else "noteContentEdited"
            words = " ".join(rng.choice(("lorem", "ipsum", "dolor", "sit")) for _ in range(12))
            events.append(event(kind, {"id": id, field: words, "baseVersion": versions[id]}))
            versions[id] += 1
        elif roll < 0.90:
            events.append(add())
        elif roll < 0.95 and len(live) > 1:
            id = live.pop(rng.randrange(len(live)))
            gone.append(id)
            events.append(event("noteRemoved", {"id": id}))
        elif not gone:
            events.append(add())
        else:
            id = gone.pop(rng.randrange(len(gone)))
            live.append(id)
            versions[id] = 1
            payload = {"id": id, "title": "Back", "text": "again", "private": False}
            events.append(event("noteRestored", payload))
    return {"setup": setup, "events": events}


def _fold_cpython(state: Any, events: list[dict[str, Any]]) -> Any:
    step = state_reducer(reducer)
    for event in events:
        try:
            state = step(state, event)
        except EventRejected:
            pass
    return state


def _canonical(state: Any) -> str:
    return json.dumps(rows_of(state, "notes"), separators=(",", ":"), ensure_ascii=False)


def _node(
    rounds: int, workloads: list[tuple[Path, int]], portable: Path | None
) -> list[dict[str, Any]]:
    """bench/node/reducer_bench.mjs on these workloads (path, events for the capped variants)."""
    out = subprocess.run(
        ["node", str(NODE_SCRIPT), str(BUILD), str(rounds)]
        + (["--portable", str(portable)] if portable else [])
        + [f"{path}:{capped}" for path, capped in workloads],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    figures: list[dict[str, Any]] = json.loads(out.stdout)
    return figures


PORTABLE_COMMIT = "b116c0c"
"""The commit that rewrote notes.py in natural Python: its parent holds the
reducers in the portable dialect (get_or, is_string, extend, ...), the
baseline of the natural reducer's figures."""
PORTABLE_NAMES = {
    "notes_app": ("notes_app",),
    "memory": ("state_reducer", "shared_state", "empty_state", "rows_of"),
    "errors": ("EventRejected",),
}


def build_portable(workdir: Path) -> Path | None:
    """The portable-dialect reducers (the parent of PORTABLE_COMMIT, from git),
    built as flux transpile built them then: Transcrypt alone, no lowering.
    None when this is not a git checkout holding that commit."""
    root = Path(__file__).resolve().parents[1]
    source = workdir / "portable-src"
    out = workdir / "portable-build"
    source.mkdir(exist_ok=True)
    try:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", f"{PORTABLE_COMMIT}^", "shared_reducers"],
            capture_output=True,
            check=True,
            timeout=60,
        )
        subprocess.run(
            ["tar", "-x", "-C", str(source)], input=archive.stdout, check=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    (source / "portable_entry.py").write_text(
        "".join(
            f"from shared_reducers.{module} import {', '.join(names)}\n"
            for module, names in PORTABLE_NAMES.items()
        )
    )
    command = [sys.executable, "-m", "transcrypt", "-b", "-n", "-ec", "-xp", str(source)]
    subprocess.run(
        [*command, "-od", str(out), "portable_entry.py"],
        cwd=source,
        capture_output=True,
        check=True,
        timeout=600,
    )
    (out / "shared_reducers.js").write_text(
        "".join(
            f"export {{{', '.join(names)}}} from './shared_reducers.{module}.js';\n"
            for module, names in PORTABLE_NAMES.items()
        )
    )
    return out


def _notes_is_natural() -> bool:
    """Whether shared_reducers/notes.py (the reducer notes_app folds) is written in
    natural Python, which the build lowers, rather than the portable dialect
    (whose every field read goes through portable.get_or)."""
    source = Path(__file__).resolve().parents[1] / "shared_reducers" / "notes.py"
    return "get_or(" not in source.read_text(encoding="utf-8")


def _per_event(samples: list[float], events: int) -> list[float]:
    return [ms * 1000 / events for ms in samples]


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    rounds = 3 if quick else 5
    build_reducers()
    cpython: dict[int, list[float]] = {}
    same = True
    works = {notes: workload(notes, EVENTS) for notes in SIZES}
    paths = []
    for notes, work in works.items():
        path = workdir / f"workload-{notes}.json"
        path.write_text(json.dumps(work))
        # The variants that copy every note per event fold fewer events when there are many.
        # (quick: fewer for all of them, to stay short).
        if notes <= 1_000:
            capped = 3_000 if quick else EVENTS
        else:
            capped = 200 if quick else 2_000
        paths.append((path, capped))
    portable = await asyncio.to_thread(build_portable, workdir)
    answers = await asyncio.to_thread(_node, rounds, paths, portable)
    figures = dict(zip(SIZES, answers, strict=True))
    for notes, work in works.items():
        empty = shared_state(empty_state(reducer.collection_names))
        start_state = _fold_cpython(empty, work["setup"])
        cpython[notes] = []
        for _ in range(1 if quick else 3):
            started = time.process_time()  # CPU time, as in Node
            state = _fold_cpython(start_state, work["events"])
            cpython[notes].append((time.process_time() - started) * 1000)
        same = same and figures[notes]["final"] == _canonical(state)
    small, big = SIZES
    hand = "hand-written JS reducer (Node)"
    per_event = "µs/event"
    rows: list[Row] = []
    for notes in SIZES:
        f = figures[notes]
        rows.append(
            Row.of_samples(
                f"shared state vs hand-written\n{notes:,} notes ({f['capped']:,} ev. for hand)",
                _per_event(f["shared"], f["events"]),
                _per_event(f["handwritten"], f["capped"]),
                per_event,
                hand,
            )
        )
        rows.append(
            Row.of_samples(
                f"plain state (today) vs hand-written\n{notes:,} notes ({f['capped']:,} events)",
                _per_event(f["plain"], f["capped"]),
                _per_event(f["handwritten"], f["capped"]),
                per_event,
                hand,
            )
        )
    rows.append(
        Row.of_samples(
            f"shared state, {EVENTS:,} events:\n{big:,} vs {small:,} notes",
            figures[big]["growth"],
            figures[small]["growth"],
            "ms",
            f"the same fold with {small:,} notes",
        )
    )
    rows.append(
        Row.of_samples(
            f"plain state (today):\n{big:,} vs {small:,} notes",
            _per_event(figures[big]["plain"], figures[big]["capped"]),
            _per_event(figures[small]["plain"], figures[small]["capped"]),
            per_event,
            f"the same fold with {small:,} notes",
        )
    )
    for notes in SIZES:
        rows.append(
            Row.of_samples(
                f"shared state, Node vs CPython\n{notes:,} notes, {EVENTS:,} events",
                figures[notes]["shared"],
                cpython[notes],
                "ms",
                "the same reducer and state in CPython",
            )
        )
    hand_ratios = [rows[0].ratio, rows[2].ratio]
    growth = rows[4].ratio
    if portable is not None:
        for notes in SIZES:
            f = figures[notes]
            rows.append(
                Row.of_samples(
                    f"natural vs portable reducer\n{notes:,} notes, {EVENTS:,} events",
                    _per_event(f["shared"], f["events"]),
                    _per_event(f["portable"], f["events"]),
                    per_event,
                    f"the portable-dialect reducer ({PORTABLE_COMMIT}^), shared state",
                )
            )
    hand_met = all(ratio <= HAND_TARGET for ratio in hand_ratios)
    growth_met = growth <= GROWTH_TARGET
    loaded = sorted(BUILD.glob("*.js"))
    raw = sum(p.stat().st_size for p in loaded)
    zipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in loaded)
    notes_text = [
        f"Target <= {HAND_TARGET}x the hand-written reducer (shared state): "
        + ", ".join(f"{n:,} notes {r:.2f}x" for n, r in zip(SIZES, hand_ratios, strict=True))
        + f": {'met' if hand_met else 'NOT met'}.",
        f"Target: the {big:,}-note fold within {GROWTH_TARGET}x of the {small:,}-note fold "
        f"(shared state): {growth:.2f}x: {'met' if growth_met else 'NOT met'}.",
        f"{NATURAL}: "
        + (
            "notes.py is natural Python now, so the transpiled rows above are this reducer."
            if _notes_is_natural()
            else "not built yet (notes.py is in the portable dialect): no figures; the "
            "transpiled rows above are today's portable reducer."
        ),
        "Folds of "
        + ", ".join(
            f"{n:,} notes: shared {median(figures[n]['shared']):,.0f} ms for "
            f"{figures[n]['events']:,} events, plain {median(figures[n]['plain']):,.0f} ms and "
            f"hand-written {median(figures[n]['handwritten']):,.0f} ms for "
            f"{figures[n]['capped']:,}"
            for n in SIZES
        )
        + f" (CPU time, medians of {rounds} rounds after a warm-up fold, rotating order).",
        f"Final state of Node and CPython identical: {'yes' if same else 'NO'}.",
        "The portable-dialect reducer: "
        + (
            f"built from git ({PORTABLE_COMMIT}^) with Transcrypt alone, "
            "same final rows as the natural one."
            if portable is not None
            else "not measured (this is not a git checkout holding it)."
        ),
        "The hand-written reducer keeps no co-editing tail (`recent`); notes_app does.",
        f"JavaScript a page loads for runtime + reducers: {len(loaded)} modules, "
        f"{raw / 1024:.0f} KiB raw, {zipped / 1024:.1f} KiB gzip -9.",
    ]
    return Result(NAME, TITLE, TARGET, rows, notes=notes_text, met=hand_met and growth_met and same)
