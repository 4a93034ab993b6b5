"""The six natural reducers of tests/fixtures/natural_app (plain Python, as a
new developer writes it): `flux check-reducers` accepts them, their schemas
have the shape of shared_reducers/schemas.py, and in CPython they fold events
to the rows a person expects, rejecting what cannot happen and never mutating
the state they were given."""

from __future__ import annotations

import copy
import importlib
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from server.cli import main
from server.tools.casegen import generate_cases
from server.tools.crosscheck import Case, crosscheck, describe_difference, parse_spec
from server.tools.crosscheck_build import Spec
from server.tools.reducer_check import check_paths
from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected
from shared_reducers.memory import empty_state, reduce_state, row_of

PACKAGE = "tests.fixtures.natural_app"
REDUCERS = {
    # module: (collection, reducer function)
    "todos": ("todos", "todos_reducer"),
    "kanban": ("cards", "cards_reducer"),
    "chat": ("rooms", "rooms_reducer"),
    "cart": ("carts", "carts_reducer"),
    "poll": ("polls", "polls_reducer"),
    "counter": ("counters", "counters_reducer"),
}
BASIC_KINDS = {"string", "int", "bool", "list", "object"}


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def as_events(entries: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """(event type, payload[, user]) entries as the events the store hands a reducer."""
    return [
        {
            "type": kind,
            "id": f"e{number}",
            "timestamp": f"2026-01-01T00:00:{number:02d}Z",
            "payload": payload,
            "meta": {"user": user[0] if user else "ann"},
        }
        for number, (kind, payload, *user) in enumerate(entries, start=1)
    ]


def fold(name: str, events: list[tuple[Any, ...]]) -> tuple[dict[str, Any], list[str | None]]:
    """The state after the events, and per event None or the reason it was rejected."""
    collection, function = REDUCERS[name]
    root = combine_reducers({collection: getattr(module(name), function)})
    state = empty_state([collection])
    outcomes: list[str | None] = []
    for event in as_events(events):
        number = len(outcomes) + 1
        before = copy.deepcopy(state)
        try:
            after = reduce_state(root, state, event)
            outcomes.append(None)
        except EventRejected as error:
            outcomes.append(error.reason)
            after = state
        assert state == before, f"event {number} mutated the state it was given"
        state = after
    return state, outcomes


def test_flux_check_reducers_accepts_the_six(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-reducers", PACKAGE]) == 0
    assert capsys.readouterr().out == ""


def test_the_checker_sees_every_module() -> None:
    folder = module("todos").__file__
    assert folder is not None
    modules = {p.stem for p in Path(folder).parent.glob("*.py")} - {"__init__"}
    assert modules == set(REDUCERS)
    assert check_paths([Path(folder).parent]) == []


@pytest.mark.parametrize("name", sorted(REDUCERS))
def test_each_module_declares_its_schemas(name: str) -> None:
    kinds, schemas = module(name).KINDS, module(name).SCHEMAS
    for kind, (value_type, most) in kinds.items():
        assert value_type in BASIC_KINDS and isinstance(most, int), kind
    assert schemas
    for event_type, fields in schemas.items():
        for field, (kind, required) in fields.items():
            assert kind in kinds or kind in BASIC_KINDS, (event_type, field)
            assert isinstance(required, bool)


SCENARIOS: dict[str, list[tuple[Any, ...]]] = {}
"""Per reducer: (event type, payload[, user]) in order, what a person does."""
SCENARIOS["todos"] = [
    ("todoAdded", {"id": "t1", "title": "  Milk "}),
    ("todoAdded", {"id": "t1", "title": "again"}),
    ("todoAdded", {"id": "t2", "title": "   "}),
    ("todoToggled", {"id": "t1"}),
    ("todoRenamed", {"id": "t1", "title": "Oat milk"}),
    ("todoRemoved", {"id": "t9"}),
]
SCENARIOS["kanban"] = [
    ("cardAdded", {"id": "c1", "title": "Ship"}),
    ("cardMoved", {"id": "c1", "column": "doing"}),
    ("cardMoved", {"id": "c1", "column": "later"}),
    ("cardTagged", {"id": "c1", "tag": "Zeta"}),
    ("cardTagged", {"id": "c1", "tag": "alpha"}),
    ("cardTagged", {"id": "c1", "tag": "ZETA"}),
    ("cardRemoved", {"id": "c2"}),
]
SCENARIOS["chat"] = [
    ("roomOpened", {"id": "r1", "name": "Team", "members": ["bob", "", 3]}, "ann"),
    ("messagePosted", {"room": "r1", "text": " hi 😀 "}, "ann"),
    ("messagePosted", {"room": "r1", "text": "yo"}, "bob"),
    ("messagePosted", {"room": "r1", "text": "x"}, "eve"),
    ("messagesRead", {"room": "r1"}, "bob"),
    ("memberLeft", {"room": "r1"}, "ann"),
]
SCENARIOS["cart"] = [
    ("itemAdded", {"cart": "k1", "sku": "tea", "cents": 350, "quantity": 2}),
    ("itemAdded", {"cart": "k1", "sku": "mug", "cents": 999}),
    ("itemAdded", {"cart": "k1", "sku": "tea", "cents": 350}),
    ("couponApplied", {"cart": "k1", "percent": 15}),
    ("couponApplied", {"cart": "k1", "percent": 90}),
    ("quantityChanged", {"cart": "k1", "sku": "mug", "quantity": 0}),
    ("itemRemoved", {"cart": "k1", "sku": "cup"}),
]
SCENARIOS["poll"] = [
    ("pollCreated", {"id": "p1", "question": "Lunch?", "options": ["pizza", " soup"]}),
    ("pollCreated", {"id": "p2", "question": "Same?", "options": ["a", "a "]}),
    ("voteCast", {"poll": "p1", "option": "soup"}, "ann"),
    ("voteCast", {"poll": "p1", "option": "pizza"}, "ann"),
    ("voteCast", {"poll": "p1", "option": "pizza"}, "bob"),
    ("voteCast", {"poll": "p1", "option": "sushi"}, "eve"),
    ("voteWithdrawn", {"poll": "p1"}, "bob"),
    ("pollClosed", {"poll": "p1"}),
    ("voteCast", {"poll": "p1", "option": "soup"}, "bob"),
]
SCENARIOS["counter"] = [
    ("counterUndone", {"id": "c1"}),
    ("counterIncremented", {"id": "c1"}),
    ("counterIncremented", {"id": "c1", "by": 5}),
    ("counterReset", {"id": "c1"}),
    ("counterUndone", {"id": "c1"}),
    ("counterIncremented", {"id": "c1", "by": 2_000_000}),
]


def test_todos() -> None:
    state, outcomes = fold("todos", SCENARIOS["todos"])
    assert outcomes == [
        None,
        "Todo t1 already exists.",
        "A todo needs a title.",
        None,
        None,
        "Cannot remove todo t9: it does not exist.",
    ]
    assert row_of(state, "todos", "t1") == {"id": "t1", "title": "Oat milk", "done": True}


def test_kanban() -> None:
    state, outcomes = fold("kanban", SCENARIOS["kanban"])
    assert outcomes[2] == "Unknown column 'later': use one of todo, doing, done."
    assert outcomes[6] == "No card c2."
    card = row_of(state, "cards", "c1")
    assert (card["column"], card["history"], card["tags"]) == ("doing", ["todo"], ["alpha", "zeta"])


def test_chat_counts_unread_messages_per_member() -> None:
    state, outcomes = fold("chat", SCENARIOS["chat"])
    assert outcomes[3] == "eve is not a member of Team."
    room = row_of(state, "rooms", "r1")
    assert room["members"] == ["bob"]
    assert room["unread"] == {"bob": 0}
    assert [m["text"] for m in room["messages"]] == ["hi 😀", "yo"]


def test_cart_in_integer_cents() -> None:
    state, outcomes = fold("cart", SCENARIOS["cart"])
    assert outcomes[4] == "A coupon takes 1 to 50 percent, not 90."
    assert outcomes[6] == "cup is not in the cart."
    cart = row_of(state, "carts", "k1")
    # 3 teas at 3.50 = 1050 cents, 15% off = 157 (floor), 893 left
    assert (cart["subtotal"], cart["total"], cart["label"]) == (1050, 893, "8.93 (1 items)")
    assert cart["lines"] == {"tea": {"cents": 350, "quantity": 3}}


def test_poll_keeps_one_vote_per_user() -> None:
    state, outcomes = fold("poll", SCENARIOS["poll"])
    assert outcomes[1] == "A poll needs two or more different, non-empty options."
    assert outcomes[5] == "sushi is not an option of this poll."
    assert outcomes[8] == "Poll 'Lunch?' is closed."
    poll = row_of(state, "polls", "p1")
    assert (poll["votes"], poll["counts"]) == ({"ann": "pizza"}, {"pizza": 1, "soup": 0})
    assert (poll["open"], poll["winner"]) == (False, "pizza")


def test_counter_with_undo() -> None:
    state, outcomes = fold("counter", SCENARIOS["counter"])
    assert outcomes[0] == "Nothing to undo on counter c1."
    assert outcomes[5] == "A counter stays within ±1000000, not 2000006."
    assert row_of(state, "counters", "c1") == {"id": "c1", "value": 6, "history": [0, 1]}


def staged_spec(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Spec:
    """The reducer as a crosscheck spec, its package staged as a top-level one:
    crosscheck builds the whole top-level package of a module, and tests/ is
    not a reducer package."""
    folder = tmp_path / "natural_app"
    source = module(name).__file__
    assert source is not None
    shutil.copytree(Path(source).parent, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.syspath_prepend(str(tmp_path))
    for loaded in [m for m in sys.modules if m == "natural_app" or m.startswith("natural_app.")]:
        monkeypatch.delitem(sys.modules, loaded)
    collection, function = REDUCERS[name]
    return parse_spec(f"{collection}=natural_app.{name}:{function}")


CROSSCHECK_CASES = 1000


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REDUCERS))
def test_crosscheck_agrees_on_1000_generated_cases(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flux crosscheck` on 1,000 cases generated from the module's SCHEMAS (valid
    and fuzzed: missing keys, wrong types, odd Unicode, __proto__-like keys)."""
    spec = staged_spec(name, tmp_path, monkeypatch)
    events = generate_cases([spec.module], CROSSCHECK_CASES, 0)
    report = crosscheck([spec], [Case(n, case) for n, case in enumerate(events, start=1)])
    with capsys.disabled():
        print(f"\n{name}: {report.cases} cases, {len(report.differences)} differ")
    assert report.cases == CROSSCHECK_CASES
    assert report.accepted > 0 and report.rejected > 0
    first = describe_difference(report.differences[0]) if report.differences else ""
    assert report.differences == [], first


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REDUCERS))
def test_each_scenario_folds_alike_in_the_browser(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenario of each test above (valid events and the rejections a
    person meets), through the built reducer in Node: the same rejections,
    the same rows."""
    spec = staged_spec(name, tmp_path, monkeypatch)
    report = crosscheck([spec], [Case(1, as_events(SCENARIOS[name]))])
    first = describe_difference(report.differences[0]) if report.differences else ""
    assert report.rejected > 0
    assert report.differences == [], first
