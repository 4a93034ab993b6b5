"""Waiting on a condition instead of sleeping for a fixed time."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], seconds: float, what: str
) -> None:
    """Return as soon as `condition()` holds; fail after `seconds` saying `what` never happened.

    The condition is polled every 10 ms; use it where nothing can be awaited
    (a property, a database row).  Where a callback exists, await an
    asyncio.Event it sets instead.
    """
    try:
        async with asyncio.timeout(seconds):
            while True:
                result = condition()
                if inspect.isawaitable(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"after {seconds} s, still not {what}") from None
