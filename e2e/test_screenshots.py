"""Screenshots for the README: two users side by side, and the 390 px phone layout."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from e2e.notes_page import create_note, edit, events, note, wait_synced

SignIn = Callable[..., Page]
DOCS = Path(__file__).resolve().parent.parent / "docs"


def side_by_side(browser: Browser, left: bytes, right: bytes, path: Path) -> None:
    """Two PNGs next to each other, drawn by the browser itself (no image library)."""
    page = browser.new_page(viewport={"width": 1300, "height": 760})
    images = "".join(
        f'<figure><figcaption>{who}</figcaption><img src="data:image/png;base64,'
        f'{base64.b64encode(png).decode()}"></figure>'
        for who, png in (("ada", left), ("bob", right))
    )
    page.set_content(
        "<style>body{margin:0;display:flex;gap:20px;padding:20px;background:#c9ced8;"
        "font:600 16px system-ui}figure{margin:0}figcaption{margin-bottom:6px}"
        "img{width:620px;border-radius:8px;box-shadow:0 2px 8px #0003}</style>" + images
    )
    bottom = page.evaluate(
        "Math.max(...[...document.images].map(i => i.getBoundingClientRect().bottom))"
    )
    page.screenshot(
        path=str(path), clip={"x": 0, "y": 0, "width": 1300, "height": int(bottom) + 20}
    )
    page.close()


def test_screenshots_of_two_users_and_the_phone_layout(sign_in: SignIn, browser: Browser) -> None:
    ada, bob = sign_in("ada", width=900, height=1000), sign_in("bob", width=900, height=1000)
    create_note(ada, "Groceries", "milk, eggs, bread")
    create_note(ada, "Birthday ideas", "a kite? a book on clouds", private=True)
    expect(note(bob, "Groceries")).to_be_visible()
    create_note(bob, "Team lunch", "Friday 12:30, the Greek place")
    edit(note(bob, "Groceries"), "Text", "milk, eggs, bread, coffee")
    wait_synced(bob)
    expect(note(ada, "Groceries").get_by_label("Text")).to_have_value("milk, eggs, bread, coffee")
    expect(events(ada).first).to_contain_text("bob typed in “Groceries”")
    side_by_side(browser, ada.screenshot(), bob.screenshot(), DOCS / "two-users.png")

    phone = sign_in("ada", width=390, height=844)
    expect(note(phone, "Team lunch")).to_be_visible()
    phone.screenshot(path=str(DOCS / "phone-390.png"), full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
