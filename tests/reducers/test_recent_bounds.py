"""The `recent` tail's bounds (shared_reducers/notes.py `bounded`): the fast
path and the exact walk keep exactly what the documented rule keeps."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared_reducers.notes import ENTRY_OVERHEAD, bounded


def documented(recent: list[Any], entry: Any, max_recent: int, max_bytes: int) -> list[Any]:
    """The rule of the module's docstring, written plainly: the newest entries
    that fit both bounds (the oldest go first; an entry bigger than the whole
    bound leaves the tail empty)."""
    entries = [*recent, entry]
    kept: list[Any] = []
    total = 0
    for each in reversed(entries):
        size = ENTRY_OVERHEAD + sum(
            ENTRY_OVERHEAD + len(splice[2].encode("utf-8")) for splice in each[2]
        )
        if len(kept) + 1 > max_recent or total + size > max_bytes:
            break
        kept.insert(0, each)
        total += size
    return kept


texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
entries = st.builds(
    lambda version, field, inserted: [version, field, [[0, 0, text] for text in inserted]],
    st.integers(1, 1000),
    st.sampled_from(["title", "text"]),
    st.lists(texts, max_size=3),
)


@given(st.lists(entries, max_size=30), entries, st.integers(0, 32), st.integers(0, 600))
def test_bounded_keeps_what_the_documented_rule_keeps(
    recent: list[Any], entry: Any, max_recent: int, max_bytes: int
) -> None:
    before = [list(each) for each in recent]
    assert bounded(recent, entry, [max_recent, max_bytes]) == documented(
        recent, entry, max_recent, max_bytes
    )
    assert recent == before  # the row's tail is never changed in place


def test_a_tail_within_the_bounds_gains_the_entry_as_a_new_list() -> None:
    recent = [[1, "text", [[0, 0, "é"]]]]
    after = bounded(recent, [2, "text", []], [200, 65536])
    assert (after, after is recent, recent) == (
        [[1, "text", [[0, 0, "é"]]], [2, "text", []]],
        False,
        [[1, "text", [[0, 0, "é"]]]],
    )


def test_multibyte_text_is_counted_exactly_when_the_upper_bound_does_not_fit() -> None:
    # 3 entries of 16 + 16 + 3 bytes ("€" is 3 bytes): 105 fit in 105, the upper bound would not.
    recent = [[1, "text", [[0, 0, "€"]]], [2, "text", [[0, 0, "€"]]]]
    entry = [3, "text", [[0, 0, "€"]]]
    assert bounded(recent, entry, [10, 105]) == [*recent, entry]
    assert bounded(recent, entry, [10, 104]) == [recent[1], entry]
