"""The JSON API: dispatch events, read the notes, the event log, a note's history,
the notes as they were after any event, and the deleted notes (to restore them).

See docs/api.md for the contract.  Every read goes through the policy's
read side (`server.visibility`), every write through validation, then the
store, whose reducer checks the policy inside the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select, union_all
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.app import search
from server.app.auth import current_user, origin_allowed
from server.app.dispatching import MAX_SEQ, dispatch_for, loads
from server.app.http_errors import HttpError, error_response, json_errors
from server.app.notefacts import events_of_note
from server.app.policy import can_see
from server.app.schema import notes as notes_table
from server.app.schema import removed_notes
from server.app.services import Services, services
from server.app.users import User
from server.app.visibility import row_visible
from server.store import Event, Row
from server.store.history import OutOfRange, state_at
from server.store.sql import events_table, last_seq, row_to_event
from shared_reducers.conflicts import COPY_SEPARATOR, is_conflict_copy
from shared_reducers.memory import empty_state, reduce_state
from shared_reducers.notes_app import notes_app, nothing_to_restore
from shared_reducers.policy import may


async def _user(request: Request) -> User:
    user = await current_user(request)
    if user is None:
        raise HttpError(401, "Not signed in: sign in at /login first.")
    return user


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON; 413 past `limit` bytes, 400 when it is not JSON."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise HttpError(413, f"The body has {length} bytes; at most {limit} are allowed.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HttpError(413, f"The body is longer than {limit} bytes, the most allowed.")
    try:
        return loads(bytes(body))
    except (ValueError, RecursionError) as error:
        raise HttpError(
            400, "The body must be JSON: one event or a list of events.", str(error)
        ) from error


def _check_origin(request: Request) -> None:
    """State-changing requests must come from this server's own pages (CSRF)."""
    if not origin_allowed(request):
        raise HttpError(
            403,
            "The Origin header must name this server (cross-site requests are refused).",
            {"origin": request.headers.get("origin")},
        )


@json_errors
async def post_events(request: Request) -> Response:
    user = await _user(request)
    _check_origin(request)
    flux = services(request)
    raw = await read_json(request, flux.settings.max_body_bytes)
    return JSONResponse(await dispatch_for(flux, user, raw))


def _notes_and_seq(conn: Connection) -> tuple[list[Row], int]:
    rows = conn.execute(select(notes_table).order_by(notes_table.c.id))
    return [dict(r._mapping) for r in rows], last_seq(conn)


async def visible_notes(flux: Services, user: User) -> tuple[list[Row], int]:
    """The notes `user` may see and the log's last seq at that moment (one read)."""
    rows, seq = await flux.database.read(_notes_and_seq)
    return [row for row in rows if row_visible(user, row)], seq


@json_errors
async def get_notes(request: Request) -> Response:
    """Every visible note; with `q`, a page of the visible notes that match (docs/api.md)."""
    user = await _user(request)
    params = request.query_params
    if "q" not in params:
        if "limit" in params or "after" in params:
            raise HttpError(400, "limit and after page a search: give q=words as well.")
        notes, seq = await visible_notes(services(request), user)
        return JSONResponse({"notes": notes, "seq": seq})
    terms, limit, after = search.parse(params)
    notes, cursor, seq = await services(request).database.read(
        lambda conn: search.search_notes(conn, user.name, terms, limit, after)
    )
    return JSONResponse({"notes": notes, "seq": seq, "next": cursor})


def _int_param(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise HttpError(
            400, f"{name} must be a whole number; got {text!r:.40}.", {"field": name}
        ) from None
    if not 0 <= value <= MAX_SEQ:
        raise HttpError(
            400, f"{name} must be between 0 and {MAX_SEQ}; got {value}.", {"field": name}
        )
    return value


def _visible_events_after(
    conn: Connection, user: User, after: int, limit: int
) -> tuple[list[Event], int]:
    """One query: the database skips the events of notes `user` may not see
    (others' private notes and their copies, from the read model), so a user
    who may see little costs no decoding of everyone else's events.  Privacy
    changes all pass: Visibility.privacy_changes decides those."""
    hidden = [
        select(table.c.id).where(table.c.private.is_(True), table.c.author != user.name)
        for table in (notes_table, removed_notes)
    ]
    note_id = events_table.c.payload["id"].as_string()
    query = (
        select(events_table)
        .where(
            events_table.c.seq > after,
            or_(
                note_id.is_(None),
                events_table.c.type == "notePrivacyChanged",
                note_id.not_in(union_all(*hidden).scalar_subquery()),
            ),
        )
        .order_by(events_table.c.seq)
        .limit(limit)
    )
    found = [row_to_event(row) for row in conn.execute(query)]
    scanned = found[-1]["seq"] if len(found) == limit else last_seq(conn)
    return found, scanned


async def visible_events_after(
    flux: Services, user: User, after: int, limit: int
) -> tuple[list[Event], int]:
    """Up to `limit` visible events after `after`, and the last seq looked at."""
    return await flux.database.read(lambda conn: _visible_events_after(conn, user, after, limit))


@json_errors
async def get_events(request: Request) -> Response:
    user = await _user(request)
    flux = services(request)
    after = _int_param(request, "after", 0)
    limit = _int_param(request, "limit", flux.settings.events_page_default)
    limit = max(1, min(limit, flux.settings.events_page_max))
    last = await flux.database.last_seq()
    if after > last:
        raise HttpError(
            400,
            f"after is {after}, beyond the last event ({last}); ask for events after a seq "
            "you have seen (0 for all).",
            {"field": "after", "last": last},
        )
    events, scanned = await visible_events_after(flux, user, after, limit)
    events = await flux.visibility.with_rows(await flux.visibility.privacy_changes(user, events))
    return JSONResponse({"events": events, "scanned": scanned})


@json_errors
async def get_history(request: Request) -> Response:
    user = await _user(request)
    flux = services(request)
    note_id: str = request.path_params["note_id"]
    if not await flux.visibility.note(user, note_id):
        raise HttpError(404, f"There is no note {note_id} you may see.")
    events, before = await flux.database.read(lambda conn: _history_events(conn, note_id))
    if not events:
        raise HttpError(404, f"There is no note {note_id} you may see.")
    visible = await flux.visibility.events(user, events)
    return JSONResponse({"events": visible, "notes": notes_after(before, visible, note_id)})


def _history_events(conn: Connection, note_id: str) -> tuple[list[Event], list[Event]]:
    """The note's events, and for a conflict copy the events of its original
    before the edit that made it (the reducer needs them to make the copy)."""
    events = events_of_note(conn, note_id)
    if not is_conflict_copy(note_id) or not events:
        return events, []
    original = events_of_note(conn, note_id.split(COPY_SEPARATOR, 1)[0])
    return events, [e for e in original if e["seq"] < events[0]["seq"]]


def notes_after(before: list[Event], events: list[Event], note_id: str) -> list[Row | None]:
    """The note as it was after each of `events` (None once removed), folded in
    memory through the shared root reducer: only this note's events are read."""
    state = empty_state(notes_app.collection_names)
    for event in before:
        state = reduce_state(notes_app, state, event)
    shown: list[Row | None] = []
    for event in events:
        state = reduce_state(notes_app, state, event)
        shown.append(state["notes"].get(note_id))
    return shown


def _at_param(request: Request) -> int | None:
    """`?at=SEQ` as a whole number, None when absent (then: now)."""
    if "at" not in request.query_params:
        return None
    return _int_param(request, "at", 0)


@json_errors
async def get_state(request: Request) -> Response:
    """The notes `user` may see as they were after event `at` (default: the last one)."""
    user = await _user(request)
    flux = services(request)
    at = _at_param(request)
    try:
        past = await state_at(flux.database, flux.store.reducer, seq=at)
    except OutOfRange as error:
        raise HttpError(400, f"at: {error}", {"field": "at"}) from None
    # state_at returns every row: the same read-side rule as every other read, by the
    # note's privacy then and now (a note made private takes its history with it).
    rows = past.collections.get("notes", [])
    now = await flux.visibility.facts(str(row["id"]) for row in rows)
    notes = [
        row for row in rows if row_visible(user, row) and can_see(user, now.get(str(row["id"])))
    ]
    return JSONResponse({"seq": past.seq, "timestamp": past.timestamp, "notes": notes})


def may_restore(user: User, row: Row) -> bool:
    """What the policy will allow for a restore of this removed note (a hint for
    the page; the policy inside the dispatch decides)."""
    note = {"id": row["id"], "author": row["author"], "private": bool(row["private"])}
    return may({"name": user.name, "role": user.role}, "noteRestored", note)


def _removed_notes(conn: Connection) -> tuple[list[Row], int]:
    rows = conn.execute(select(removed_notes).order_by(removed_notes.c.id))
    return [dict(row._mapping) for row in rows], last_seq(conn)


def _removed_note(conn: Connection, note_id: str) -> Row | None:
    row = conn.execute(select(removed_notes).where(removed_notes.c.id == note_id)).first()
    return None if row is None else dict(row._mapping)


@json_errors
async def get_deleted(request: Request) -> Response:
    """The deleted notes `user` may see, each with its last content, who deleted
    it when, and whether `user` may restore it (from the read model)."""
    user = await _user(request)
    flux = services(request)
    rows, seq = await flux.database.read(_removed_notes)
    deleted = [
        {
            "row": row,
            "event": {
                "type": "noteRemoved",
                "meta": {"user": row["removedBy"]},
                "timestamp": row["removedAt"],
            },
            "restorable": may_restore(user, row),
        }
        for row in rows
        if row_visible(user, row)
    ]
    return JSONResponse({"deleted": deleted, "seq": seq})


def restore_event(note: Row, user: str) -> Event:
    """The noteRestored event that brings a removed note back with its last content."""
    return {
        "type": "noteRestored",
        "payload": {
            "id": note["id"],
            "title": note["title"],
            "text": note["text"],
            "private": bool(note["private"]),
        },
        "meta": {"user": user},
    }


@json_errors
async def post_restore(request: Request) -> Response:
    """Restore a deleted note with its last content: a noteRestored event dispatched
    as the session's user, through validation and the policy like every event."""
    user = await _user(request)
    _check_origin(request)
    flux = services(request)
    note_id: str = request.path_params["note_id"]
    note = await flux.database.read(lambda conn: _removed_note(conn, note_id))
    if note is None or not row_visible(user, note):
        raise HttpError(409, nothing_to_restore(note_id), {"id": note_id})
    return JSONResponse(await dispatch_for(flux, user, restore_event(note, user.name)))


async def not_found(request: Request) -> Response:
    return error_response(404, f"There is no API at {request.url.path}.")


def routes() -> list[BaseRoute]:
    return [
        Route("/api/events", post_events, methods=["POST"]),
        Route("/api/events", get_events, methods=["GET"]),
        Route("/api/notes", get_notes, methods=["GET"]),
        Route("/api/notes/deleted", get_deleted, methods=["GET"]),
        Route("/api/state", get_state, methods=["GET"]),
        Route("/api/notes/{note_id:path}/restore", post_restore, methods=["POST"]),
        Route("/api/notes/{note_id:path}/history", get_history, methods=["GET"]),
    ]
