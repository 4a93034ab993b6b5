"""Scenario: end-to-end throughput against what people write instead.

64 concurrent HTTP clients, each signed in with its own session, add and edit
notes (add, edit, add, edit, ...):

- flux: `flux serve` (a real server process): POST /api/events with
  `noteAdded` / `noteContentEdited` -- session, validation, policy, durable
  commit to the log and the read model, and fan-out to 100 websocket clients
  (bench/fanout_clients.py, another process) that must receive every event;
- baseline: bench/crud_app.py, a plain Starlette + SQLAlchemy (async) app under
  uvicorn: POST /notes inserts, PATCH /notes/{id} updates -- session row read,
  validation, one transaction, no log, no fan-out.

Same durability: SQLite WAL with synchronous=FULL on both (flux's default),
PostgreSQL's default synchronous commit on both.  Each round sends the same
number of requests through each; rounds alternate.  Figures: requests (=
events) per second from the first request to the last response, and the p95
of the requests' latencies, medians over the rounds.  A full run adds a
diagnostic row: flux with no websocket client open, against the CRUD app again.

FLUX_BENCH_PROFILE=DIR runs the flux server under cProfile (DIR/throughput-
flux-BACKEND.prof), for docs/benchmarks.md's account of where the time goes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench.fanout import PASSWORD, ROOT, free_port, spawn, wait_http, wait_line
from bench.harness import (
    FLUX_PG_DRIVER,
    Result,
    Row,
    alternate,
    median,
    percentile,
    scratch_database,
)
from bench.harness import flux_url as flux_pg_url

NAME = "throughput"
TITLE = "End-to-end throughput: 64 HTTP clients vs a plain CRUD app"
TARGET = "flux events/s >= 1x the plain Starlette + SQLAlchemy CRUD app's requests/s"
CLIENTS = 64
WATCHERS = 100
FLUX = [sys.executable, "-m", "server"]
CRUD = [sys.executable, "-m", "bench.crud_app"]
WATCH = [sys.executable, "-m", "bench.fanout_clients"]
ENV = {
    "FLUX_SECRET_KEY": "bench-secret",
    # One address opens every client and the bench's user sends every event:
    # lift the per-address cap and the per-user rate limit (docs/operations.md).
    "FLUX_MAX_CONNECTIONS_PER_ADDRESS": "0",
    "FLUX_DISPATCH_RATE": "0",
}

Send = Callable[[httpx.AsyncClient, int, int, int], Awaitable[None]]


async def _add_flux_user(url: str) -> None:
    done = await asyncio.to_thread(
        subprocess.run,
        [*FLUX, "users", "add", "bench", "--role", "editor", "--database", url],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **ENV},
    )
    if done.returncode:
        raise RuntimeError(f"flux users add: {done.stderr}")


def _profiled(backend: str) -> list[str]:
    """`python -m server`, under cProfile when FLUX_BENCH_PROFILE names a folder
    (the profile of the flux server is written there on its exit, per backend)."""
    folder = os.environ.get("FLUX_BENCH_PROFILE")
    if not folder:
        return FLUX
    Path(folder).mkdir(parents=True, exist_ok=True)
    out = Path(folder) / f"throughput-flux-{backend}.prof"
    return [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "server"]


async def _sign_in(origin: str, path: str) -> list[httpx.AsyncClient]:
    """CLIENTS clients, each with a session of its own (a few sign-ins at a time:
    both servers check the password with scrypt in a thread)."""
    gate = asyncio.Semaphore(4)

    async def one() -> httpx.AsyncClient:
        http = httpx.AsyncClient(
            base_url=origin,
            headers={"origin": origin},
            timeout=120,
            # Drop an idle connection before uvicorn's 5 s keep-alive closes it
            # under a request (an httpx.ReadError), on both servers alike.
            limits=httpx.Limits(keepalive_expiry=3),
        )
        async with gate:
            response = await http.post(path, data={"username": "bench", "password": PASSWORD})
        if response.status_code >= 400:
            raise RuntimeError(f"sign-in at {origin}{path}: {response.status_code}")
        return http

    return list(await asyncio.gather(*(one() for _ in range(CLIENTS))))


async def _round(
    clients: list[httpx.AsyncClient], per_client: int, send: Send, round_: int
) -> tuple[float, float]:
    """(requests per second, p95 ms) of one round: every client sends `per_client` requests."""
    latencies: list[float] = []

    async def one(c: int, http: httpx.AsyncClient) -> None:
        for i in range(per_client):
            start = time.perf_counter()
            await send(http, round_, c, i)
            latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(one(c, http) for c, http in enumerate(clients)))
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, percentile(latencies, 0.95)


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:200]}")
    return response


async def flux_send(http: httpx.AsyncClient, round_: int, c: int, i: int) -> None:
    note = f"t{round_}c{c}n{i // 2}"
    stamp = f"{time.time():.6f}"  # the watchers count events whose text is a time
    if i % 2 == 0:
        event = {"type": "noteAdded", "payload": {"id": note, "title": note, "text": stamp}}
    else:
        event = {"type": "noteContentEdited", "payload": {"id": note, "text": stamp}}
    _check(await http.post("/api/events", json=event))


def crud_sender() -> Send:
    ids: dict[tuple[int, int, int], str] = {}

    async def send(http: httpx.AsyncClient, round_: int, c: int, i: int) -> None:
        key, stamp = (round_, c, i // 2), f"{time.time():.6f}"
        if i % 2 == 0:
            response = _check(await http.post("/notes", json={"title": str(key), "text": stamp}))
            ids[key] = response.json()["id"]
        else:
            _check(await http.patch(f"/notes/{ids.pop(key)}", json={"text": stamp}))

    return send


async def _one_backend(
    backend: str, per_client: int, rounds: int, workdir: Path, diagnose: bool
) -> tuple[list[Row], list[str]]:
    notes: list[str] = []
    async with (
        scratch_database(backend, workdir) as scratch_url,
        scratch_database(backend, workdir) as crud_url,
    ):
        flux_url = flux_pg_url(scratch_url)  # flux on psycopg (pipelined writes)
        await _add_flux_user(flux_url)
        port, crud_port = free_port(), free_port()
        flux_origin, crud_origin = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{crud_port}"
        servers = [
            spawn(
                [
                    *_profiled(backend),
                    "serve",
                    "--port",
                    str(port),
                    "--database",
                    flux_url,
                ],
                ENV,
            ),
            spawn(
                [
                    *CRUD,
                    "--port",
                    str(crud_port),
                    "--database",
                    crud_url,
                    "--user",
                    f"bench:{PASSWORD}",
                ]
            ),
        ]
        clients: list[httpx.AsyncClient] = []
        try:
            await wait_http(f"{flux_origin}/healthz")
            await wait_http(f"{crud_origin}/healthz")
            flux_clients = await _sign_in(flux_origin, "/login")
            clients += flux_clients
            crud_clients = await _sign_in(crud_origin, "/login")
            clients += crud_clients
            cookie = "; ".join(f"{k}={v}" for k, v in flux_clients[0].cookies.items())
            flux_p95: list[float] = []
            crud_p95: list[float] = []
            fanout_p95: list[float] = []

            async def through_flux(round_: int) -> float:
                head = _check(await flux_clients[0].get("/api/notes")).json()["seq"]
                events = CLIENTS * per_client
                watchers = spawn(
                    [
                        *WATCH,
                        f"ws://127.0.0.1:{port}/ws?after={head}",
                        str(WATCHERS),
                        str(events),
                        "--flux",
                        "--cookie",
                        cookie,
                        "--origin",
                        flux_origin,
                    ]
                )
                try:
                    await wait_line(watchers, "ready")
                    rate, p95 = await _round(flux_clients, per_client, flux_send, round_)
                    assert watchers.stdout is not None
                    line = await asyncio.wait_for(asyncio.to_thread(watchers.stdout.readline), 180)
                finally:
                    watchers.kill()
                    watchers.wait()
                seen = json.loads(line)
                if seen["failed"] or seen["unfinished"] or len(seen["delays"]) != events * WATCHERS:
                    raise RuntimeError(
                        f"websocket watchers: {seen['failed']} failed, {seen['unfinished']} "
                        f"unfinished, {len(seen['delays'])} of {events * WATCHERS} events received"
                    )
                flux_p95.append(p95)
                fanout_p95.append(percentile(seen["delays"], 0.95))
                return rate

            crud_send = crud_sender()

            async def through_crud(round_: int) -> float:
                rate, p95 = await _round(crud_clients, per_client, crud_send, round_)
                crud_p95.append(p95)
                return rate

            ours, theirs = await alternate(through_flux, through_crud, rounds)
            quiet: list[float] = []
            quiet_crud: list[float] = []
            if diagnose:  # where the time goes: the same requests with no websocket open

                async def flux_alone(round_: int) -> float:
                    rate, _p95 = await _round(flux_clients, per_client, flux_send, round_ + 1000)
                    return rate

                async def crud_again(round_: int) -> float:
                    rate, _p95 = await _round(crud_clients, per_client, crud_send, round_ + 1000)
                    return rate

                quiet, quiet_crud = await alternate(flux_alone, crud_again, max(2, rounds // 2))
        finally:
            for http in clients:
                await http.aclose()
            for proc in servers:
                proc.send_signal(signal.SIGINT)  # as Ctrl-C: a profile gets written
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    baseline = "plain Starlette + SQLAlchemy CRUD"
    rows = [
        Row.of_samples(
            f"{backend}\nthroughput",
            ours,
            theirs,
            "events/s (requests/s)",
            baseline,
            higher_is_better=True,
        ),
        Row.of_samples(f"{backend}\np95 latency", flux_p95, crud_p95, "ms per request", baseline),
    ]
    notes.append(
        f"{backend}: flux {median(ours):.0f} events/s vs CRUD {median(theirs):.0f} requests/s "
        f"({median(ours) / median(theirs):.2f}x; target >= 1x: "
        f"{'met' if median(ours) >= median(theirs) else 'missed'}); p95 {median(flux_p95):.1f} "
        f"vs {median(crud_p95):.1f} ms; every event reached all {WATCHERS} websocket clients, "
        f"p95 send -> receipt {median(fanout_p95):.0f} ms."
    )
    if quiet:
        rows.append(
            Row.of_samples(
                f"{backend}\nno websockets open",
                quiet,
                quiet_crud,
                "events/s (requests/s)",
                baseline,
                higher_is_better=True,
            )
        )
        notes.append(
            f"{backend}, diagnostic: with no websocket client open flux gives {median(quiet):.0f} "
            f"events/s vs CRUD {median(quiet_crud):.0f} ({median(quiet) / median(quiet_crud):.2f}x)."
        )
    return rows, notes


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    per_client = 2 if quick else 20
    rounds = 2 if quick else 5
    rows: list[Row] = []
    notes = [
        f"{CLIENTS} HTTP clients (own sessions) x {per_client} requests per round (add, edit, ...), "
        f"{rounds} alternating rounds, medians; flux fans every event out to {WATCHERS} "
        "websocket clients in another process. Throughput ratio shown as baseline / flux "
        "(above 1: flux is slower).",
        f"PostgreSQL: flux on postgresql+{FLUX_PG_DRIVER} (FLUX_BENCH_PG_DRIVER), the CRUD app "
        "on postgresql+asyncpg.",
    ]
    for backend in backends:
        backend_rows, backend_notes = await _one_backend(
            backend, per_client, rounds, workdir, diagnose=not quick
        )
        rows.extend(backend_rows)
        notes.extend(backend_notes)
    throughput = [r for r in rows if r.label.endswith("throughput")]
    return Result(
        NAME,
        TITLE,
        TARGET,
        rows,
        notes=notes,
        met=all(r.ours >= r.baseline for r in throughput),
    )
