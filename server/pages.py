"""The HTML pages and static files of the notes app (owned by the browser work).

`routes()` is included by `server.app`."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    return []
