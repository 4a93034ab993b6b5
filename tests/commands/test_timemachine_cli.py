"""`flux at` and `flux history`, bad arguments, and how progress is shown."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from server.app.notes_store import open_notes_store
from server.cli import main
from server.store.history.progress import Bar, Lines, progress_for


async def _fill(url: str) -> list[dict]:
    store = await open_notes_store(url)
    stored = await store.dispatch(
        [
            {"type": "noteAdded", "payload": {"id": "n1", "title": "One", "text": "a"}},
            {"type": "noteAdded", "payload": {"id": "n2", "title": "Two", "text": "b"}},
            {"type": "noteRemoved", "payload": {"id": "n1"}, "meta": {"user": "bob"}},
        ]
    )
    await store.get_database().close()
    return stored


def test_flux_at_seq_json_shows_the_notes_after_that_event(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_fill(sqlite_url))
    assert main(["at", "2", "--json", "--database", sqlite_url]) == 0
    past = json.loads(capsys.readouterr().out)
    assert past["seq"] == 2
    assert [n["id"] for n in past["notes"]] == ["n1", "n2"]


def test_flux_at_a_time_prints_a_table(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    [first, *_] = asyncio.run(_fill(sqlite_url))
    assert main(["at", first["timestamp"], "--database", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("After event 3") and "n2" in out and "n1" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["at", "last tuesday"], "expected a seq"),
        (["at", "99"], "between 0 and 3"),
        (["at"], "the following arguments are required"),
        (["history", "user", "n1"], "invalid choice"),
    ],
)
def test_bad_arguments_print_usage_and_exit_2(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    asyncio.run(_fill(sqlite_url))
    with pytest.raises(SystemExit) as exit:
        main([*argv, "--database", sqlite_url])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: flux") and message in err


def test_flux_history_note_lists_events_down_to_the_deletion(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_fill(sqlite_url))
    assert main(["history", "note", "n1", "--database", sqlite_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "noteAdded" in lines[0] and "'One'" in lines[0]
    assert "noteRemoved" in lines[1] and "by bob" in lines[1] and lines[1].endswith("deleted")


def test_plain_progress_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = progress_for(stream, interval=0)
    assert isinstance(progress, Lines)
    progress.start("replaying the log", 10)
    progress.advance(4)
    progress.advance(6)
    progress.finish()
    assert stream.getvalue().splitlines() == [
        "replaying the log: 4/10 (40%)",
        "replaying the log: 10/10 (100%)",
        "replaying the log: 10/10 (100%)",
    ]


def test_plain_progress_stays_quiet_for_short_work() -> None:
    stream = io.StringIO()
    progress = progress_for(stream, interval=60)
    progress.start("replaying the log", 10)
    progress.advance(10)
    progress.finish()
    assert stream.getvalue() == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_on_a_terminal() -> None:
    stream = _Terminal()
    progress = progress_for(stream)
    assert isinstance(progress, Bar)
    progress.start("replaying the log", 4)
    progress.advance(4)
    progress.finish()
    assert "replaying the log" in stream.getvalue()
    assert "4/4" in stream.getvalue()
