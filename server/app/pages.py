"""The HTML pages and static files of the notes app (owned by the browser work).

`routes()` is included by `server.app`:

- `GET /`: the notes page, rendered on the server with the first screen of
  the notes the user may see (the newest `FIRST_SCREEN`, in display order) and
  the log's last seq embedded as JSON (`#initial-state`); signed out -> 303
  /login.  When every note and removed note fits, the page carries them all
  (`"complete": true`) and starts without a second request; otherwise
  (`"complete": false`) it fetches the rest:
- `GET /page-state`: what the page starts from, whole: every note and removed
  note the user may see, the last seq and the recent events, from one read
  (so they match); the page connects its websocket after that seq.
- `/static/...`: the browser modules (`web/`, the transpiled reducers in
  `web/build/`) and the two npm packages the page imports, exposed through
  the page's import map.  Only the files the page needs are served from
  `node_modules/`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, false, func, or_, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server.app.assets import NODE_MODULES, ROOT, WEB
from server.app.auth import current_user
from server.app.schema import notes, removed_notes
from server.app.services import services
from server.app.users import User
from server.app.visibility import row_visible
from server.store import Event, Row
from server.store.sql import last_seq, read_after

REDUX = NODE_MODULES / "redux" / "dist" / "redux.browser.mjs"
LIT_HTML = NODE_MODULES / "lit-html"
LIT_HTML_FILE = re.compile(r"^(directives/)?[a-z][a-z-]*\.js$")

IMPORT_MAP = {
    "imports": {
        "redux": "/static/vendor/redux.mjs",
        "lit-html": "/static/vendor/lit-html/lit-html.js",
        "lit-html/": "/static/vendor/lit-html/",
    }
}


RECENT_EVENTS = 30
RECENT_WINDOW = 200
# Notes in the first HTML: more than a tall screen shows (the page renders about 40 cards).
FIRST_SCREEN = 40


def read_snapshot(conn: Connection) -> tuple[int, list[Row], list[Row], list[Event]]:
    """The last seq, every note, every removed note and the last events of the
    log, in one transaction so they match."""
    seq = last_seq(conn)
    # fetched whole: row by row, each fetch is a hop to the driver's thread
    rows = [dict(row) for row in conn.execute(select(notes)).mappings().all()]
    removed = [dict(row) for row in conn.execute(select(removed_notes)).mappings().all()]
    recent = read_after(conn, max(0, seq - RECENT_WINDOW))
    return seq, rows, removed, recent


async def initial_state(request: Request, user: User) -> dict[str, Any]:
    """What the page embeds: the user, the notes and removed notes they may see,
    the last seq, and the recent events they may see (oldest first) for the
    events panel."""
    flux = services(request)
    seq, rows, removed, recent = await flux.database.read(read_snapshot)
    visible = [row for row in rows if row_visible(user, row)]
    visible.sort(key=lambda row: (row["createdAt"], row["id"]), reverse=True)
    events = await flux.visibility.events(user, recent)
    return {
        "user": user.as_json(),
        "seq": seq,
        "notes": {row["id"]: row for row in visible},
        # The shared root reducer reads them: a restore on the page is checked
        # against the removed note, as on the server.
        "removed_notes": {row["id"]: row for row in removed if row_visible(user, row)},
        "events": events[-RECENT_EVENTS:],
    }


def read_first_screen(user: User) -> Any:
    """A read of what the first HTML needs: the last seq, the newest FIRST_SCREEN
    notes `user` may see (display order; the database sorts and stops there), how
    many notes they may see and how many removed notes there are, and the last
    events of the log.  One transaction; no other note is read."""

    def read(conn: Connection) -> tuple[int, list[Row], int, int, list[Event]]:
        seq = last_seq(conn)
        visible = or_(notes.c.private == false(), notes.c.author == user.name)
        total = conn.execute(select(func.count()).select_from(notes).where(visible)).scalar_one()
        removed = conn.execute(select(func.count()).select_from(removed_notes)).scalar_one()
        newest = (
            select(notes)
            .where(visible)
            .order_by(notes.c.createdAt.desc(), notes.c.id.desc())
            .limit(FIRST_SCREEN)
        )
        rows = [dict(row._mapping) for row in conn.execute(newest)]
        recent = read_after(conn, max(0, seq - RECENT_WINDOW))
        return seq, rows, int(total), int(removed), recent

    return read


async def first_screen(request: Request, user: User) -> dict[str, Any]:
    """The state for the first HTML: all of it when every note and removed note
    fits (`complete`), else the newest FIRST_SCREEN notes and no removed notes."""
    flux = services(request)
    seq, rows, total, removed, recent = await flux.database.read(read_first_screen(user))
    if total <= FIRST_SCREEN and removed <= FIRST_SCREEN:
        return {**(await initial_state(request, user)), "complete": True}
    events = await flux.visibility.events(user, recent)
    return {
        "user": user.as_json(),
        "seq": seq,
        "notes": {row["id"]: row for row in rows if row_visible(user, row)},
        "removed_notes": {},
        "events": events[-RECENT_EVENTS:],
        "complete": False,
        "total": total,
    }


async def notes_page(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    state = await first_screen(request, user)
    response: Response = services(request).templates.TemplateResponse(
        request,
        "notes.html",
        {
            "user": state["user"],
            "notes": list(state["notes"].values()),
            "initial_state": state,
            "import_map": IMPORT_MAP,
        },
        headers={"Cache-Control": "no-store"},
    )
    return response


async def page_state(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return JSONResponse({"error": "Not signed in: sign in at /login first."}, status_code=401)
    state = await initial_state(request, user)
    return JSONResponse({**state, "complete": True}, headers={"Cache-Control": "no-store"})


async def redux(request: Request) -> Response:
    return _vendor_file(REDUX)


async def lit_html(request: Request) -> Response:
    path = request.path_params["path"]
    if not LIT_HTML_FILE.match(path):
        raise HTTPException(
            404, f"/static/vendor/lit-html/{path} is not one of lit-html's modules."
        )
    return _vendor_file(LIT_HTML / path)


def _vendor_file(path: Path) -> Response:
    if not path.is_file():
        raise HTTPException(
            404,
            f"{path.relative_to(ROOT)} is missing; run `npm ci` (or `make run`) to install it.",
        )
    return FileResponse(path, media_type="text/javascript")


def routes() -> list[BaseRoute]:
    return [
        Route("/", notes_page, methods=["GET"], name="notes"),
        Route("/page-state", page_state, methods=["GET"]),
        Route("/static/vendor/redux.mjs", redux, methods=["GET"]),
        Route("/static/vendor/lit-html/{path:path}", lit_html, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(WEB), check_dir=False), name="static"),
    ]
