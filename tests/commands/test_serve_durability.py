"""`flux serve --sqlite-synchronous` sets FLUX_SQLITE_SYNCHRONOUS, which connect()
reads when the app opens its database (moved from the library's durability
tests: `flux serve` serves the notes app)."""

from __future__ import annotations

import os

import pytest

from server.cli import main
from server.commands import serve


def test_flux_serve_passes_sqlite_synchronous_to_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLUX_SQLITE_SYNCHRONOUS", "FULL")  # restored after the test
    chosen: list[str | None] = []

    async def fake_serve(*_args: object) -> None:
        chosen.append(os.environ.get("FLUX_SQLITE_SYNCHRONOUS"))

    monkeypatch.setattr(serve, "serve", fake_serve)
    monkeypatch.setattr(serve.logging, "basicConfig", lambda **_: None)
    assert main(["serve", "--sqlite-synchronous", "NORMAL"]) == 0
    assert chosen == ["NORMAL"]
