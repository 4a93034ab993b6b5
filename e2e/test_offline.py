"""Edits made while the server is down are kept, shown as unsynced, and sent later."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from e2e.conftest import db_notes
from e2e.notes_page import create_note, edit, note, status, wait_synced
from e2e.server_process import FluxServer

SignIn = Callable[..., Page]


def test_edits_while_the_server_is_down_reach_the_other_user_after_reconnect(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada, bob = sign_in("ada"), sign_in("bob")
    create_note(ada, "Trip", "tickets")
    expect(note(bob, "Trip")).to_be_visible()

    server.stop()
    expect(status(ada)).to_contain_text("Offline")
    edit(note(ada, "Trip"), "Text", "tickets, passport")
    edit(note(ada, "Trip"), "Title", "Trip to Rome")
    expect(status(ada)).to_contain_text("2 unsynced changes")
    expect(note(ada, "Trip to Rome").get_by_label("Text")).to_have_value("tickets, passport")

    server.start()
    wait_synced(ada)
    expect(note(bob, "Trip to Rome").get_by_label("Text")).to_have_value("tickets, passport")
    assert list(db_notes(server).values()) == [("Trip to Rome", "tickets, passport")]


def test_leaving_the_page_with_unsynced_changes_asks_first(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada = sign_in("ada")
    create_note(ada, "Draft")
    wait_synced(ada)
    server.stop()
    edit(note(ada, "Draft"), "Text", "not saved yet")
    expect(status(ada)).to_contain_text("1 unsynced change")

    dialogs = []
    ada.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    ada.close(run_before_unload=True)
    expect(note(ada, "Draft")).to_be_visible()
    assert dialogs == ["beforeunload"]


def test_a_reconnect_without_a_session_says_so_and_keeps_the_changes(
    sign_in: SignIn, server: FluxServer
) -> None:
    ada = sign_in("ada")
    create_note(ada, "Notes to self")
    wait_synced(ada)
    server.stop()
    edit(note(ada, "Notes to self"), "Text", "kept while signed out")
    ada.context.clear_cookies()
    server.start()

    expect(ada.get_by_role("alert")).to_contain_text("sign in again")
    expect(status(ada)).to_contain_text("1 unsynced change")
    expect(note(ada, "Notes to self").get_by_label("Text")).to_have_value("kept while signed out")
