"""Several `flux serve` processes on one PostgreSQL database serve the same users.

An event dispatched through instance A (HTTP POST) reaches a websocket client
of instance B, in seq order, without gaps: through NOTIFY when it is on, and
through the follower's poll (about 1 s) when it is off.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.support.flux_processes import add_user, added, next_message, serve_processes, stream_seqs

POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@POSTGRES
async def test_events_posted_to_a_reach_bs_websocket_in_order_through_notify(
    db_url: str, tmp_path: Path
) -> None:
    await add_user(db_url, "ada")
    slow_poll = {"FLUX_POLL_SECONDS": "60"}  # only NOTIFY can be this quick
    async with serve_processes(db_url, 2, tmp_path, [slow_poll, slow_poll]) as (a, b):
        cookie = await a.sign_in("ada")  # the shared secret makes it valid on B too
        async with b.websocket(cookie, after=0) as ws:
            assert (await next_message(ws))["type"] == "hello"
            posts = [a.post_events(cookie, added(f"n{i}")) for i in range(40)]
            answers = await asyncio.gather(*posts)
            assert [r.status_code for r in answers] == [200] * 40
            assert await stream_seqs(ws, 40, seconds=5) == list(range(1, 41))


@POSTGRES
async def test_with_notify_off_b_delivers_every_event_within_the_poll_interval(
    db_url: str, tmp_path: Path
) -> None:
    await add_user(db_url, "ada")
    off = {"FLUX_PG_NOTIFY": "0", "FLUX_POLL_SECONDS": "1"}
    async with serve_processes(db_url, 2, tmp_path, [off, off]) as (a, b):
        cookie = await a.sign_in("ada")
        async with b.websocket(cookie, after=0) as ws:
            assert (await next_message(ws))["type"] == "hello"
            delays = []
            for i in range(4):
                answer = await a.post_events(cookie, added(f"n{i}"))
                assert answer.status_code == 200, answer.text
                posted = time.monotonic()
                assert await stream_seqs(ws, 1, seconds=5) == [i + 1]
                delays.append(time.monotonic() - posted)
            # One poll interval plus scheduling slack on a busy CI machine.
            assert max(delays) < 1.0 + 0.75, delays
