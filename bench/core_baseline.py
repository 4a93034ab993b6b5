"""The baselines written by hand with SQLAlchemy Core (async): what an app
would do without the store, on the same tables and the same engine settings."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.app.schema import notes
from server.store import now_timestamp
from server.store.sql.eventlog import events_table, head_table


def note_row(id: str, text: str, user: str, timestamp: str) -> dict[str, Any]:
    return {
        "id": id,
        "title": "Bench",
        "text": text,
        "author": user,
        "private": False,
        "createdAt": timestamp,
        "updatedAt": timestamp,
        "updatedBy": user,
        "version": 1,
    }


async def logged_write(
    engine: AsyncEngine, for_update: bool, kind: str, id: str, text: str
) -> None:
    """One transaction doing the store's statements by hand: lock the log head, read
    the row, insert or update it, append the event, move the head."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(flux_write=True)
        async with conn.begin():
            query = select(head_table.c.seq, head_table.c.timestamp).where(head_table.c.id == 1)
            head = (await conn.execute(query.with_for_update() if for_update else query)).one()
            timestamp = max(now_timestamp(), head.timestamp)
            row = (await conn.execute(select(notes).where(notes.c.id == id))).first()
            if kind == "add":
                assert row is None
                await conn.execute(insert(notes).values(**note_row(id, text, "bench", timestamp)))
                payload = {"id": id, "title": "Bench", "text": text}
            else:
                assert row is not None
                await conn.execute(
                    update(notes)
                    .where(notes.c.id == id)
                    .values(
                        text=text, updatedAt=timestamp, updatedBy="bench", version=row.version + 1
                    )
                )
                payload = {"id": id, "text": text}
            seq = head.seq + 1
            await conn.execute(
                insert(events_table).values(
                    seq=seq,
                    id=str(uuid.uuid4()),
                    type="noteAdded" if kind == "add" else "noteContentEdited",
                    payload=payload,
                    meta={"user": "bench"},
                    error=False,
                    timestamp=timestamp,
                )
            )
            await conn.execute(
                update(head_table).where(head_table.c.id == 1).values(seq=seq, timestamp=timestamp)
            )


async def bare_write(engine: AsyncEngine, kind: str, id: str, text: str) -> None:
    """One transaction with just the read-model write: no log, no read, no lock."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(flux_write=True)
        async with conn.begin():
            timestamp = now_timestamp()
            if kind == "add":
                await conn.execute(insert(notes).values(**note_row(id, text, "bench", timestamp)))
            else:
                await conn.execute(
                    update(notes)
                    .where(notes.c.id == id)
                    .values(text=text, updatedAt=timestamp, updatedBy="bench")
                )


def store_event(kind: str, id: str, text: str) -> dict[str, Any]:
    if kind == "add":
        return {
            "type": "noteAdded",
            "payload": {"id": id, "title": "Bench", "text": text},
            "meta": {"user": "bench"},
        }
    return {
        "type": "noteContentEdited",
        "payload": {"id": id, "text": text},
        "meta": {"user": "bench"},
    }
