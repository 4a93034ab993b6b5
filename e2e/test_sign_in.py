"""Signing up, signing in and out, with clear errors."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import PASSWORD
from e2e.notes_page import status


def test_a_new_user_signs_up_and_lands_in_the_app(visitor: Page) -> None:
    visitor.goto("/signup")
    visitor.get_by_label("Username").fill("newcomer")
    visitor.get_by_label("Password").fill("a long enough password")
    visitor.get_by_role("button", name="Sign up").click()
    expect(status(visitor)).to_contain_text("Live")
    expect(visitor.get_by_text("Signed in as newcomer")).to_be_visible()
    expect(visitor.get_by_role("button", name="New note")).to_be_enabled()


def test_a_bad_user_name_is_explained_on_the_sign_up_page(visitor: Page) -> None:
    visitor.goto("/signup")
    visitor.get_by_label("Username").fill("no spaces please")
    visitor.get_by_label("Password").fill("a long enough password")
    visitor.get_by_role("button", name="Sign up").click()
    expect(visitor.get_by_role("alert")).to_be_visible()
    expect(visitor.get_by_label("Username")).to_have_value("no spaces please")


def test_a_wrong_password_is_explained_and_sign_out_works(visitor: Page) -> None:
    visitor.goto("/login")
    visitor.get_by_label("Username").fill("ada")
    visitor.get_by_label("Password").fill("not the password")
    visitor.get_by_role("button", name="Sign in").click()
    expect(visitor.get_by_role("alert")).to_contain_text("Wrong username or password")

    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_role("button", name="Sign in").click()
    expect(status(visitor)).to_contain_text("Live")
    visitor.get_by_role("button", name="Sign out").click()
    expect(visitor.get_by_role("heading", name="Sign in")).to_be_visible()
