"""Export the log as NDJSON and import it into an empty database."""

from __future__ import annotations

import asyncio
import importlib
import io
import json

import pytest

from server.cli import main
from server.store.history import ReplayError, TransferError, export_events, import_events
from tests.store.item_logs import dispatch_in_batches, random_events
from tests.store.items import open_items_store

APP = ["--app", "tests.store.items:open_items_store"]


async def _fill(url: str, seed: int = 21, count: int = 50) -> None:
    store = await open_items_store(url)
    await dispatch_in_batches(store, random_events(seed, count), seed)
    await store.get_database().close()


async def _log_and_items(url: str) -> tuple[list[dict], list[dict]]:
    store = await open_items_store(url)
    database = store.get_database()
    found = (await database.events_after(0), await database.rows("items"))
    await database.close()
    return found


async def _export(url: str) -> str:
    store = await open_items_store(url)
    out = io.StringIO()
    await export_events(store.get_database(), out)
    await store.get_database().close()
    return out.getvalue()


async def _import(url: str, text: str) -> None:
    store = await open_items_store(url)
    try:
        await import_events(store.get_database(), store.reducer, io.StringIO(text))
    finally:
        await store.get_database().close()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_export_then_import_gives_the_identical_log_and_read_model(
    sqlite_url: str, db_url: str, tmp_path: object
) -> None:
    source = sqlite_url.replace("flux.db", "source.db")
    await _fill(source)
    text = await _export(source)
    assert len(text.splitlines()) == 50
    await _import(db_url, text)
    assert await _log_and_items(db_url) == await _log_and_items(source)


async def test_import_refuses_a_database_that_is_not_empty(sqlite_url: str) -> None:
    await _fill(sqlite_url, count=5)
    text = await _export(sqlite_url)
    with pytest.raises(TransferError, match="empty database; this one holds 5 events"):
        await _import(sqlite_url, text)
    log, _ = await _log_and_items(sqlite_url)
    assert len(log) == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(seq=7), "expected seq 3"),
        (lambda e: e.update(timestamp="2000-01-01T00:00:00.000Z"), "before the previous"),
        (lambda e: e.update(extra=1), "unexpected keys"),
        (lambda e: e.pop("id"), "has no id"),
        (lambda e: e.update(type=""), "non-empty string"),
    ],
)
async def test_a_bad_line_is_named_and_nothing_is_written(
    sqlite_url: str, change: object, message: str
) -> None:
    source = sqlite_url.replace("flux.db", "source.db")
    await _fill(source, count=5)
    lines = (await _export(source)).splitlines()
    event = json.loads(lines[2])
    change(event)  # type: ignore[operator]
    lines[2] = json.dumps(event)
    with pytest.raises(TransferError, match=f"line 3.*{message}"):
        await _import(sqlite_url, "\n".join(lines))
    assert await _log_and_items(sqlite_url) == ([], [])


def test_flux_export_and_import_through_stdout_and_stdin(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = sqlite_url.replace("flux.db", "source.db")
    asyncio.run(_fill(source, count=12))
    assert main(["export", "--database", source, *APP]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 12
    assert "exported 12 events" in captured.err
    monkeypatch.setattr("sys.stdin", io.StringIO(captured.out))
    assert main(["import", "--database", sqlite_url, *APP]) == 0
    assert capsys.readouterr().out.startswith("Imported 12 events")
    assert asyncio.run(_log_and_items(sqlite_url)) == asyncio.run(_log_and_items(source))


def test_flux_import_of_a_bad_file_exits_1_with_the_reason(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("not json\n"))
    assert main(["import", "--database", sqlite_url, *APP]) == 1
    assert "flux import: line 1 is not JSON" in capsys.readouterr().err


async def test_an_event_the_reducers_reject_stops_the_import_before_writing(
    sqlite_url: str,
) -> None:
    line = {
        "seq": 1,
        "id": "e1",
        "type": "itemRemoved",
        "payload": {"id": "never-added"},
        "timestamp": "2026-01-01T00:00:00.000Z",
    }
    with pytest.raises(ReplayError, match="seq 1"):
        await _import(sqlite_url, json.dumps(line) + "\n")
    assert await _log_and_items(sqlite_url) == ([], [])


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True)
async def test_a_rejected_event_after_batches_were_written_leaves_the_log_empty(
    sqlite_url: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Import streams and writes the log in batches inside one transaction: with
    # batches of 2, four batches are written before line 9 is rejected, and the
    # rollback takes them all back.
    monkeypatch.setattr("server.store.history.transfer.WRITE_BATCH", 2)
    source = sqlite_url.replace("flux.db", "source.db")
    await _fill(source, count=8)
    lines = (await _export(source)).splitlines()
    lines.append(
        json.dumps(
            {
                "seq": 9,
                "id": "late",
                "type": "itemRemoved",
                "payload": {"id": "never-added"},
                "timestamp": "2099-01-01T00:00:00.000Z",
            }
        )
    )
    consumed: list[int] = []

    def stream() -> object:
        for number, line in enumerate(lines, start=1):
            consumed.append(number)
            yield line

    store = await open_items_store(db_url)
    try:
        with pytest.raises(ReplayError, match="seq 9"):
            await import_events(store.get_database(), store.reducer, stream())  # type: ignore[arg-type]
    finally:
        await store.get_database().close()
    assert consumed == list(range(1, 10))
    assert await _log_and_items(db_url) == ([], [])
    await _import(db_url, "\n".join(lines[:8]))
    assert await _log_and_items(db_url) == await _log_and_items(source)


class Recorder:
    """A Reporter that keeps what it was told: [(description, total, advanced)]."""

    def __init__(self) -> None:
        self.phases: list[list] = []

    def start(self, description: str, total: int) -> None:
        self.phases.append([description, total, 0])

    def advance(self, amount: int) -> None:
        self.phases[-1][2] += amount

    def finish(self) -> None:
        pass


async def test_the_streamed_import_export_replay_and_verify_report_progress(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.store.history import replay, verify

    monkeypatch.setattr("server.store.history.transfer.WRITE_BATCH", 7)
    monkeypatch.setattr(importlib.import_module("server.store.history.replay"), "PAGE", 8)
    source = sqlite_url.replace("flux.db", "source.db")
    await _fill(source, count=30)
    lines = (await _export(source)).splitlines()
    store = await open_items_store(sqlite_url)
    database = store.get_database()
    try:
        imported = Recorder()
        report = await import_events(database, store.reducer, iter(lines), imported)
        rows = report.rows["items"]
        # A generator has no length: the total is 0 (unknown), the advances add up.
        assert imported.phases == [["importing", 0, 30], ["writing the read model", rows, rows]]
        exported = Recorder()
        await export_events(database, io.StringIO(), exported)
        assert exported.phases == [["exporting", 30, 30]]
        replayed = Recorder()
        await replay(database, store.reducer, replayed)
        assert replayed.phases == [
            ["replaying the log", 30, 30],
            ["writing the new tables", rows, rows],
        ]
        verified = Recorder()
        assert (await verify(database, store.reducer, verified)).ok
        assert verified.phases == [
            ["replaying the log", 30, 30],
            ["comparing the tables", rows, rows],
        ]
    finally:
        await database.close()


# -- repeated ids: looked up batch by batch, not kept in a set of every id --


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True)
@pytest.mark.parametrize(("first", "again"), [(2, 7), (7, 8)], ids=["across", "within"])
async def test_a_repeated_id_is_named_by_its_line_and_nothing_is_written(
    sqlite_url: str, db_url: str, monkeypatch: pytest.MonkeyPatch, first: int, again: int
) -> None:
    # Batches of 2: lines 7 and 8 share a batch; line 2 was written three batches before.
    monkeypatch.setattr("server.store.history.transfer.WRITE_BATCH", 2)
    source = sqlite_url.replace("flux.db", "source.db")
    await _fill(source, count=10)
    lines = (await _export(source)).splitlines()
    repeated = json.loads(lines[again - 1])
    repeated["id"] = json.loads(lines[first - 1])["id"]
    lines[again - 1] = json.dumps(repeated)
    with pytest.raises(TransferError, match=f"line {again}: the id .* appears twice"):
        await _import(db_url, "\n".join(lines))
    assert await _log_and_items(db_url) == ([], [])


async def test_the_first_error_is_named_whatever_its_kind(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ids are looked up a batch at a time, yet the error named is still the first
    # line's: a rejected event before a repeat, a repeat before a bad line.
    monkeypatch.setattr("server.store.history.transfer.WRITE_BATCH", 4)
    source = sqlite_url.replace("flux.db", "source.db")
    await _fill(source, count=12)
    good = (await _export(source)).splitlines()

    def changed(number: int, **values: object) -> str:
        return json.dumps({**json.loads(good[number - 1]), **values})

    first_id = json.loads(good[0])["id"]
    rejected = {"type": "itemRemoved", "payload": {"id": "never-added"}}
    lines = [*good[:5], changed(6, **rejected), changed(7, id=first_id), *good[7:]]
    with pytest.raises(ReplayError, match="seq 6"):
        await _import(sqlite_url, "\n".join(lines))
    lines = [*good[:5], changed(6, id=first_id), "not json", *good[7:]]
    with pytest.raises(TransferError, match="line 6: the id"):
        await _import(sqlite_url, "\n".join(lines))
    lines = [*good[:5], "not json", changed(7, id=first_id), *good[7:]]
    with pytest.raises(TransferError, match="line 6 is not JSON"):
        await _import(sqlite_url, "\n".join(lines))
    assert await _log_and_items(sqlite_url) == ([], [])
