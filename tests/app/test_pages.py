"""The notes page and its static files (server/app/pages.py), against a real server."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.flux_server import Client, Server, added, running_server

INITIAL_STATE = re.compile(
    r'<script type="application/json" id="initial-state">(.*?)</script>', re.DOTALL
)


@pytest.fixture
async def server(sqlite_url: str) -> AsyncIterator[Server]:
    async with running_server(sqlite_url) as running:
        yield running


async def initial_state(client: Client) -> dict[str, Any]:
    response = await client.http.get("/")
    assert response.status_code == 200, response.text
    found = INITIAL_STATE.search(response.text)
    assert found, "the page has no #initial-state script"
    state: dict[str, Any] = json.loads(found.group(1))
    return state


async def test_signed_out_visitors_are_sent_to_the_login_page(server: Server) -> None:
    response = await server.anonymous().http.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_the_page_embeds_the_user_the_notes_and_the_last_seq(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", title="Plan"), added("n2", title="Ideas")])
    state = await initial_state(ada)
    assert state["user"] == {"name": "ada", "role": "editor"}
    assert state["seq"] == 2
    assert sorted(state["notes"]) == ["n1", "n2"]
    assert state["notes"]["n1"]["title"] == "Plan"
    assert [event["seq"] for event in state["events"]] == [1, 2]


async def test_another_users_private_note_is_not_in_the_page(server: Server) -> None:
    ada = await server.client("ada")
    bob = await server.client("bob")
    await ada.ok([added("secret", title="Surprise", private=True), added("open", title="Lunch")])
    page = (await bob.http.get("/")).text
    state = await initial_state(bob)
    assert list(state["notes"]) == ["open"]
    assert [event["payload"]["id"] for event in state["events"]] == ["open"]
    assert "Surprise" not in page
    assert list((await initial_state(ada))["notes"]) == ["open", "secret"]


async def test_user_text_cannot_end_the_state_script_or_become_markup(server: Server) -> None:
    ada = await server.client("ada")
    evil = "</script><img src=x onerror=alert(1)>"
    await ada.ok(added("n1", title=evil, text=evil))
    page = (await ada.http.get("/")).text
    assert "<img" not in page
    assert html.escape(evil, quote=True) in page or html.escape(evil) in page
    assert (await initial_state(ada))["notes"]["n1"]["title"] == evil


@pytest.mark.parametrize(
    "path",
    [
        "/static/app.js",
        "/static/app.css",
        "/static/vendor/redux.mjs",
        "/static/vendor/lit-html/lit-html.js",
        "/static/vendor/lit-html/directives/repeat.js",
    ],
)
async def test_the_page_modules_are_served(server: Server, path: str) -> None:
    response = await server.anonymous().http.get(path)
    assert response.status_code == 200, response.text
    if path.endswith("js"):
        assert response.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/lit-html/package.json",
        "/static/vendor/lit-html/../redux/package.json",
        "/static/vendor/lit-html/lit-html.js.map",
        "/static/vendor/nothing.js",
    ],
)
async def test_nothing_else_from_node_modules_is_served(server: Server, path: str) -> None:
    response = await server.anonymous().http.get(path)
    assert response.status_code == 404


async def test_a_long_list_embeds_only_the_first_screen_and_page_state_has_all(
    server: Server,
) -> None:
    from server.app.pages import FIRST_SCREEN

    ada = await server.client("ada")
    count = FIRST_SCREEN + 5
    await ada.ok([added(f"n{i:03d}", title=f"Note {i}") for i in range(count)])
    await ada.ok(added("secret", title="Mine", private=True))
    bob = await server.client("bob")
    state = await initial_state(bob)
    assert state["complete"] is False
    assert state["total"] == count
    assert state["removed_notes"] == {}
    assert len(state["notes"]) == FIRST_SCREEN
    # The newest note is ada's private one: bob's first screen skips it and is still full.
    assert "secret" not in state["notes"]
    whole = (await bob.http.get("/page-state")).json()
    assert whole["complete"] is True
    assert whole["seq"] == state["seq"] == count + 1
    assert len(whole["notes"]) == count
    assert "secret" not in whole["notes"]
    # The newest, as the page shows them (createdAt, then id, descending; the
    # page's JSON has its keys sorted, the order is the page's to make).
    assert sorted(state["notes"]) == sorted(list(whole["notes"])[:FIRST_SCREEN])
    assert "n044" in state["notes"] and "n000" not in state["notes"]
    assert (await server.anonymous().http.get("/page-state")).status_code == 401


async def test_a_short_list_is_embedded_whole(server: Server) -> None:
    ada = await server.client("ada")
    await ada.ok([added("n1", title="Plan")])
    state = await initial_state(ada)
    assert state["complete"] is True
    assert list(state["notes"]) == ["n1"]
