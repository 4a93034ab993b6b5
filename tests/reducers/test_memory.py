"""The in-memory collection: applying changesets to a state, plain or shared."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_reducers.errors import ChangesetConflict
from shared_reducers.memory import (
    FANOUT,
    MemoryCollection,
    MemoryDatabase,
    apply_changeset,
    changed_ids,
    empty_state,
    hash_of,
    ids_of,
    plain_state,
    row_count,
    row_of,
    rows_of,
    shared_state,
    with_row,
)
from tests.support.node_process import ensure_build

FORMS: dict[str, Callable[[list[str]], Any]] = {
    "plain": empty_state,
    "shared": lambda names: shared_state(empty_state(names)),
}


@pytest.fixture(params=sorted(FORMS))
def empty(request: pytest.FixtureRequest) -> Callable[[list[str]], Any]:
    return FORMS[request.param]


def insert(id: str, **values: object) -> dict:
    return {"op": "insert", "collection": "notes", "id": id, "values": {"id": id, **values}}


def update(key: str, **values: object) -> dict:
    return {"op": "update", "collection": "notes", "id": key, "values": values}


def remove(id: str) -> dict:
    return {"op": "remove", "collection": "notes", "id": id, "values": None}


# -- the same meaning in both forms -----------------------------------------------


def test_an_insert_adds_a_row(empty: Any) -> None:
    state = apply_changeset(empty(["notes"]), [insert("a", title="x")])
    assert plain_state(state) == {"notes": {"a": {"id": "a", "title": "x"}}}


def test_applying_does_not_mutate_the_old_state(empty: Any) -> None:
    before = apply_changeset(empty(["notes"]), [insert("b")])
    frozen = json.dumps(before)
    apply_changeset(before, [insert("a"), update("b", t=1), remove("a")])
    assert json.dumps(before) == frozen


def test_an_update_merges_the_values_and_keeps_the_id(empty: Any) -> None:
    state = apply_changeset(empty(["notes"]), [insert("a", t=1), update("a", id="b", t=2)])
    assert plain_state(state)["notes"] == {"a": {"id": "a", "t": 2}}


def test_a_remove_drops_the_row(empty: Any) -> None:
    state = apply_changeset(empty(["notes"]), [insert("a"), remove("a")])
    assert (plain_state(state), row_count(state, "notes")) == ({"notes": {}}, 0)


def test_inserting_an_existing_id_is_a_conflict(empty: Any) -> None:
    with pytest.raises(ChangesetConflict, match="already exists"):
        apply_changeset(empty(["notes"]), [insert("a"), insert("a")])


def test_removing_or_updating_a_missing_row_is_a_conflict(empty: Any) -> None:
    with pytest.raises(ChangesetConflict, match="no row a in notes to remove"):
        apply_changeset(empty(["notes"]), [remove("a")])
    with pytest.raises(ChangesetConflict, match="no row a in notes to update"):
        apply_changeset(empty(["notes"]), [update("a", t=1)])


def test_an_unknown_operation_is_a_conflict(empty: Any) -> None:
    with pytest.raises(ChangesetConflict, match="insert, update or remove"):
        apply_changeset(empty(["notes"]), [{**insert("a"), "op": "upsert"}])


def test_a_changeset_that_is_not_a_list_is_a_conflict(empty: Any) -> None:
    with pytest.raises(ChangesetConflict, match="must be a list"):
        apply_changeset(empty(["notes"]), {"op": "insert"})


def test_an_insert_without_values_names_the_field(empty: Any) -> None:
    with pytest.raises(ChangesetConflict, match="needs 'values' as an object"):
        apply_changeset(empty(["notes"]), [{**insert("a"), "values": None}])


def test_get_answers_a_row_or_none(empty: Any) -> None:
    state = apply_changeset(empty(["notes"]), [insert("a")])
    notes = MemoryDatabase(state).collection("notes")
    assert (notes.get("a"), notes.get("b"), notes.get(1)) == ({"id": "a"}, None, None)
    fixed = MemoryCollection("notes", state["notes"])
    assert (fixed.get("a"), fixed.get("b")) == ({"id": "a"}, None)


def test_rows_are_sorted_by_code_point(empty: Any) -> None:
    ids = ["😀", "\uffff", "b", "10", "9"]
    state = apply_changeset(empty(["notes"]), [insert(i) for i in ids])
    expected = ["10", "9", "b", "\uffff", "😀"]
    assert [row["id"] for row in rows_of(state, "notes")] == expected
    assert ids_of(state, "notes") == expected


def test_a_proto_id_is_an_ordinary_key(empty: Any) -> None:
    state = apply_changeset(empty(["notes"]), [insert("__proto__"), insert("constructor")])
    assert ids_of(state, "notes") == ["__proto__", "constructor"]
    assert row_of(state, "notes", "__proto__") == {"id": "__proto__"}


def test_a_missing_collection_reads_as_empty(empty: Any) -> None:
    state = empty(["notes"])
    assert (rows_of(state, "tags"), row_count(state, "tags"), row_of(state, "tags", "a")) == (
        [],
        0,
        None,
    )


def test_with_row_adds_or_replaces_one_row_and_keeps_the_old_state(empty: Any) -> None:
    before = apply_changeset(empty(["notes"]), [insert("a", t=1), insert("b")])
    after = with_row(with_row(before, "notes", {"id": "a", "t": 2}), "notes", {"id": "c"})
    assert rows_of(after, "notes") == [{"id": "a", "t": 2}, {"id": "b"}, {"id": "c"}]
    assert (row_count(after, "notes"), row_of(before, "notes", "a")) == (3, {"id": "a", "t": 1})
    assert row_of(after, "notes", "b") is row_of(before, "notes", "b")
    assert changed_ids(before, after, "notes") == ["a", "c"]


def test_a_plain_state_converts_both_ways() -> None:
    plain = {"notes": {"b": {"id": "b"}, "a": {"id": "a"}}, "removed_notes": {}}
    shared = shared_state(plain)
    assert isinstance(shared["notes"], list)
    assert (row_count(shared, "notes"), plain_state(shared)) == (2, plain)
    assert shared_state(shared)["notes"] is shared["notes"]


# -- structural sharing -------------------------------------------------------------


def many(count: int) -> Any:
    return apply_changeset(
        shared_state(empty_state(["notes", "tags"])), [insert(f"n{i}") for i in range(count)]
    )


def test_an_update_keeps_every_other_row_leaf_and_collection() -> None:
    before = many(500)
    after = apply_changeset(before, [update("n7", title="x")])
    assert after is not before and after["notes"] is not before["notes"]
    assert after["tags"] is before["tags"]
    assert row_of(after, "notes", "n7") is not row_of(before, "notes", "n7")
    kept = [
        i for i in range(500) if row_of(after, "notes", f"n{i}") is row_of(before, "notes", f"n{i}")
    ]
    assert kept == [i for i in range(500) if i != 7]
    # Of 32 * 32 leaves, only the one holding n7 is new.
    new_leaves = [
        (i, j)
        for i in range(FANOUT)
        for j in range(FANOUT)
        if before["notes"][1][i] is not None
        and before["notes"][1][i][j] is not after["notes"][1][i][j]
    ]
    number = hash_of("n7")
    assert new_leaves == [(number % FANOUT, (number // FANOUT) % FANOUT)]
    assert row_of(before, "notes", "n7") == {"id": "n7"}  # the old state is untouched


def test_changed_ids_names_what_was_added_replaced_or_removed() -> None:
    before = many(300)
    after = apply_changeset(before, [update("n3", t=1), remove("n40"), insert("new")])
    assert changed_ids(before, after, "notes") == ["n3", "n40", "new"]
    assert changed_ids(before, after, "tags") == []
    assert changed_ids(after, after, "notes") == []
    # from the page's first (plain) state to a shared one, every difference too
    plain = plain_state(before)
    assert changed_ids(plain, after, "notes") == ["n3", "n40", "new"]


def test_the_cost_of_an_update_does_not_grow_with_the_rows() -> None:
    """What one update copies: one leaf, two lists of FANOUT, never all rows."""
    for count in (10, 5000):
        before = many(count)
        after = apply_changeset(before, [update("n1", t=1)])
        number = hash_of("n1")
        i, j = number % FANOUT, (number // FANOUT) % FANOUT
        differing_lists = sum(
            1 for k in range(FANOUT) if before["notes"][1][k] is not after["notes"][1][k]
        )
        assert differing_lists == 1
        assert len(after["notes"][1][i][j]) <= 20  # ~count / 1024 ids per leaf
        assert row_count(after, "notes") == count


# -- against a plain dict, property-based ---------------------------------------------

ids = st.sampled_from(["a", "b", "n1", "n2", "__proto__", "😀", "\uffff", "é", "x" * 40, ""])
operations = st.lists(
    st.tuples(st.sampled_from(["insert", "update", "remove"]), ids, st.integers(0, 3)),
    max_size=40,
)


@given(operations)
def test_the_shared_form_behaves_as_a_dict(steps: list[tuple[str, str, int]]) -> None:
    model: dict[str, dict] = {}
    state = shared_state(empty_state(["notes"]))
    for kind, id, value in steps:
        op = {"op": kind, "collection": "notes", "id": id, "values": {"id": id, "v": value}}
        before = state
        frozen = json.dumps(before)
        try:
            state = apply_changeset(state, [op])
        except ChangesetConflict:
            assert (kind == "insert") == (id in model)
            assert state is before
            continue
        if kind == "insert":
            model[id] = {"id": id, "v": value}
        elif kind == "update":
            model[id] = {**model[id], "v": value}
        else:
            del model[id]
        assert json.dumps(before) == frozen
        assert changed_ids(before, state, "notes") == [id]
    assert rows_of(state, "notes") == [model[id] for id in sorted(model)]
    assert row_count(state, "notes") == len(model)
    assert all(row_of(state, "notes", id) == model.get(id) for id in ["a", "😀", "zz"])


# -- the same states in JavaScript --------------------------------------------------

NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
const m = await import(process.argv[1]);
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map((ops) => {
  let state = m.shared_state(m.empty_state(['notes']));
  const steps = [];
  for (const op of ops) {
    const before = state;
    try { state = m.apply_changeset(state, [op]); } catch (e) { steps.push('conflict'); continue; }
    steps.push(m.changed_ids(before, state, 'notes'));
  }
  return { state, steps, rows: m.rows_of(state, 'notes'), count: m.row_count(state, 'notes') };
});
process.stdout.write(JSON.stringify(out));
"""


def random_case(rng: random.Random) -> list[dict]:
    pool = ["a", "n1", "n2", "__proto__", "😀x", "x😀", "\ud7ff", "日本", "constructor", "toString"]
    pool += [f"n{rng.randrange(5000)}" for _ in range(4)]
    return [
        {
            "op": rng.choice(["insert", "insert", "update", "remove"]),
            "collection": "notes",
            "id": rng.choice(pool),
            "values": {"id": "?", "v": rng.randrange(10)},
        }
        for _ in range(rng.randrange(1, 30))
    ]


def python_side(ops: list[dict]) -> dict:
    state = shared_state(empty_state(["notes"]))
    steps: list[Any] = []
    for op in ops:
        before = state
        try:
            state = apply_changeset(state, [op])
        except ChangesetConflict:
            steps.append("conflict")
            continue
        steps.append(changed_ids(before, state, "notes"))
    return {
        "state": state,
        "steps": steps,
        "rows": rows_of(state, "notes"),
        "count": row_count(state, "notes"),
    }


def test_node_builds_the_same_shared_states_as_cpython() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node is needed for this test; install Node 20.")
    rng = random.Random(14)
    cases = [random_case(rng) for _ in range(300)]
    entry = ensure_build().resolve().as_uri()
    answer = subprocess.run(
        [node, "--input-type=module", "-e", NODE_SCRIPT, entry],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    in_node = json.loads(answer.stdout)
    for ops, theirs in zip(cases, in_node, strict=True):
        ours = python_side(ops)
        assert json.dumps(theirs, sort_keys=True) == json.dumps(ours, sort_keys=True), ops
