"""shared_reducers/text_ops.py in CPython: splices, transform (TP1), carets.

Node runs the same code through tests/reducers/test_coedit_convergence.py and
tests/reducers/test_ot_differential.py.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_reducers.errors import EventRejected
from shared_reducers.text_ops import (
    apply_splices,
    compose,
    diff_splices,
    normalize,
    transform,
    transform_position,
    validate_splices,
)

EXAMPLES = int(os.environ.get("FLUX_ISO_EXAMPLES", "1000"))
ALPHABET = "ab😀é\u0301中"  # ASCII, an emoji, a combining mark, CJK


def test_splices_apply_in_order_each_on_the_text_before_it() -> None:
    assert apply_splices("hello", [[0, 1, "J"], [5, 0, "!"], [1, 4, "oy"]]) == "Joy!"


def test_positions_count_code_points() -> None:
    assert apply_splices("a😀b", [[1, 1, "🎉"]]) == "a🎉b"
    assert apply_splices("e\u0301x", [[1, 1, ""]]) == "ex"


def test_concurrent_inserts_at_one_place_keep_commit_order() -> None:
    first, second = [[2, 0, "A"]], [[2, 0, "B"]]
    after_first = apply_splices("xyz", first)
    assert apply_splices(after_first, transform(second, first, True)) == "xyABz"
    # Either way round, the one committed first stays first.
    after_second = apply_splices("xyz", second)
    assert apply_splices(after_second, transform(first, second, False)) == "xyABz"


def test_a_replacing_splice_counts_as_an_insert_at_its_position() -> None:
    first, second = [[1, 1, "R"]], [[1, 0, "i"]]
    assert apply_splices(apply_splices("abc", first), transform(second, first, True)) == "aRic"


def test_an_insert_inside_a_deleted_range_stays_at_the_deletion_point() -> None:
    deletion, insert = [[1, 4, ""]], [[3, 0, "typed"]]
    after = apply_splices("abcdef", deletion)
    assert apply_splices(after, transform(insert, deletion, True)) == "atypedf"
    after = apply_splices("abcdef", insert)
    assert apply_splices(after, transform(deletion, insert, False)) == "atypedf"


def test_overlapping_deletes_delete_the_union_once() -> None:
    one, other = [[1, 3, ""]], [[2, 3, ""]]
    after = apply_splices("abcdefg", one)
    assert transform(other, one, True) == [[1, 1, ""]]
    assert apply_splices(after, transform(other, one, True)) == "afg"


def test_the_same_delete_twice_deletes_once() -> None:
    assert transform([[1, 2, ""]], [[1, 2, ""]], True) == []


def test_transforming_against_nothing_normalizes() -> None:
    assert transform([[0, 0, "a"], [1, 0, "b"]], [], True) == [[0, 0, "ab"]]
    assert transform([], [[0, 0, "a"]], False) == []


def test_compose_is_one_list_doing_both() -> None:
    assert compose([[0, 0, "ab"]], [[2, 0, "c"]]) == [[0, 0, "abc"]]
    assert compose([[0, 0, "ab"]], [[0, 1, ""]]) == [[0, 0, "b"]]
    assert normalize([[3, 0, "x"], [0, 1, ""]]) == [[0, 1, ""], [2, 0, "x"]]


def test_a_whole_field_replacement_becomes_one_small_splice() -> None:
    assert diff_splices("hello world", "hello brave world") == [[6, 0, "brave "]]
    assert diff_splices("a😀b", "a🎉b") == [[1, 1, "🎉"]]
    assert diff_splices("same", "same") == []
    assert diff_splices("aaa", "aa") == [[2, 1, ""]]


def test_a_caret_moves_with_the_text_around_it() -> None:
    assert transform_position(3, [[0, 0, "ab"]], False) == 5
    assert transform_position(3, [[5, 0, "ab"]], False) == 3
    assert transform_position(3, [[1, 4, ""]], False) == 1  # inside a deletion: its start
    assert transform_position(3, [[0, 2, ""]], False) == 1


def test_a_caret_at_an_insert_stays_before_it_unless_it_typed_it() -> None:
    assert transform_position(2, [[2, 0, "xy"]], False) == 2
    assert transform_position(2, [[2, 0, "xy"]], True) == 4
    assert transform_position(2, [[2, 1, "😀"]], True) == 3


@pytest.mark.parametrize(
    ("value", "length", "message"),
    [
        ("x", 3, "'splices' must be a list of [at, removeCount, insertText]; got a string."),
        ([], 3, "'splices' is empty"),
        ([[0, 0]], 3, "Splice 0 must be a list [at, removeCount, insertText]; got a list."),
        ([[0, 0, ""], [-1, 0, ""]], 3, "Splice 1 needs 'at' as a whole number from 0; got -1."),
        ([[0, -2, ""]], 3, "Splice 0 needs 'removeCount' as a whole number from 0; got -2."),
        ([[0, 1.5, ""]], 3, "needs 'removeCount' as a whole number from 0; got a number."),
        ([[0, 0, 5]], 3, "needs 'insertText' as a string; got a number."),
        ([[0, 0, "a\x00"]], 3, "inserts U+0000 or a lone surrogate"),
        ([[0, 0, "\ud800"]], 3, "inserts U+0000 or a lone surrogate"),
        ([[2, 2, ""]], 3, "Splice 0 reaches character 4 of a text of 3 characters"),
        ([[0, 0, "ab"], [6, 0, ""]], 3, "Splice 1 reaches character 6 of a text of 5"),
        ([[0, 0, ""]] * 501, 3, "at most 500 splices; got 501."),
    ],
)
def test_bad_splices_are_rejected_with_a_sentence(value: object, length: int, message: str) -> None:
    with pytest.raises(EventRejected) as caught:
        validate_splices(value, length)
    assert message in caught.value.reason


def test_valid_splices_pass_as_they_are() -> None:
    splices = [[0, 0, "ab"], [5, 0, "!"], [2, 3, ""]]
    assert validate_splices(splices, 3) is splices
    assert validate_splices([[99, 1, ""]], None) == [[99, 1, ""]]  # shape only


@st.composite
def text_and_edits(draw: st.DrawFn, count: int = 2) -> tuple[str, list[list[list]]]:
    """A text and `count` concurrent edits made on it."""
    text = draw(st.text(ALPHABET, max_size=12))
    edits = []
    for _ in range(count):
        length = len(text)
        splices = []
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, length))
            removed = draw(st.integers(0, length - at))
            inserted = draw(st.text(ALPHABET, max_size=3))
            splices.append([at, removed, inserted])
            length += len(inserted) - removed
        edits.append(splices)
    return text, edits


fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@fuzz
@given(text_and_edits())
def test_tp1_both_orders_give_one_text(case: tuple[str, list[list[list]]]) -> None:
    text, (a, b) = case
    via_a = apply_splices(apply_splices(text, a), transform(b, a, True))
    via_b = apply_splices(apply_splices(text, b), transform(a, b, False))
    assert via_a == via_b


@fuzz
@given(text_and_edits())
def test_normalize_and_compose_keep_the_meaning(case: tuple[str, list[list[list]]]) -> None:
    text, (a, _) = case
    assert apply_splices(text, normalize(a)) == apply_splices(text, a)
    half = len(a) // 2
    assert apply_splices(text, compose(a[:half], a[half:])) == apply_splices(text, a)


@fuzz
@given(text_and_edits(3))
def test_a_chain_of_three_converges_like_the_server_orders_it(
    case: tuple[str, list[list[list]]],
) -> None:
    """The server commits a, then b, then c, each made on the same text."""
    text, (a, b, c) = case
    b_after = transform(b, a, True)
    c_after = transform(transform(c, a, True), b_after, True)
    server = apply_splices(apply_splices(apply_splices(text, a), b_after), c_after)
    # A page that made c sees a and b arrive and rebases its c through them.
    a_for_c = transform(a, c, False)
    b_for_c = transform(b_after, transform(c, a, True), False)
    page = apply_splices(apply_splices(apply_splices(text, c), a_for_c), b_for_c)
    assert page == server


@fuzz
@given(text_and_edits(), st.data())
def test_a_caret_stays_between_the_same_characters(
    case: tuple[str, list[list[list]]], data: st.DataObject
) -> None:
    """The caret drawn as a character that no splice removes lands where
    transform_position puts the caret, splice after splice."""
    text, (a, _) = case
    marker = "\ue000"  # not in the alphabet
    start = caret = data.draw(st.integers(0, len(text)))
    marked = text[:caret] + marker + text[caret:]
    for pos, removed, inserted in a:
        if pos >= caret:  # after the caret, and inserts at the caret go after it
            edit = [[pos + 1, removed, inserted]]
        elif pos + removed > caret:  # around the caret: keep the marker
            before = caret - pos
            edit = [[pos, before, inserted], [pos + len(inserted) + 1, removed - before, ""]]
        else:
            edit = [[pos, removed, inserted]]
        marked = apply_splices(marked, edit)
        caret = transform_position(caret, [[pos, removed, inserted]], False)
        assert marked.index(marker) == caret
    assert 0 <= transform_position(start, a, True) <= len(apply_splices(text, a))
