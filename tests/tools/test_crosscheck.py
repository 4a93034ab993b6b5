"""flux crosscheck: the same events through a reducer in CPython and in Node.

The notes app's reducers are crosschecked as `notes=shared_reducers.notes:notes_reducer`:
the command's FUNCTION is a reducer `(collection, event) -> changeset`, and
notes_app (shared_reducers/notes_app.py) is already a root reducer over two
collections, so it does not fit that contract.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from server.cli import main
from server.tools.casegen import generate_cases
from server.tools.crosscheck import (
    Case,
    canonical,
    crosscheck,
    parse_spec,
    python_outcome,
    same,
    stamp,
)
from server.tools.crosscheck_build import build_javascript
from shared_reducers.errors import ChangesetConflict

NOTES = "notes=shared_reducers.notes:notes_reducer"

ITEMS_SCHEMAS = """
SCHEMAS = {
    "itemAdded": {"id": ["itemId", True], "cents": ["int", True]},
    "itemRemoved": {"id": ["itemId", True]},
}
KINDS = {"itemId": ["string", 20]}
"""


def write_package(root: Path, name: str, reducer: str) -> None:
    """A package `name` with a module `reducers` outside this repository."""
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    (root / name / "reducers.py").write_text(textwrap.dedent(reducer))


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_the_notes_reducer_agrees_on_200_generated_cases(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["crosscheck", NOTES, "--generate", "200", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "200 cases, 0 differ (generated with --seed 7)" in out


def test_generated_cases_exercise_both_accepting_and_rejecting() -> None:
    events = generate_cases(["shared_reducers.notes"], 200, 3)
    report = crosscheck([parse_spec(NOTES)], [Case(n, e) for n, e in enumerate(events, 1)])
    assert report.differences == []
    assert report.cases == 200
    assert report.accepted > 300
    assert report.rejected > 300
    assert report.final_rows > 100


def test_generation_is_reproducible_and_fuzzes() -> None:
    first = generate_cases(["shared_reducers.notes"], 100, 11)
    assert first == generate_cases(["shared_reducers.notes"], 100, 11)
    assert first != generate_cases(["shared_reducers.notes"], 100, 12)
    text = json.dumps(first)
    for odd in ("__proto__", "constructor", "toString", "\\ud83d\\ude00", "\\u0301", "\\u05e9"):
        assert odd in text
    events = [event for case in first for event in case]
    assert any(event.get("type") == "unknownEvent" for event in events)
    assert any("payload" not in event for event in events)
    assert any(event.get("payload") is None for event in events)
    assert any(
        isinstance(event.get("payload"), dict)
        and event.get("type") == "noteAdded"
        and "title" not in event["payload"]
        for event in events
    )


# Text made from a float cannot agree: CPython writes str(2 / 2) as "1.0",
# JavaScript, which has one number type, as "1" (SUBSET.md lists it).
def test_a_reducer_that_diverges_is_named_with_its_case_and_event(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(
        elsewhere,
        "diverging_reject",
        """
        from shared_reducers.errors import EventRejected
        from shared_reducers.portable import get_or

        def items_reducer(items, event):
            if get_or(event, "type", None) != "itemAdded":
                return items.no_change()
            payload = event["payload"]
            price = str(payload["cents"] / 100)
            if "." not in price:
                raise EventRejected("The price " + price + " has no decimal point.")
            return items.insert({"id": payload["id"], "price": price})
        """,
    )
    cases = elsewhere / "cases.jsonl"
    ok = [{"type": "itemAdded", "payload": {"id": "a", "cents": 150}}]
    whole = [*ok, {"type": "itemAdded", "payload": {"id": "b", "cents": 200}}]
    cases.write_text(f"{json.dumps(ok)}\n\n{json.dumps(whole)}\n")
    spec = "items=diverging_reject.reducers:items_reducer"
    assert main(["crosscheck", spec, "--cases", str(cases)]) == 1
    out = capsys.readouterr().out
    assert "2 cases, 1 differ" in out
    assert "First differing case: case 2 (line 3)" in out
    assert 'They part at event 1: {"type": "itemAdded", "payload": {"id": "b", "cents": 200}' in out
    assert "CPython: accepted" in out
    assert "Node:    rejected EventRejected: The price 2 has no decimal point." in out


def test_rows_that_differ_at_the_end_are_shown(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(
        elsewhere,
        "diverging_rows",
        """
        from shared_reducers.portable import get_or

        def items_reducer(items, event):
            if get_or(event, "type", None) != "itemAdded":
                return items.no_change()
            payload = event["payload"]
            return items.insert({"id": payload["id"], "half": str(payload["n"] / 2)})
        """,
    )
    cases = elsewhere / "cases.jsonl"
    cases.write_text(json.dumps([{"type": "itemAdded", "payload": {"id": "a", "n": 2}}]))
    spec = "items=diverging_rows.reducers:items_reducer"
    assert main(["crosscheck", spec, "--cases", str(cases)]) == 1
    out = capsys.readouterr().out
    assert "Every event agrees; the rows at the end differ:" in out
    assert 'CPython: items: [{"half": "1.0", "id": "a"}]' in out
    assert 'Node:    items: [{"half": "1", "id": "a"}]' in out


def test_generate_reads_the_modules_schemas_and_finds_the_divergence(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(
        elsewhere,
        "diverging_schema",
        ITEMS_SCHEMAS
        + """
from shared_reducers.errors import EventRejected
from shared_reducers.portable import get_or, is_int, is_object, is_string


def items_reducer(items, event):
    payload = get_or(event, "payload", None)
    if get_or(event, "type", None) != "itemAdded" or not is_object(payload):
        return items.no_change()
    cents = get_or(payload, "cents", None)
    id = get_or(payload, "id", None)
    if not is_int(cents) or not is_string(id) or items.get(id) is not None:
        raise EventRejected("An item needs a new id and whole cents.")
    price = str(cents / 100)
    if "." not in price:
        raise EventRejected("The price " + price + " has no decimal point.")
    return items.insert({"id": id, "price": price})
""",
    )
    spec = "items=diverging_schema.reducers:items_reducer"
    assert main(["crosscheck", spec, "--generate", "300", "--seed", "2"]) == 1
    out = capsys.readouterr().out
    assert "300 cases, " in out and ", 0 differ" not in out
    assert "CPython: accepted" in out
    assert "Node:    rejected EventRejected: The price 0 has no decimal point." in out


def test_two_collections_are_combined_and_agree(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(
        elsewhere,
        "two_collections",
        """
        from shared_reducers.errors import EventRejected
        from shared_reducers.portable import get_or, int_text

        def items_reducer(items, event):
            if get_or(event, "type", None) != "itemAdded":
                return items.no_change()
            id = event["payload"]["id"]
            if items.get(id) is not None:
                raise EventRejected("Item " + id + " exists.")
            return items.insert({"id": id})

        def counts_reducer(counts, event):
            row = counts.get("all")
            if row is None:
                return counts.insert({"id": "all", "n": 1})
            return counts.update("all", {"n": row["n"] + 1, "last": int_text(row["n"])})
        """,
    )
    cases = elsewhere / "cases.jsonl"
    added = {"type": "itemAdded", "payload": {"id": "__proto__"}}
    cases.write_text(json.dumps([added, added, {"type": "other"}]) + "\n")
    spec = "two_collections.reducers:"
    args = [f"items={spec}items_reducer", f"counts={spec}counts_reducer", "--cases", str(cases)]
    assert main(["crosscheck", *args]) == 0
    out = capsys.readouterr().out
    assert "1 cases, 0 differ" in out
    assert "events: 2 accepted, 1 rejected (in CPython); 2 rows at the end" in out


def test_errors_of_one_family_agree_across_engines(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(
        elsewhere,
        "recursing",
        """
        def items_reducer(items, event):
            return items_reducer(items, event)
        """,
    )
    cases = elsewhere / "cases.jsonl"
    cases.write_text(json.dumps([{"type": "itemAdded"}]) + "\n")
    assert (
        main(["crosscheck", "items=recursing.reducers:items_reducer", "--cases", str(cases)]) == 0
    )
    assert "1 cases, 0 differ" in capsys.readouterr().out


def test_rows_are_compared_as_json() -> None:
    assert canonical({True: 1, None: 2, 3: 3.0, 2.0: [1.0, 1.5]}) == canonical(
        {"true": 1, "null": 2, "3": 3, "2": [1, 1.5]}
    )
    assert canonical([{"b": 1, "a": True}]) == '[{"a": true, "b": 1}]'
    assert canonical([1]) != canonical([True])


def test_how_outcomes_are_compared() -> None:
    assert python_outcome(KeyError("id")) == (False, "KeyError", "'id'", False)
    assert same((False, "KeyError", "'id'", False), (False, "KeyError", "'id'", False))
    assert same((False, "KeyError", "'id'", False), (False, "KeyError", "id", False))
    assert not same((False, "KeyError", "'id'", False), (False, "KeyError", "'ids'", False))
    assert python_outcome(ChangesetConflict("No row.")) == (
        True,
        "ChangesetConflict",
        "No row.",
        False,
    )
    # a Transcrypt exception: class (without Transcrypt's py_ prefix) and message
    assert same((False, "TypeError", "m", False), (False, "py_TypeError", "m", False))
    # other exceptions: the engines' prose differs, so the class (the message with exact)
    assert same((False, "TypeError", "m", False), (False, "py_TypeError", "n", False))
    assert not same((False, "TypeError", "m", False), (False, "py_TypeError", "n", False), True)
    assert not same((False, "TypeError", "m", False), (False, "ValueError", "m", False))
    assert not same((True, "EventRejected", "m", False), (True, "EventRejected", "n", False))
    assert not same((True, "EventRejected", "m", False), (False, "Exception", "m", False))
    # a native JavaScript error: its family, not its words
    assert same((False, "AttributeError", "x", False), (False, "TypeError", "y", True))
    assert same((False, "RecursionError", "x", False), (False, "RangeError", "y", True))
    assert not same((True, "EventRejected", "x", False), (False, "TypeError", "y", True))
    assert not same((False, "KeyError", "x", False), (False, "TypeError", "y", True))
    assert not same(None, (True, "EventRejected", "x", False))
    assert same(None, None)


def test_a_cases_file_with_bad_json_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('[{"type": "noteAdded"}]\n[{"type": "noteAdded",]\n')
    assert main(["crosscheck", NOTES, "--cases", str(cases)]) == 2
    err = capsys.readouterr().err
    assert f"{cases}, line 2: not JSON" in err


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('{"type": "noteAdded"}', "line 1: a case is a JSON list of events; got dict"),
        ("[9007199254740992]", "line 1: not JSON: the integer 9007199254740992 is beyond"),
        ("[NaN]", "line 1: not JSON: NaN is not JSON"),
    ],
)
def test_a_case_that_the_server_would_not_take_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, complaint: str
) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(line + "\n")
    assert main(["crosscheck", NOTES, "--cases", str(cases)]) == 2
    assert complaint in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["notes:shared_reducers.notes", "--generate", "1"], "COLLECTION=MODULE:FUNCTION"),
        (["notes=shared_reducers.nope:f", "--generate", "1"], "cannot import shared_reducers.nope"),
        (["notes=shared_reducers.notes:nope", "--generate", "1"], "has no function 'nope'"),
        ([NOTES], "Give either --cases FILE or --generate N"),
        ([NOTES, "--generate", "0"], "--generate needs a positive number"),
    ],
)
def test_misuse_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], args: list[str], complaint: str
) -> None:
    assert main(["crosscheck", *args]) == 2
    assert complaint in capsys.readouterr().err


def test_generate_without_schemas_says_what_to_declare(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_package(elsewhere, "no_schemas", "def items_reducer(items, event):\n    return []\n")
    assert main(["crosscheck", "items=no_schemas.reducers:items_reducer", "--generate", "5"]) == 2
    err = capsys.readouterr().err
    assert "--generate needs SCHEMAS: no_schemas.reducers declares none" in err
    assert "no_schemas has no schemas module" in err


def test_the_build_is_cached_by_the_content_of_the_sources(elsewhere: Path) -> None:
    write_package(elsewhere, "cached", "def items_reducer(items, event):\n    return []\n")
    specs = [parse_spec("items=cached.reducers:items_reducer")]
    first = build_javascript(specs)
    made = first.stat().st_mtime_ns
    assert build_javascript(specs) == first
    assert first.stat().st_mtime_ns == made
    (elsewhere / "cached" / "reducers.py").write_text(
        "def items_reducer(items, event):\n    return items.no_change()\n"
    )
    assert build_javascript(specs) != first


def test_events_are_stamped_as_the_store_would() -> None:
    stamped = stamp([{"type": "a"}, {"type": "b", "meta": {}, "timestamp": "t"}, "x"])
    assert stamped[0]["timestamp"] == "2023-11-14T22:13:20.000Z"
    assert stamped[0]["meta"] == {"user": "alice"}
    assert stamped[0]["seq"] == 1
    assert stamped[1] == {
        "type": "b",
        "meta": {},
        "timestamp": "t",
        "id": "00000000-0000-4000-8000-000000000002",
        "seq": 2,
    }
    assert stamped[2] == "x"


def test_a_thousand_generated_cases_agree_and_the_time_is_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["crosscheck", NOTES, "--generate", "1000"]) == 0
    out = capsys.readouterr().out
    print(out)  # the figure is reported, not asserted: the machine is shared
    assert "1000 cases, 0 differ" in out
    assert float(out.split("time: ")[1].split(" s")[0]) > 0


def test_an_event_its_schema_refuses_reaches_neither_reducer_unless_no_schema(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cents: 0.1` breaks the declared int: the server's entry refuses it, so
    crosscheck records the same refusal for both engines and folds it in neither;
    with --no-schema it reaches both reducers, whose text of 0.1 * 10 differs
    (CPython '1.0', JavaScript '1': one number type)."""
    write_package(
        elsewhere,
        "entry_items",
        ITEMS_SCHEMAS
        + """
def items_reducer(items, event):
    if event["type"] != "itemAdded":
        return items.no_change()
    payload = event["payload"]
    return items.insert({"id": payload["id"], "label": f"{payload['cents'] * 10} dimes"})
""",
    )
    cases = elsewhere / "cases.jsonl"
    events = [
        {"type": "itemAdded", "payload": {"id": "a", "cents": 0.1}},
        {"type": "itemAdded", "payload": {"id": "b", "cents": 7}},
    ]
    cases.write_text(json.dumps(events) + "\n")
    spec = "items=entry_items.reducers:items_reducer"
    assert main(["crosscheck", spec, "--cases", str(cases)]) == 0
    assert "1 cases, 0 differ" in capsys.readouterr().out
    report = crosscheck([parse_spec(spec)], [Case(1, events)])
    assert report.accepted == 1 and report.rejected == 1 and report.final_rows == 1
    assert main(["crosscheck", spec, "--cases", str(cases), "--no-schema"]) == 1
    out = capsys.readouterr().out
    assert "1 cases, 1 differ" in out and "1.0 dimes" in out
