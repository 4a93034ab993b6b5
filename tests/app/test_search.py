"""Search: GET /api/notes?q= on SQLite, PostgreSQL and MariaDB, through a real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from server.app.app import open_store
from server.app.notes_store import open_notes_store, reducer
from server.app.search_text import index_text, normalize, search_terms
from server.cli import main
from server.store import ConfigurationError
from server.store.history import verify
from tests.support.flux_server import (
    Client,
    Server,
    added,
    content_edited,
    removed,
    restored,
    running_server,
    spliced,
    title_edited,
)


@pytest.fixture
async def server(db_url: str) -> AsyncIterator[Server]:
    async with running_server(db_url) as running:
        yield running


async def found(client: Client, q: str, **params: Any) -> list[str]:
    response = await client.http.get("/api/notes", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [note["id"] for note in response.json()["notes"]]


def test_normalising_drops_accents_case_and_punctuation() -> None:
    assert normalize("Café, DÉJÀ-vu! Straße ﬁne") == "cafe deja vu strasse fine"
    assert index_text("Über", "naïve x_y") == "uber naive x y"
    assert search_terms('"CAFE" OR * cafe -x:*') == ["cafe", "or", "x"]
    assert search_terms("?!... ") == []


async def test_title_and_text_match_whatever_the_case_and_accents(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok(
        [
            added("n1", "Café menu", "espresso"),
            added("n2", "Shopping", "Crème brûlée for the CAFÉ"),
            added("n3", "Other", "nothing here"),
        ]
    )
    assert sorted(await found(ada, "Cafe")) == ["n1", "n2"]
    assert sorted(await found(ada, "café")) == ["n1", "n2"]
    assert await found(ada, "creme BRULEE") == ["n2"]
    assert await found(ada, "espresso menu") == ["n1"]
    assert await found(ada, "espresso shopping") == []
    response = await ada.http.get("/api/notes", params={"q": "menu"})
    assert response.json() == {
        "notes": [(await ada.notes())["n1"]],
        "seq": 3,
        "next": None,
    }


async def test_a_word_is_a_prefix_for_as_you_type(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", "Meeting", "about the agenda"), added("n2", "Meat", "go to it")])
    assert await found(ada, "meet") == ["n1"]
    assert sorted(await found(ada, "me")) == ["n1", "n2"]
    assert await found(ada, "meeting abo") == ["n1"]  # "about" is a MariaDB stopword
    assert await found(ada, "the agen") == ["n1"]
    assert await found(ada, "go") == ["n2"]  # shorter than MariaDB's shortest indexed word
    assert await found(ada, "meetings") == []


async def test_private_notes_of_others_are_never_found(server: Server) -> None:
    ada = await server.client("ada")
    bob = await server.client("bob")
    # One dispatch, one timestamp: "z-secret" comes first (newest, then id descending).
    await ada.ok([added("a-shared", "Shared plan"), added("z-secret", "Secret plan", private=True)])
    await bob.ok(added("mine", "Bob's private idea", private=True))
    assert await found(ada, "plan") == ["z-secret", "a-shared"]
    assert await found(bob, "plan") == ["a-shared"]
    assert await found(bob, "plan", limit=1) == ["a-shared"]  # filtered before the LIMIT
    assert await found(bob, "secret") == []
    assert await found(bob, "idea") == ["mine"]
    assert await found(ada, "idea") == []


async def test_removed_notes_disappear_and_restored_ones_come_back(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok(added("n1", "Budget", "numbers"))
    await ada.ok(removed("n1"))
    assert await found(ada, "budget") == []
    await ada.ok(restored("n1"))  # comes back as title "Back", text "again"
    assert await found(ada, "back again") == ["n1"]
    assert await found(ada, "budget") == []


async def test_edits_and_splices_are_searched_as_the_note_now_is(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok(added("n1", "Draft", "hello world"))
    await ada.ok(title_edited("n1", "Final"))
    assert (await found(ada, "final"), await found(ada, "draft")) == (["n1"], [])
    await ada.ok(content_edited("n1", "goodbye world", base=2))
    assert (await found(ada, "goodbye"), await found(ada, "hello")) == (["n1"], [])
    await ada.ok(spliced("n1", "text", 3, [[0, 7, "Résumé"]]))
    assert (await found(ada, "resume world"), await found(ada, "goodbye")) == (["n1"], [])


async def test_pages_follow_the_next_cursor_newest_first(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added(f"n{i}", f"Report {i}") for i in range(5)])
    await ada.ok([added("other", "Unrelated"), title_edited("n1", "Report one, edited")])
    pages: list[list[str]] = []
    params: dict[str, Any] = {"q": "report", "limit": 2}
    while True:
        body = (await ada.http.get("/api/notes", params=params)).json()
        pages.append([note["id"] for note in body["notes"]])
        if body["next"] is None:
            break
        params["after"] = body["next"]
    assert pages == [["n1", "n4"], ["n3", "n2"], ["n0"]]


# Queries that mean something to FTS5, tsquery or MATCH ... AGAINST, or to LIKE.
# One server per backend takes them all (they only read): 3 servers, not 51.
FTS_SYNTAX = [
    '"',
    '"cafe',
    "cafe*",
    "cafe OR x",
    "NEAR(cafe x)",
    "cafe:*",
    "'cafe'",
    "+cafe -x",
    "(cafe)",
    "cafe & !x | y",
    "caf\\",
    "%",
    "_",
    "c%fe",
    "body:cafe",
    "^cafe",
    "@@",
]


async def test_fts_syntax_in_q_is_only_text(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", "Café"), added("n2", "x y or near body")])
    for q in FTS_SYNTAX:
        response = await ada.http.get("/api/notes", params={"q": q})
        assert response.status_code == 200, (q, response.text)
        ids = {note["id"] for note in response.json()["notes"]}
        words = search_terms(q)
        assert ids == {
            i
            for i, body in (("n1", "cafe"), ("n2", "x y or near body"))
            if words and all(any(word.startswith(term) for word in body.split()) for term in words)
        }, q


BAD_QUERIES = [
    ({"q": "x" * 201}, "q"),
    ({"q": " ".join(f"w{i}" for i in range(17))}, "q"),
    ({"q": "x", "limit": "0"}, "limit"),
    ({"q": "x", "limit": "101"}, "limit"),
    ({"q": "x", "limit": "ten"}, "limit"),
    ({"q": "x", "after": "not a cursor"}, "after"),
    ({"q": "x", "after": "W10"}, "after"),  # base64 of []
    ({"limit": "5"}, None),
    ({"after": "x"}, None),
]


async def test_bad_input_is_a_400_that_says_why(server: Server) -> None:
    ada = await server.client("ada")
    for query, field in BAD_QUERIES:
        response = await ada.http.get("/api/notes", params=query)
        assert response.status_code == 400, (query, response.text)
        body = response.json()
        assert body["error"], query
        assert (body["detail"] or {}).get("field") == field, (query, body)


async def test_a_query_without_words_finds_nothing(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok(added("n1"))
    for q in ["", "   ", "?!.,;"]:
        response = await ada.http.get("/api/notes", params={"q": q})
        assert response.json() == {"notes": [], "seq": 1, "next": None}


async def test_replay_builds_the_search_table_for_an_existing_log(db_url: str) -> None:
    store = await open_notes_store(db_url)
    await store.dispatch([added("n1", "Kept café"), added("n2", "Gone"), removed("n2")])
    async with store.get_database().engine.begin() as conn:
        await conn.execute(text("DROP TABLE note_search"))
    await store.get_database().close()

    with pytest.raises(ConfigurationError, match=r"'note_search': 'the whole table'"):
        await open_store(db_url)

    assert await asyncio.to_thread(main, ["replay", "--database", db_url]) == 0
    async with running_server(db_url) as server:
        ada = await server.client("ada")
        assert await found(ada, "cafe") == ["n1"]
        assert await found(ada, "gone") == []
        await ada.ok(added("n3", "Another café"))
        assert sorted(await found(ada, "cafe")) == ["n1", "n3"]
        assert (await verify(server.flux.database, reducer)).ok
        assert await asyncio.to_thread(main, ["replay", "--database", db_url]) == 0
        assert sorted(await found(ada, "cafe")) == ["n1", "n3"]  # the live index after a swap


async def test_sqlite_keeps_one_fts_index_across_replays(sqlite_url: str) -> None:
    store = await open_notes_store(sqlite_url)
    await store.dispatch(added("n1", "Café"))
    await store.get_database().close()
    for _ in range(2):
        assert await asyncio.to_thread(main, ["replay", "--database", sqlite_url]) == 0
    store = await open_store(sqlite_url)  # drops the index the last swap left behind
    try:
        async with store.get_database().engine.connect() as conn:
            names = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
            )
            [fts] = [name for (name,) in names]
        rows = await store.get_database().read(
            lambda c: c.exec_driver_sql(
                f'SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH \'cafe\''
            ).all()
        )
        assert len(rows) == 1
    finally:
        await store.get_database().close()
