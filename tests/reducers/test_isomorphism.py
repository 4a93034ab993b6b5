"""CPython vs the transpiled JavaScript: the same event sequences give the same
states, changesets and rejections.

One Node process per test session runs tests/support/node/run_reducer.mjs on the
build in web/build/ (rebuilt first when a shared_reducers/*.py is newer); the
cases stream to it as JSON lines.  FLUX_ISO_EXAMPLES sets how many sequences
hypothesis generates (default 1000; 100000 for the long run).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_reducers.errors import EventRejected
from shared_reducers.memory import MemoryDatabase, apply_changeset, empty_state, rows_of
from shared_reducers.notes_app import notes_app
from tests.support.node_process import NodeProcess

EXAMPLES = int(os.environ.get("FLUX_ISO_EXAMPLES", "1000"))
root = notes_app  # the root reducer the server and the page run

# -- the cases ----------------------------------------------------------------

TRICKY_IDS = [
    "n1",
    "n2",
    "1",
    "0",
    "01",
    "1.0",
    "-1",
    "",
    " ",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "py_keys",
    "py_get",
    "__class__",
    "length",
    "😀",
    "\uffff",
    "\ue000",
    "é",
    "e\u0301",
    "n1~e1",
    "x" * 120,
    "x" * 121,
    "😀" * 61,
]
TYPES = [
    "noteAdded",
    "noteTitleEdited",
    "noteContentEdited",
    "noteRemoved",
    "noteRestored",
    "noteSpliced",
]
WEIGHTED_TYPES = [
    *["noteAdded"] * 2,
    *["noteTitleEdited"] * 3,
    *["noteContentEdited"] * 3,
    "noteRemoved",
    "noteRestored",
    *["noteSpliced"] * 4,
]
OTHER_TYPES = ["noteArchived", "constructor", "__proto__", "py_keys", "toString", ""]

TEXTS = [
    "",
    "😀🎉",
    "\uffff",
    "a\u0000b",
    "\ud800",
    "x\udc00",
    "\ud83d\ude00",
    "ß",
    "İ",
    " \ufeff",
    "\x1c",
    "Hi",
    "1",
    "null",
]
LONG_TEXTS = ["t" * 400, "t" * 390, "😀" * 400, "t" * 401]
ALPHABETS = [
    "abc ",
    "0123456789.-",
    "éß\u0301\u200d",
    "😀🎉𝄞",
    "\ue000\uffff\ufeff",
    "\x00\x1c\n\t",
]
JUNK: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    1.5,
    -0.0,
    10**20,
    2**53 + 1,
    [],
    {},
    [1],
    {"id": 1},
]
VERSIONS: list[Any] = [-1, 0, 1, 2, 3, 4, 5, 1.0, 2.0, 1.5, "1", True, None, 10**20]
FLAGS: list[Any] = [True, False, 0, 1, "true", None]
STAMPS = ["2026-11-26T23:22:24.123Z", "2026-11-27T00:00:00.000Z"]
MISSING = object()


def random_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return rng.choice(TEXTS)
    if roll < 0.45:
        return rng.choice(LONG_TEXTS)
    alphabet = "".join(rng.sample(ALPHABETS, 2))
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))


def maybe(rng: random.Random, value: Any) -> Any:
    """Mostly `value`, sometimes missing or junk of another type."""
    roll = rng.random()
    if roll < 0.04:
        return MISSING
    if roll < 0.08:
        return rng.choice(JUNK)
    return value


def random_splices(rng: random.Random) -> Any:
    """Mostly small splices near the start (texts are short), sometimes junk."""
    splices: list[Any] = []
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        at: Any = rng.choice([0, 1, 2, 3, 5, 9])
        removed: Any = rng.choice([0, 0, 0, 1, 2, 4])
        inserted: Any = random_text(rng)
        if rng.random() < 0.05:
            at, removed, inserted = rng.choice([(-1, 0, ""), (0, -1, ""), (1.5, 0, "x"),
                                                (0, 0, None), ("1", 0, "")])  # fmt: skip
        splices.append([at, removed, inserted] if rng.random() > 0.03 else [at, removed])
    return splices


def random_payload(rng: random.Random, kind: str) -> Any:
    if rng.random() < 0.03:
        return rng.choice([MISSING, None, [], "x", 5, True])
    roll = rng.random()
    note_id = rng.choice(["n1", "n2", "1"]) if roll < 0.6 else rng.choice(TRICKY_IDS)
    if roll > 0.9:
        note_id = random_text(rng)
    if kind == "noteSpliced" and roll < 0.6:
        note_id = rng.choice(["n1", "1"])  # notes that exist, so that most splices apply
    fields: dict[str, Any] = {"id": maybe(rng, note_id)}
    if kind in ("noteAdded", "noteRestored", "noteTitleEdited"):
        fields["title"] = maybe(rng, random_text(rng))
    if kind in ("noteAdded", "noteRestored", "noteContentEdited"):
        fields["text"] = maybe(rng, random_text(rng))
    if kind in ("noteAdded", "noteRestored"):
        fields["private"] = rng.choice([MISSING, MISSING, True, False, False, rng.choice(FLAGS)])
    if kind in ("noteTitleEdited", "noteContentEdited"):
        fields["baseVersion"] = rng.choice([MISSING, MISSING, *VERSIONS])
    if kind == "noteSpliced":
        fields["field"] = maybe(rng, rng.choice(["text", "text", "title"]))
        fields["baseVersion"] = maybe(rng, rng.choice([1, 1, 1, 1, 2, 2, 3, *VERSIONS]))
        fields["splices"] = maybe(rng, random_splices(rng))
    if rng.random() < 0.1:
        fields[rng.choice(["extra", "1", "__proto__", "constructor"])] = rng.choice(JUNK)
    return {k: v for k, v in fields.items() if v is not MISSING}


def random_event(seed: int) -> dict[str, Any]:
    """One event, decoded from a seed: hypothesis shrinks a failing sequence
    to the fewest events (and smallest seeds)."""
    rng = random.Random(seed)
    roll = rng.random()
    kind: Any = rng.choice(WEIGHTED_TYPES)
    if roll < 0.08:
        kind = rng.choice(OTHER_TYPES)
    elif roll < 0.1:
        kind = rng.choice([MISSING, *JUNK])
    event: dict[str, Any] = {} if kind is MISSING else {"type": kind}
    payload = random_payload(rng, kind if isinstance(kind, str) else "noteAdded")
    if payload is not MISSING:
        event["payload"] = payload
    choices: list[Any] = ["e1", "e2", "😀", "x" * 64, random_text(rng) or "e0", MISSING]
    event_id = maybe(rng, rng.choice(choices))
    if event_id is not MISSING:
        event["id"] = event_id
    stamp = maybe(rng, rng.choice(STAMPS))
    if stamp is not MISSING:
        event["timestamp"] = stamp
    user = rng.choice(["ada", "bob", "ada", "bob", "u" * 101, random_text(rng), 5])
    meta = maybe(rng, {"user": user})
    if meta is not MISSING:
        event["meta"] = meta
    return event


def setup_events() -> list[dict[str, Any]]:
    """Notes n1 and 1 exist, so that most generated edits find their note."""
    return [
        {"type": "noteAdded", "id": f"setup-{note}", "timestamp": STAMPS[0],
         "meta": {"user": "ada"}, "payload": {"id": note, "title": "T", "text": "ab😀cd"}}
        for note in ("n1", "1")
    ]  # fmt: skip


sequences = st.tuples(st.booleans(), st.lists(st.integers(0, 2**32 - 1), max_size=12)).map(
    lambda case: (setup_events() if case[0] else []) + [random_event(seed) for seed in case[1]]
)

# -- CPython's side -------------------------------------------------------------


def step(state: Any, event: Any) -> tuple[Any, dict[str, Any]]:
    """What tests/support/node/run_reducer.mjs computes for one event, in CPython."""
    try:
        changeset = root(MemoryDatabase(state), event)
        after = apply_changeset(state, changeset)
    except EventRejected as error:
        return state, {"rejected": {"error": type(error).__name__, "reason": error.reason}}
    except Exception as error:
        return state, {"crash": f"{type(error).__name__}: {error}"}
    ids = [row["id"] for row in rows_of(after, "notes")]
    return after, {"changeset": changeset, "state": after, "ids": ids}


def run_case(events: list[Any]) -> dict[str, Any]:
    state = empty_state(root.collection_names)
    steps = []
    for event in events:
        state, result = step(state, event)
        steps.append(result)
    return {"steps": steps}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# -- Node's side ----------------------------------------------------------------


class NodeReducer(NodeProcess):
    """tests/support/node/run_reducer.mjs: one case (a list of events) per request."""

    def __init__(self) -> None:
        super().__init__("run_reducer.mjs")

    def run(self, events: list[Any]) -> dict[str, Any]:
        return self.ask({"events": events})


@pytest.fixture(scope="session")
def node_reducer() -> Iterator[NodeReducer]:
    runner = NodeReducer()
    yield runner
    runner.close()


def as_browser_gets_it(events: list[Any]) -> list[Any]:
    """The events after a JSON round trip (what both sides receive)."""
    parsed: list[Any] = json.loads(json.dumps(events))
    return parsed


def first_difference(python: dict[str, Any], node: dict[str, Any]) -> str:
    if "crash" in node:
        return f"Node crashed: {node['crash']}"
    for index, (ours, theirs) in enumerate(zip(python["steps"], node["steps"], strict=False)):
        if canonical(ours) != canonical(theirs):
            return f"step {index}:\n  CPython: {canonical(ours)}\n  Node:    {canonical(theirs)}"
    return f"{len(python['steps'])} steps in CPython, {len(node['steps'])} in Node"


def assert_same(node_reducer: NodeReducer, events: list[Any]) -> dict[str, Any]:
    events = as_browser_gets_it(events)
    python = run_case(events)
    node = node_reducer.run(events)
    shown = json.dumps(events, ensure_ascii=False)
    crashes = [s["crash"] for s in python["steps"] if "crash" in s]
    if crashes:
        pytest.fail(f"The reducer crashed in CPython: {crashes[0]}\nevents: {shown}", pytrace=False)
    if canonical(python) != canonical(node):
        pytest.fail(
            f"CPython and Node differ for the events\n{shown}\n{first_difference(python, node)}",
            pytrace=False,
        )
    return python


# -- the tests ------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sequences)
def test_generated_sequences_mean_the_same_in_cpython_and_node(
    node_reducer: NodeReducer, events: list[Any]
) -> None:
    assert_same(node_reducer, events)


def test_a_valid_story_is_the_same_in_both(node_reducer: NodeReducer) -> None:
    at = "2026-11-26T23:22:24.123Z"
    story = [
        {"type": "noteAdded", "id": "e1", "timestamp": at, "meta": {"user": "ada"},
         "payload": {"id": "n1", "title": "Hi", "text": "x"}},
        {"type": "noteContentEdited", "id": "e2", "timestamp": at, "meta": {"user": "bob"},
         "payload": {"id": "n1", "text": "y", "baseVersion": 1}},
        {"type": "noteTitleEdited", "id": "e3", "timestamp": at, "meta": {"user": "ada"},
         "payload": {"id": "n1", "title": "Old", "baseVersion": 1}},
        {"type": "noteRemoved", "id": "e4", "timestamp": at, "payload": {"id": "n1"}},
        {"type": "noteRestored", "id": "e5", "timestamp": at,
         "payload": {"id": "n1", "title": "Back", "text": "y", "private": False}},
    ]  # fmt: skip
    result = assert_same(node_reducer, story)
    assert result["steps"][-1]["ids"] == ["n1", "n1~e3"]


def test_ids_sort_by_code_point_in_both(node_reducer: NodeReducer) -> None:
    at = "2026-11-26T23:22:24.123Z"
    story = [
        {"type": "noteAdded", "id": f"e{i}", "timestamp": at,
         "payload": {"id": note, "title": "", "text": ""}}
        for i, note in enumerate(["😀", "\uffff", "b", "10", "9"])
    ]  # fmt: skip
    result = assert_same(node_reducer, story)
    assert result["steps"][-1]["ids"] == ["10", "9", "b", "\uffff", "😀"]


def test_a_divergence_is_reported_with_both_sides() -> None:
    python = {"steps": [{"rejected": {"error": "EventRejected", "reason": "a"}}]}
    node = {"steps": [{"rejected": {"error": "EventRejected", "reason": "b"}}]}
    assert first_difference(python, node).startswith("step 0:")
