"""The same generated sequences through the real store on SQLite: the notes
table ends up equal to the in-memory result, and the store rejects exactly
the events the in-memory reducer rejects, with the same reason.

FLUX_ISO_STORE_EXAMPLES sets how many sequences (default 120; each gets a
fresh database).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from server.app.notes_store import open_notes_store
from server.store import EventRejected, InvalidEvent, check_event
from shared_reducers.memory import empty_state, rows_of
from tests.reducers.test_isomorphism import as_browser_gets_it, sequences, step

EXAMPLES = int(os.environ.get("FLUX_ISO_STORE_EXAMPLES", "120"))
SOME_TIME = "2026-11-26T23:22:24.123Z"


def for_the_store(event: Any, number: int) -> Any:
    """What a client sends: no timestamp (the store sets it), an id chosen by
    the client (so the in-memory run knows the id a conflict copy gets)."""
    if not isinstance(event, dict):
        return event
    sent = {k: v for k, v in event.items() if k != "timestamp"}
    sent.setdefault("id", f"client-{number}")
    return sent


async def run_through_store(url: str, events: list[Any]) -> tuple[list[Any], Any, list[str]]:
    """(table rows, in-memory state, a line per event) for `events` dispatched one by one."""
    store = await open_notes_store(url)
    state = empty_state(["notes", "removed_notes"])
    used: dict[str, Any] = {}
    last_seq = 0
    story = []
    try:
        for number, event in enumerate(events):
            sent = for_the_store(event, number)
            try:
                check_event(sent)
            except InvalidEvent:
                story.append("not an event: skipped")
                continue
            earlier = used.get(sent["id"])
            if earlier is not None and not same_event(earlier, sent):
                with pytest.raises(EventRejected, match="already used by another event"):
                    await store.dispatch(sent)
                story.append("an event id used by another event: refused")
                continue
            try:
                [stored] = await store.dispatch(sent)
            except EventRejected as error:
                _, memory = step(state, {**sent, "timestamp": SOME_TIME})
                assert memory.get("rejected", {}).get("reason") == error.reason, (
                    f"the store rejected {sent} ({error.reason}) but in memory: {memory}"
                )
                story.append(f"rejected: {error.reason}")
                continue
            if stored["seq"] <= last_seq:
                story.append("a retry of a committed event id: nothing to do")
                continue
            last_seq = stored["seq"]
            used[sent["id"]] = sent
            state, memory = step(state, json.loads(json.dumps(stored)))
            assert "changeset" in memory, f"the store committed {stored} but in memory: {memory}"
            story.append(f"committed seq {last_seq}")
        rows = await store.get_database().rows("notes")
    finally:
        await store.get_database().close()
    return rows, state, story


def same_event(earlier: dict[str, Any], sent: dict[str, Any]) -> bool:
    """A retry of a committed event: the same type, payload and meta."""
    return all(earlier.get(key) == sent.get(key) for key in ("type", "payload", "meta"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sequences)
def test_the_sqlite_store_ends_where_the_in_memory_collection_ends(events: list[Any]) -> None:
    events = as_browser_gets_it(events)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'flux.db'}"
        rows, state, story = asyncio.run(run_through_store(url, events))
    assert rows == rows_of(state, "notes"), "\n".join(story)
