"""The library tests' own app: one `items` table and a small reducer.

The store is tested with this, not with the notes app, so that its tests
show what the library promises to any app.  Events and payloads:

    itemAdded    {id, text, done?}  inserts; rejected when the id exists
    itemEdited   {id, text}         sets the text, adds one to `version`
    itemToggled  {id}               flips `done`, adds one to `version`
    itemRemoved  {id}               removes the row
    itemCopied   {id}               inserts a copy named `<id>~<event id>`: a
                                    row the payload does not name

Editing, toggling, removing or copying a missing item is rejected.  Who and
when come from the event (`meta.user`, `timestamp`), never from a clock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.mysql import MEDIUMTEXT

from server.store import Changeset, Enhancer, Event, Row, Store, connect, create_store
from server.store.sql import exact_string
from shared_reducers.collection import Collection
from shared_reducers.combine import combine_reducers
from shared_reducers.errors import EventRejected

metadata = MetaData()

items = Table(
    "items",
    metadata,
    Column("id", exact_string(120), primary_key=True),
    # MariaDB's TEXT holds 65,535 bytes; the tests store 100,000 characters.
    Column("text", Text().with_variant(MEDIUMTEXT(), "mysql", "mariadb"), nullable=False),
    Column("done", Boolean, nullable=False),
    Column("author", String(100), nullable=False),
    Column("createdAt", String(24), nullable=False),
    Column("updatedAt", String(24), nullable=False),
    Column("version", Integer, nullable=False),
)


def items_reducer(items: Collection, event: Event) -> Changeset:
    kind = event.get("type")
    payload: dict[str, Any] = event.get("payload") or {}
    if kind == "itemAdded":
        if items.get(payload["id"]) is not None:
            raise EventRejected(f"Item {payload['id']} already exists.")
        return items.insert(new_item(payload["id"], payload["text"], event, payload))
    if kind == "itemEdited":
        item = existing(items, payload)
        return items.update(
            item["id"],
            {
                "text": payload["text"],
                "updatedAt": event["timestamp"],
                "version": item["version"] + 1,
            },
        )
    if kind == "itemToggled":
        item = existing(items, payload)
        changes = {"done": not item["done"], "version": item["version"] + 1}
        return items.update(item["id"], changes)
    if kind == "itemRemoved":
        return items.remove(existing(items, payload)["id"])
    if kind == "itemCopied":
        item = existing(items, payload)
        copy = new_item(f"{item['id']}~{event['id']}", item["text"], event, None)
        return items.insert({**copy, "done": item["done"]})
    return items.no_change()


def new_item(id: str, text: str, event: Event, payload: dict[str, Any] | None) -> Row:
    meta = event.get("meta") or {}
    return {
        "id": id,
        "text": text,
        "done": bool((payload or {}).get("done", False)),
        "author": meta.get("user", "anonymous"),
        "createdAt": event["timestamp"],
        "updatedAt": event["timestamp"],
        "version": 1,
    }


def existing(items: Collection, payload: dict[str, Any]) -> Row:
    item: Row | None = items.get(payload["id"])
    if item is None:
        raise EventRejected(f"Item {payload['id']} does not exist.")
    return item


reducer = combine_reducers({"items": items_reducer})


async def open_items_store(
    url: str | None = None, enhancer: Enhancer | None = None, **options: str
) -> Store:
    """The items store on `url`; also the `--app tests.store.items:open_items_store` of the CLI."""
    database = await connect(url, metadata, **options)  # type: ignore[arg-type]
    return create_store(reducer, database, enhancer)


def added(id: str, text: str = "some text", user: str = "ada", done: bool = False) -> Event:
    payload: dict[str, Any] = {"id": id, "text": text}
    if done:
        payload["done"] = True
    return {"type": "itemAdded", "payload": payload, "meta": {"user": user}}


def edited(id: str, text: str) -> Event:
    return {"type": "itemEdited", "payload": {"id": id, "text": text}}


def toggled(id: str) -> Event:
    return {"type": "itemToggled", "payload": {"id": id}}


def removed(id: str, user: str = "ada") -> Event:
    return {"type": "itemRemoved", "payload": {"id": id}, "meta": {"user": user}}


def copied(id: str) -> Event:
    return {"type": "itemCopied", "payload": {"id": id}}
