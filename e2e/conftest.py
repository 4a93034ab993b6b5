"""Fixtures of the browser tests: a real `flux serve`, real Chromium, signed-in pages.

Chromium is Debian's (`/usr/bin/chromium`, installed by .ci/ensure-chromium),
launched through `executable_path` because Playwright cannot download its
own browsers here.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.server_process import FluxServer

CHROMIUM = os.environ.get("FLUX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct horse battery"

# CI shares two cores with the servers and the rest of the suite: wait up to 10 s
# for a page to reach an expected state (the "within 2 s" checks set their own).
expect.set_options(timeout=10_000)
USERS = {"ada": "editor", "bob": "editor", "vic": "viewer"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests `e2e` and run them last: once Playwright's sync API
    has started, its event loop counts as running in the main thread, and the
    asyncio tests of tests/ could not start their own."""
    here = Path(__file__).parent
    browser, others = [], []
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            browser.append(item)
        else:
            others.append(item)
    items[:] = others + browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; run .ci/ensure-chromium (or set FLUX_CHROMIUM).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def seeded_users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with ada and bob (editors) and vic (viewer), added once per run
    through `flux users add` (three processes a test were a third of e2e's time)."""
    seed = FluxServer(tmp_path_factory.mktemp("seeded-users"))
    for name, role in USERS.items():
        seed.add_user(name, PASSWORD, role)
    return seed.database_path


@pytest.fixture
def server(tmp_path: Path, seeded_users: Path) -> Iterator[FluxServer]:
    """A fresh copy of the database with ada, bob and vic, served by `flux serve`."""
    flux = FluxServer(tmp_path)
    flux.copy_database(seeded_users)
    flux.start()
    yield flux
    flux.stop()


@pytest.fixture
def sign_in(browser: Browser, server: FluxServer) -> Iterator[Callable[..., Page]]:
    """`sign_in("ada")` -> a page of a new browser context, signed in, live.

    An uncaught script error in any of the pages fails the test."""
    contexts = []
    errors: list[str] = []

    def open_page(name: str, width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(
            base_url=server.url, viewport={"width": width, "height": height}
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{name}: {error}"))
        page.goto("/login")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("status")).to_contain_text("Live")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], "the page threw uncaught errors"


@pytest.fixture
def visitor(browser: Browser, server: FluxServer) -> Iterator[Page]:
    """A page of a new browser context, signed out.  (pytest-playwright's own `page`
    fixture pulls in pytest-base-url, whose fixture warns under pytest 9.)"""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def db_notes(server: FluxServer) -> dict[str, tuple[str, str]]:
    """id -> (title, text) straight from the server's SQLite file."""
    path = server.database_url.split("///", 1)[1]
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT id, title, text FROM notes").fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def db_event_count(server: FluxServer, event_type: str) -> int:
    path = server.database_url.split("///", 1)[1]
    with closing(sqlite3.connect(path)) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM events WHERE type = ?", (event_type,)
        ).fetchone()
    return int(count)
