"""`flux crosscheck`: fold the same events through a reducer in CPython and in
Node (its Transcrypt build) and say where the two engines part.

    crosscheck(specs, cases) -> Report

Each spec is `COLLECTION=MODULE:FUNCTION`, a reducer `(collection, event) ->
changeset`; the specs are combined with `combine_reducers`
(shared_reducers/combine.py) into one root reducer, and each case, a list of
events, is folded from the empty state with `state_reducer`
(shared_reducers/memory.py) in both engines.  After every event the engines
must agree on whether it was rejected and why; at the end, on the rows of
every collection.  A rejected event changes nothing in either engine.

Events are stamped first, as the server's store stamps them, identically for
both engines: a missing `timestamp` becomes 1_700_000_000_000 + index
milliseconds in the store's format, a missing `id` a uuid-shaped id made of
the index, a missing `meta` {"user": "alice"} (even indexes) or "bob" (odd),
and `seq` is index + 1.  Numbers are taken as the server's entry takes them:
an integral float becomes an int and an integer beyond ±(2**53-1) is refused.

How an error is compared (what "the same rejection" means):

- EventRejected and its subclasses (ChangesetConflict ...): the class name
  and the reason must be equal.
- A KeyError, in CPython or as a Transcrypt exception in Node: the key must
  be equal (with or without the quotes of its repr: CPython and the twin
  runtime quote it, Transcrypt's own KeyError does not).
- Any other exception, in CPython or as a Transcrypt exception in Node: the
  class name (Transcrypt's `py_TypeError` counts as `TypeError`).  Their
  messages are the engine's prose, which differs between CPython versions and
  from the twin runtime's ("string indices must be integers, not 'str'" /
  "... or slices, not str"), so they are shown but not compared, unless
  `exact` (`--exact-errors`) asks to compare every message.
- A native JavaScript error (not a Transcrypt exception; e.g. a TypeError from
  reading a property of undefined) cannot carry CPython's words: it agrees
  with a CPython error of the same family (JS TypeError: TypeError or
  AttributeError; RangeError: RecursionError, OverflowError, ValueError,
  MemoryError; ReferenceError: NameError, UnboundLocalError), messages aside.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.store import format_timestamp
from server.tools.casegen import Schemas
from server.tools.crosscheck_build import CrosscheckError, Spec, build_javascript, start_node
from server.tools.crosscheck_entry import ENTRY, declared, refusal
from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, rows_of, state_reducer

FIRST_TIMESTAMP_MS = 1_700_000_000_000
USERS = ("alice", "bob")
MAX_SAFE_INTEGER = 2**53 - 1

NATIVE_FAMILIES = {
    "TypeError": {"TypeError", "AttributeError"},
    "RangeError": {"RecursionError", "OverflowError", "ValueError", "MemoryError"},
    "ReferenceError": {"NameError", "UnboundLocalError"},
}

Outcome = tuple[bool, str, str, bool] | None
"""None for an accepted event, else (rejected, class name, message, native JS error)."""


@dataclass
class Case:
    number: int
    """1-based position among the cases."""
    events: list[Any]
    line: int | None = None
    """Its line in the --cases file, when it came from one."""


@dataclass
class Fold:
    steps: list[Outcome]
    rows: dict[str, Any]


@dataclass
class Difference:
    case: Case
    index: int | None
    """The event where the engines part; None when only the final rows differ."""
    python: str
    node: str


@dataclass
class Report:
    cases: int
    differences: list[Difference] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    accepted: int = 0
    """Events CPython accepted (over all cases)."""
    rejected: int = 0
    final_rows: int = 0
    """Rows CPython holds at the end of the cases, added up."""


def parse_spec(text: str) -> Spec:
    collection, equals, target = text.partition("=")
    module, colon, function = target.partition(":")
    if not equals or not colon or not collection or not module or not function:
        raise CrosscheckError(
            f"A reducer is given as COLLECTION=MODULE:FUNCTION "
            f"(e.g. notes=shared_reducers.notes:notes_reducer); got {text!r}."
        )
    return Spec(collection, module, function)


def load_reducer(spec: Spec) -> Callable[..., Any]:
    """The CPython reducer a spec names (the current folder is importable)."""
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(spec.module)
    except ImportError as error:
        raise CrosscheckError(f"{spec}: cannot import {spec.module}: {error}.") from error
    reducer = getattr(module, spec.function, None)
    if not callable(reducer):
        raise CrosscheckError(
            f"{spec}: {spec.module} has no function {spec.function!r}; name a reducer "
            "(collection, event) -> changeset defined at the module's top level."
        )
    return reducer


def parse_case_line(text: str, where: str) -> list[Any]:
    """One line of a cases file: a JSON list of events, numbers as the server's entry takes them."""

    def integer(digits: str) -> int:
        value = int(digits)
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(
                f"the integer {digits} is beyond ±(2**53-1), which the server refuses "
                "(JavaScript cannot hold it exactly)"
            )
        return value

    def number(digits: str) -> int | float:
        value = float(digits)
        if value.is_integer():
            return integer(str(int(value)))
        return value

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        events = json.loads(text, parse_int=integer, parse_float=number, parse_constant=no_constant)
    except ValueError as error:
        raise CrosscheckError(f"{where}: not JSON: {error}.") from error
    if not isinstance(events, list):
        raise CrosscheckError(
            f"{where}: a case is a JSON list of events; got {type(events).__name__}."
        )
    return events


def read_cases(path: Path) -> list[Case]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CrosscheckError(f"Cannot read the cases file {path}: {error}.") from error
    cases: list[Case] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            events = parse_case_line(line, f"{path}, line {number}")
            cases.append(Case(len(cases) + 1, events, number))
    if not cases:
        raise CrosscheckError(f"{path} holds no case; write one JSON list of events per line.")
    return cases


def stamp(events: list[Any]) -> list[Any]:
    """The events as the store would hand them to the reducer (see the module's doc)."""
    out: list[Any] = []
    for index, event in enumerate(events):
        if isinstance(event, dict):
            event = dict(event)
            if "timestamp" not in event:
                moment = datetime.fromtimestamp((FIRST_TIMESTAMP_MS + index) / 1000, UTC)
                event["timestamp"] = format_timestamp(moment)
            if "id" not in event:
                event["id"] = f"00000000-0000-4000-8000-{index + 1:012d}"
            if "meta" not in event:
                event["meta"] = {"user": USERS[index % 2]}
            event.setdefault("seq", index + 1)
        out.append(event)
    return out


def python_outcome(error: Exception) -> Outcome:
    rejected = isinstance(error, EventRejected)
    reason = getattr(error, "reason", None)
    message = reason if rejected and isinstance(reason, str) else str(error)
    return (rejected, type(error).__name__, message, False)


def fold_python(root: Callable[..., Any], line: str) -> Fold:
    step = state_reducer(root)
    state = empty_state(root.collection_names)  # type: ignore[attr-defined]
    steps: list[Outcome] = []
    for event in json.loads(line):
        try:
            state = step(state, event)
            steps.append(None)
        except Exception as error:
            steps.append(python_outcome(error))
    return Fold(steps, {name: rows_of(state, name) for name in root.collection_names})  # type: ignore[attr-defined]


def fold_node(entry: Path, lines: list[str]) -> list[Fold]:
    """Every case through one Node process (a writer thread feeds it)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        process = start_node(entry, errors)
        assert process.stdin is not None and process.stdout is not None
        stdin = process.stdin

        def feed() -> None:
            try:
                for line in lines:
                    stdin.write(line + "\n")
                stdin.close()
            except (BrokenPipeError, ValueError):  # Node exited or was stopped
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        folds: list[Fold] = []
        try:
            for answer_line in process.stdout:
                answer = json.loads(answer_line)
                if "crash" in answer:
                    raise CrosscheckError(
                        f"Node could not run case {len(folds) + 1}: {answer['crash']}"
                    )
                steps: list[Outcome] = [None if s is None else tuple(s) for s in answer["steps"]]
                folds.append(Fold(steps, answer["rows"]))
        except BaseException:
            process.kill()
            raise
        finally:
            writer.join()
            process.stdout.close()
            code = process.wait()
        errors.seek(0)
        error_text = errors.read()
    if len(folds) != len(lines):
        raise CrosscheckError(
            f"Node answered {len(folds)} of {len(lines)} cases and exited with code {code}:\n"
            + error_text.strip()
        )
    return folds


def canonical(value: Any) -> str:
    """JSON with sorted keys and integral floats as ints (JSON has one number type);
    a key that is not a string becomes the text JSON gives it (True: "true")."""

    def key_text(key: Any) -> str:
        if isinstance(key, str):
            return key
        if key is None or isinstance(key, bool | int | float):
            return json.dumps(plain(key))
        return str(key)

    def plain(item: Any) -> Any:
        if isinstance(item, float) and item.is_integer():
            return int(item)
        if isinstance(item, dict):
            return {key_text(key): plain(child) for key, child in item.items()}
        if isinstance(item, list | tuple):
            return [plain(child) for child in item]
        return item

    return json.dumps(
        plain(value),
        sort_keys=True,
        ensure_ascii=False,
        default=lambda item: f"<not JSON: {type(item).__name__}>",
    )


def said(outcome: Outcome) -> str:
    if outcome is None:
        return "accepted"
    rejected, name, message, native = outcome
    name = name if native else name.removeprefix("py_")
    what = "rejected" if rejected else "raised"
    engine = " (a JavaScript error)" if native else ""
    return f"{what} {name}{engine}: {message}"


def same(python: Outcome, node: Outcome, exact: bool = False) -> bool:
    """Whether two engines' outcomes of one event agree (see the module's doc)."""
    if python is None or node is None:
        return python is node
    name = node[1].removeprefix("py_")
    if node[3]:
        return not python[0] and python[1] in NATIVE_FAMILIES.get(name, {name})
    if python[0] != node[0] or python[1] != name:
        return False
    if python[0] or exact or name == "KeyError":
        return comparable(name, python[2]) == comparable(name, node[2])
    return True


def comparable(name: str, message: str) -> str:
    """A KeyError's message without the quotes of CPython's repr of the key: CPython
    says 'id', the twin runtime 'id' too, Transcrypt's own KeyError id."""
    if name == "KeyError" and len(message) >= 2 and message[0] == message[-1] in "'\"":
        return message[1:-1]
    return message


def compare(case: Case, python: Fold, node: Fold, exact: bool = False) -> Difference | None:
    for index, (ours, theirs) in enumerate(zip(python.steps, node.steps, strict=True)):
        if not same(ours, theirs, exact):
            return Difference(case, index, said(ours), said(theirs))
    for name, rows in python.rows.items():
        ours_text, theirs_text = canonical(rows), canonical(node.rows.get(name))
        if ours_text != theirs_text:
            return Difference(case, None, f"{name}: {ours_text}", f"{name}: {theirs_text}")
    return None


def crosscheck(
    specs: Iterable[Spec], cases: list[Case], exact: bool = False, schema: bool = True
) -> Report:
    """Fold every case in both engines and compare them.  With `schema`, an event
    the reducers' declared SCHEMAS refuse is left out of both folds and counts
    as the same rejection in both, as the server's entry refuses it
    (crosscheck_entry.py)."""
    specs = list(specs)
    names = [spec.collection for spec in specs]
    if len(set(names)) != len(names):
        raise CrosscheckError("Each collection may be named once; got " + ", ".join(names) + ".")
    report = Report(len(cases))
    started = time.monotonic()
    reducers = {spec.collection: load_reducer(spec) for spec in specs}
    root = combine_reducers(reducers)
    entry = build_javascript(specs)
    report.seconds["build"] = time.monotonic() - started
    schemas = declared([spec.module for spec in specs]) if schema else {}
    admitted = [admit(schemas, stamp(case.events)) for case in cases]
    lines = [json.dumps(kept) for kept, _ in admitted]
    started = time.monotonic()
    python = [fold_python(root, line) for line in lines]
    report.seconds["cpython"] = time.monotonic() - started
    started = time.monotonic()
    node = fold_node(entry, lines)
    report.seconds["node"] = time.monotonic() - started
    for (_, refused), ours, theirs in zip(admitted, python, node, strict=True):
        for index, reason in sorted(refused.items()):
            ours.steps.insert(index, (True, ENTRY, reason, False))
            theirs.steps.insert(index, (True, ENTRY, reason, False))
    for case, ours, theirs in zip(cases, python, node, strict=True):
        report.accepted += sum(1 for outcome in ours.steps if outcome is None)
        report.rejected += sum(1 for outcome in ours.steps if outcome is not None)
        report.final_rows += sum(len(rows) for rows in ours.rows.values())
        difference = compare(case, ours, theirs, exact)
        if difference is not None:
            report.differences.append(difference)
    return report


def admit(schemas: Schemas, events: list[Any]) -> tuple[list[Any], dict[int, str]]:
    """The events the entry lets through, and why it refused the others (by index)."""
    kept: list[Any] = []
    refused: dict[int, str] = {}
    for index, event in enumerate(events):
        reason = refusal(schemas, event) if schemas else None
        if reason is None:
            kept.append(event)
        else:
            refused[index] = reason
    return kept, refused


def describe_difference(difference: Difference) -> str:
    case = difference.case
    where = f"case {case.number}" + (f" (line {case.line})" if case.line is not None else "")
    stamped = stamp(case.events)
    lines = [f"First differing case: {where}", "  " + json.dumps(case.events, ensure_ascii=False)]
    if difference.index is None:
        lines.append("  Every event agrees; the rows at the end differ:")
    else:
        lines.append(
            f"  They part at event {difference.index}: "
            + json.dumps(stamped[difference.index], ensure_ascii=False)
        )
    lines.append(f"    CPython: {difference.python}")
    lines.append(f"    Node:    {difference.node}")
    return "\n".join(lines)
