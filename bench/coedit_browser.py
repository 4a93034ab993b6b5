"""The coedit scenario in real Chromium: two signed-in pages (two browser
contexts) type into one note's Text at once; page B records when each of
page A's characters shows in its textarea.

Each keystroke is `keyboard.insert_text` of a character nobody else types;
page A stamps it on its `beforeinput` event, page B polls its textarea every
4 ms for new characters (the page sets `value` itself, so no event fires).
Both stamps are `performance.timeOrigin + performance.now()` in one browser.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("FLUX_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

INSTRUMENT = """([el, mine, theirs]) => {
  const now = () => performance.timeOrigin + performance.now();
  const inRange = (c, start) => c >= start && c < start + 10000;
  window.__typed = {};
  window.__seen = {};
  el.addEventListener('beforeinput', (e) => {
    if (e.data) for (const ch of e.data) window.__typed[ch] = now();
  }, true);
  let last = el.value;
  setInterval(() => {
    if (el.value === last) return;
    last = el.value;
    const t = now();
    for (const ch of last) {
      if (inRange(ch.codePointAt(0), theirs) && !(ch in window.__seen)) window.__seen[ch] = t;
    }
  }, 4);
}"""


def available() -> bool:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()


async def browser_round(
    origin: str, cookies: list[str], note: str, title: str, seconds: float, key_ms: float
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    starts = (0x4E00, 0x4E00 + 10_000)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pages = []
            for cookie in cookies:
                context = await browser.new_context()
                name, value = cookie.split("=", 1)
                await context.add_cookies([{"name": name, "value": value, "url": origin}])
                page = await context.new_page()
                await page.goto(origin + "/")
                pages.append(page)
            fields = []
            for i, page in enumerate(pages):
                item = page.get_by_role("list", name="Notes").get_by_role(
                    "listitem", name=f"Note: {title}", exact=True
                )
                field = item.get_by_label("Text")
                await field.wait_for(timeout=15_000)
                handle = await field.element_handle()
                await page.evaluate(INSTRUMENT, [handle, starts[i], starts[1 - i]])
                await field.focus()
                at = "el.value.length" if i == 0 else "0"
                await field.evaluate(f"(el) => el.setSelectionRange({at}, {at})")
                fields.append(field)
            typing = True

            async def type_into(i: int) -> int:
                count = 0
                while typing:
                    await asyncio.sleep(key_ms / 1000 * (0.5 + random.random()))
                    await pages[i].keyboard.insert_text(chr(starts[i] + count))
                    count += 1
                return count

            typists = [asyncio.create_task(type_into(i)) for i in range(2)]
            await asyncio.sleep(seconds)
            typing = False
            keystrokes = sum(await asyncio.gather(*typists))
            await asyncio.sleep(2.0)  # the last sends and their echoes
            stamps = [await page.evaluate("[window.__typed, window.__seen]") for page in pages]
            values = [await field.input_value() for field in fields]
        finally:
            await browser.close()
    delays: list[float] = []
    unseen = 0
    for i in range(2):
        typed, seen_by_other = stamps[i][0], stamps[1 - i][1]
        for char, at in typed.items():
            if char in seen_by_other:
                delays.append(seen_by_other[char] - at)
            else:
                unseen += 1
    return {
        "delays": delays,
        "unseen": unseen,
        "keystrokes": keystrokes,
        "converged": values[0] == values[1],
        "text": values[0],
    }
