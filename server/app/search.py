"""Search: `GET /api/notes?q=...&limit=&after=` answered from the search read
model (server/app/search_index.py) and the database's own full-text index.

    {"notes": [note rows], "seq": n, "next": cursor or null}

- Every word of `q` must start a word of the note's title or text (prefix
  search for as-you-type: "meet" finds "meeting"); case and accents do not
  count ("Cafe" finds "café").  Words are normalised the same way on both
  sides (server/app/search_text.py), so user text never reaches the FTS
  syntax: only letters and digits do.
- Only the notes the user may see: shared notes and the user's own private
  notes, filtered in SQL before the LIMIT.
- Newest change first (`updatedAt`, then `id`, both descending): an order
  every backend computes alike and that pages stably.
- `limit` (1..100, default 20) notes per page; `next` is an opaque cursor to
  send back as `after` for the next page, null on the last page.

Per backend, the word conditions are:
- SQLite: the FTS5 companion, `MATCH '"w1"* "w2"*'`;
- PostgreSQL: `to_tsvector('simple', body) @@ to_tsquery('simple', 'w1:* & w2:*')`
  (the GIN index's expression);
- MariaDB/MySQL: `MATCH(body) AGAINST('+w1* +w2*' IN BOOLEAN MODE)`.  InnoDB
  indexes no word shorter than 3 characters and none of its stopwords, so a
  word that is shorter, or that could be the start of a stopword ("abo" of
  "about"), is matched with `LIKE '% abo%'` on the normalised body instead
  (exact, since the body is words joined by single spaces); a query made only
  of such words scans the search table.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, literal, or_, select, text

from server.app.http_errors import HttpError
from server.app.schema import note_search, notes
from server.app.search_index import TSVECTOR, sqlite_index_name
from server.app.search_text import BadQuery, search_terms
from server.store import ConfigurationError, Row
from server.store.sql import last_seq

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 400

# InnoDB's default stopwords (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD) and
# its default innodb_ft_min_token_size / innodb_ft_max_token_size.
INNODB_STOPWORDS = frozenset(
    "a about an are as at be by com de en for from how i in is it la of on or that the this "
    "to was what when where who will with und www".split()
)
INNODB_MIN_TOKEN = 3
INNODB_MAX_TOKEN = 84


def encode_cursor(row: Mapping[str, Any]) -> str:
    raw = json.dumps([row["updatedAt"], row["id"]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated, id = json.loads(raw)
        if isinstance(updated, str) and isinstance(id, str):
            return updated, id
    except (ValueError, binascii.Error, TypeError):
        pass
    raise HttpError(
        400,
        f"after must be the `next` cursor of an earlier search page; got {cursor!r:.60}.",
        {"field": "after"},
    )


def _limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise HttpError(
            400,
            f"limit must be a whole number from 1 to {MAX_LIMIT}; got {raw!r:.40}.",
            {"field": "limit"},
        )
    return value


def _innodb_indexes(term: str) -> bool:
    """True when every word starting with `term` is in InnoDB's FULLTEXT index."""
    return INNODB_MIN_TOKEN <= len(term) <= INNODB_MAX_TOKEN and not any(
        stop.startswith(term) for stop in INNODB_STOPWORDS
    )


def _starts_a_word(term: str) -> ColumnElement[bool]:
    # `term` has only letters and digits (no LIKE wildcards); the body is words
    # joined by single spaces, so this is "some word starts with term".
    return (literal(" ") + note_search.c.body).like(f"% {term}%")


def _matches(conn: Connection, terms: list[str]) -> list[ColumnElement[bool]]:
    dialect = conn.dialect.name
    if dialect == "sqlite":
        fts = sqlite_index_name(conn)
        if fts is None:
            raise ConfigurationError(
                "The search index of note_search is missing; rebuild it with `flux replay`."
            )
        name = conn.dialect.identifier_preparer.quote(fts)
        match = " ".join(f'"{term}"*' for term in terms)
        condition = text(
            f"note_search.rowid IN (SELECT rowid FROM {name} WHERE {name} MATCH :match)"
        ).bindparams(match=match)
        return [condition]  # type: ignore[list-item]
    if dialect == "postgresql":
        query = " & ".join(f"{term}:*" for term in terms)
        vector = TSVECTOR.replace("body", "note_search.body")
        condition = text(f"{vector} @@ to_tsquery('simple'::regconfig, :tsquery)")
        return [condition.bindparams(tsquery=query)]  # type: ignore[list-item]
    indexed = [term for term in terms if _innodb_indexes(term)]
    conditions = [_starts_a_word(term) for term in terms if not _innodb_indexes(term)]
    if indexed:
        against = " ".join(f"+{term}*" for term in indexed)
        condition = text("MATCH (note_search.body) AGAINST (:against IN BOOLEAN MODE)")
        conditions.insert(0, condition.bindparams(against=against))  # type: ignore[arg-type]
    return conditions


def search_notes(
    conn: Connection, user: str, terms: list[str], limit: int, after: tuple[str, str] | None
) -> tuple[list[Row], str | None, int]:
    """A page of the notes `user` may see that match every term, newest change first;
    the cursor of the next page (None on the last) and the log's last seq."""
    seq = last_seq(conn)
    if not terms:
        return [], None, seq
    s = note_search.c
    conditions = [*_matches(conn, terms), or_(s.private == false(), s.author == user)]
    if after is not None:
        updated, id = after
        conditions.append(or_(s.updatedAt < updated, and_(s.updatedAt == updated, s.id < id)))
    query = (
        select(notes)
        .join(note_search, s.id == notes.c.id)
        .where(*conditions)
        .order_by(s.updatedAt.desc(), s.id.desc())
        .limit(limit + 1)
    )
    rows = [dict(row._mapping) for row in conn.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more else None, seq


def parse(params: Mapping[str, str]) -> tuple[list[str], int, tuple[str, str] | None]:
    """The terms, the limit and the cursor of a search request, or HttpError 400."""
    try:
        terms = search_terms(params.get("q", ""))
    except BadQuery as error:
        raise HttpError(400, str(error), {"field": "q"}) from None
    after = params.get("after")
    return terms, _limit(params), None if after is None else decode_cursor(after)
