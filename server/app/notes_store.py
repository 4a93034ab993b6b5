"""The sample app's store: the notes tables and the server's root reducer, the
shared root reducer plus the search rows that follow its changes
(server/app/search_index.py; the browser runs `notes_app` alone)."""

from __future__ import annotations

from server.app.schema import metadata
from server.app.search_index import with_search
from server.store import Enhancer, Store, connect, create_store
from shared_reducers.notes_app import notes_app

reducer = with_search(notes_app)


async def open_notes_store(
    url: str | None = None, enhancer: Enhancer | None = None, **options: str
) -> Store:
    """Connect to `url` (default: FLUX_DATABASE_URL, then SQLite) and create the notes store."""
    database = await connect(url, metadata, **options)  # type: ignore[arg-type]
    return create_store(reducer, database, enhancer)
