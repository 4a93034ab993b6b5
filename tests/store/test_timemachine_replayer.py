"""The in-memory replayer (applies changesets in place) agrees with the shared pure
`reduce_state` on any log."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.store.history import Replayer, ReplayError
from shared_reducers.memory import rows_of
from tests.store.item_logs import expected_states, random_events
from tests.store.items import reducer


def stamped(events: list[dict]) -> list[dict]:
    return [
        {**e, "seq": i, "timestamp": f"2026-01-01T00:00:{i % 60:02d}.000Z"}
        for i, e in enumerate(events, start=1)
    ]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), count=st.integers(0, 60))
def test_replayer_equals_the_shared_pure_reduce_state(seed: int, count: int) -> None:
    log = stamped(random_events(seed, count))
    states = expected_states(log)
    replayer = Replayer(reducer, ["items"])
    for n, event in enumerate(log, start=1):
        replayer.apply(event)
        assert rows_of(replayer.state, "items") == rows_of(states[n], "items")


def test_replayer_never_mutates_a_row_it_handed_out() -> None:
    log = stamped(random_events(3, 40))
    replayer = Replayer(reducer, ["items"])
    seen: list[tuple[dict, dict]] = []
    for event in log:
        replayer.apply(event)
        seen.extend((row, dict(row)) for row in replayer.state["items"].values())
    assert all(row == copy for row, copy in seen)


def test_replayer_refuses_a_gap_in_the_log() -> None:
    log = stamped(random_events(3, 3))
    replayer = Replayer(reducer, ["items"])
    replayer.apply(log[0])
    with pytest.raises(ReplayError, match="expected seq 2, got 3"):
        replayer.apply(log[2])
