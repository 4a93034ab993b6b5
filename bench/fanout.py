"""Scenario 6: fan-out. One event to N = 10, 100, 1,000 websocket clients
(the clients in another process) vs a bare `websockets` broadcast server on
the same machine, two figures each, p50/p95/p99:

- end to end: flux from before the HTTP request (session, validation,
  policy, durable commit, fan-out) to the receipt; the baseline from before
  its trigger message to the receipt;
- same work: flux from the commit (the moment the store's listeners are
  called, bench/fanout_server.py) to the receipt; the baseline from the
  moment its server got the trigger (and calls `broadcast`) to the receipt.

The target applies to the same-work figure.  At N <= 100 each side runs
several rounds (alternating, taking turns going first: `plan`), and each figure
is the median over the rounds of that round's percentile.  Also the server's
memory with N open clients."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.fanout_clients import opening_seconds
from bench.harness import Result, Row, percentile

NAME = "fanout"
TITLE = "6. Fan-out: one event to N websocket clients"
TARGET = "same-work p95 <= 1.5x the bare websockets broadcast (commit/trigger -> receipt)"
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _more_files() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
        preexec_fn=_more_files,
    )


async def wait_line(proc: subprocess.Popen[str], word: str, seconds: float = 120) -> None:
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), seconds)
    if word not in line:
        raise RuntimeError(f"expected {word!r} from {proc.args!r}, got {line!r}")


async def wait_http(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


class Poster:
    """POST /api/events on one keep-alive HTTP/1.1 connection, the bench's side kept out
    of the measured window: each request is written at once, and its answer is read
    just before the next request (or by `settle`), not when it arrives, so the
    benchmark's own process does not wake up to parse it while the clients receive the
    event (the baseline's trigger has no answer to parse either).  The socket is only
    watched while an answer is awaited (`sock_recv`), so an arriving answer wakes
    nothing."""

    def __init__(self, port: int, cookie: str, origin: str) -> None:
        self.port = port
        self.head = (
            f"POST /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            f"Origin: {origin}\r\nContent-Type: application/json\r\n"
        )
        self.sock: socket.socket | None = None
        self.pending = False
        self.buffer = b""

    async def post(self, body: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        await self.settle()
        if self.sock is None:
            self.sock = socket.socket()
            self.sock.setblocking(False)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.sock_connect(self.sock, ("127.0.0.1", self.port))
        data = json.dumps(body).encode()
        request = f"{self.head}Content-Length: {len(data)}\r\n\r\n".encode() + data
        await loop.sock_sendall(self.sock, request)
        self.pending = True

    async def settle(self) -> None:
        """Read the answer of the last request; raise unless it is a 2xx."""
        if not self.pending or self.sock is None:
            return
        loop = asyncio.get_running_loop()
        while b"\r\n\r\n" not in self.buffer:
            await self._more(loop)
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        while len(rest) < length:
            rest += await self._more(loop, keep=False)
        self.buffer, body = rest[length:], rest[:length]
        self.pending = False
        if not 200 <= status < 300:
            raise RuntimeError(f"POST /api/events answered {status}: {body[:200]!r}")

    async def _more(self, loop: asyncio.AbstractEventLoop, keep: bool = True) -> bytes:
        assert self.sock is not None
        chunk = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), 30)
        if not chunk:
            raise RuntimeError("The server closed the POST connection.")
        if keep:
            self.buffer += chunk
        return chunk

    async def finish(self) -> None:
        """Read the last answer and close the connection (the server closes one that
        stays idle for 5 s, as between rounds)."""
        await self.settle()
        self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""


async def _measure(
    client_args: list[str],
    n: int,
    count: int,
    send: Callable[[], Awaitable[None]],
    server_pid: int,
    settle: Callable[[], Awaitable[None]] | None = None,
) -> tuple[dict[str, Any], float]:
    clients = spawn(
        [sys.executable, "-m", "bench.fanout_clients", *client_args, str(n), str(count)]
    )
    try:
        await wait_line(clients, "ready", opening_seconds(n) + 10)
        await asyncio.sleep(0.5)
        memory = rss_mib(server_pid)
        for _ in range(count):
            await send()
            await asyncio.sleep(0.05 if n <= 100 else 0.25)
        if settle is not None:
            await settle()
        assert clients.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(clients.stdout.readline), 180)
        result = json.loads(line)
    finally:
        clients.kill()
        clients.wait()
    if result["failed"] or result["unfinished"]:
        raise RuntimeError(
            f"{result['failed']} clients failed, {result['unfinished']} unfinished: "
            + "; ".join(result.get("errors", []))
        )
    return result, memory


def plan(n: int, quick: bool, count: int) -> tuple[int, int]:
    """(rounds, events per round and side) for N clients.  At small N a delay is a few
    ms and one run's p95 swings 2x, so it takes more events, in several rounds whose
    percentiles are taken apart (the figure is their median): a stall of the shared
    machine spoils one round, not the figure.  FLUX_BENCH_FANOUT_ROUNDS overrides the
    number of rounds at N <= 100."""
    if n > 100:
        return 1, count
    rounds = 2 if quick else 5
    if os.environ.get("FLUX_BENCH_FANOUT_ROUNDS"):
        rounds = int(os.environ["FLUX_BENCH_FANOUT_ROUNDS"])
    return rounds, count if quick else 2 * count


async def commit_delays(receipts: list[list[float]], times_file: Path, pid: int) -> list[float]:
    """ms from each event's commit (as the server noted it) to each client's receipt."""
    await asyncio.to_thread(times_file.unlink, missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    for _ in range(200):
        if await asyncio.to_thread(times_file.exists):
            break
        await asyncio.sleep(0.05)
    text = await asyncio.to_thread(times_file.read_text)
    committed = {int(seq): at for seq, at in json.loads(text).items()}
    return [(at - committed[int(seq)]) * 1000 for seq, at in receipts]


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    sizes = [10, 100] if quick else [10, 100, 1000, 5000]
    if os.environ.get("FLUX_BENCH_FANOUT_SIZES"):  # e.g. "5000": one size on its own
        sizes = [int(n) for n in os.environ["FLUX_BENCH_FANOUT_SIZES"].split(",")]
    count = 10 if quick else 30
    db = workdir / "fanout.db"
    url = f"sqlite+aiosqlite:///{db}"
    # One address opens every client and one user sends every event: lift the
    # per-address cap and the per-user rate limit (docs/operations.md, Limits).
    env = {
        "FLUX_SECRET_KEY": "bench-secret",
        "FLUX_MAX_CONNECTIONS_PER_ADDRESS": "0",
        "FLUX_DISPATCH_RATE": "0",
    }
    add = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "server",
            "users",
            "add",
            "bench",
            "--role",
            "editor",
            "--database",
            url,
        ],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **env},
    )
    if add.returncode:
        raise RuntimeError(add.stderr)
    port, base_port = free_port(), free_port()
    times_file = workdir / "fanout-commit-times.json"
    server = spawn(
        [sys.executable, "-m", "bench.fanout_server", "--port", str(port), "--database", url],
        {**env, "FLUX_BENCH_COMMIT_TIMES": str(times_file)},
    )
    baseline = spawn([sys.executable, "-m", "bench.fanout_baseline", str(base_port)])
    rows: list[Row] = []
    notes: list[str] = []
    origin = f"http://127.0.0.1:{port}"
    try:
        await wait_http(f"{origin}/healthz")
        await wait_line(baseline, "listening")
        http = httpx.AsyncClient(base_url=origin)
        response = await http.post("/login", data={"username": "bench", "password": PASSWORD})
        if response.status_code >= 400:
            raise RuntimeError(f"login failed: {response.status_code} {response.text[:200]}")
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        await http.post(
            "/api/events",
            json={"type": "noteAdded", "payload": {"id": "fan", "title": "fan", "text": "0"}},
            headers={"origin": origin},
        )
        trigger = await connect(f"ws://127.0.0.1:{base_port}/trigger")

        poster = Poster(port, cookie, origin)

        async def flux_send() -> None:
            await poster.post(
                {
                    "type": "noteContentEdited",
                    "payload": {"id": "fan", "text": f"{time.time():.6f}"},
                }
            )

        async def bare_send() -> None:
            await trigger.send(json.dumps({"sent": f"{time.time():.6f}"}))

        last = (await http.get("/api/events", params={"after": 0, "limit": 1000})).json()["events"][
            -1
        ]["seq"]
        for n in sizes:
            rounds, events = plan(n, quick, count)
            per_round: dict[str, list[list[float]]] = {
                f"{side} {kind}": []
                for side in ("flux", "bare")
                for kind in ("end to end", "same work")
            }
            flux_mems: list[float] = []
            bare_mems: list[float] = []
            for round_no in range(rounds):
                # Alternate which side goes first, so a drift in the machine's load
                # falls on both alike.
                order = ("flux", "bare") if round_no % 2 == 0 else ("bare", "flux")
                for side in order:
                    if side == "flux":
                        flux_result, flux_mem = await _measure(
                            [
                                f"ws://127.0.0.1:{port}/ws?after={last}",
                                "--flux",
                                "--cookie",
                                cookie,
                                "--origin",
                                origin,
                            ],
                            n,
                            events,
                            flux_send,
                            server.pid,
                            poster.finish,
                        )
                        last += events
                        flux_mems.append(flux_mem)
                        per_round["flux end to end"].append(flux_result["delays"])
                        per_round["flux same work"].append(
                            await commit_delays(flux_result["receipts"], times_file, server.pid)
                        )
                    else:
                        bare_result, bare_mem = await _measure(
                            [f"ws://127.0.0.1:{base_port}/ws"], n, events, bare_send, baseline.pid
                        )
                        bare_mems.append(bare_mem)
                        per_round["bare end to end"].append(bare_result["delays"])
                        per_round["bare same work"].append(bare_result["receipts"])
            units = {
                "end to end": "ms send -> receipt",
                "same work": "ms commit/trigger -> receipt",
            }
            for kind, unit in units.items():
                for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
                    ours = [percentile(r, q) for r in per_round[f"flux {kind}"]]
                    theirs = [percentile(r, q) for r in per_round[f"bare {kind}"]]
                    rows.append(
                        Row.of_samples(
                            f"N={n} {kind}\n{label}",
                            ours,
                            theirs,
                            unit,
                            "bare websockets broadcast",
                        )
                    )
                    if rounds > 1 and kind == "same work" and label == "p95":
                        notes.append(
                            f"N={n} same-work p95 per round, flux vs bare (ms): "
                            + ", ".join(
                                f"{a:.2f} vs {b:.2f}" for a, b in zip(ours, theirs, strict=True)
                            )
                            + "."
                        )
            notes.append(
                f"N={n}: server RSS with the clients open: flux {max(flux_mems):.0f} MiB, "
                f"bare websockets {max(bare_mems):.0f} MiB."
            )
        await trigger.close()
        poster.close()
        await http.aclose()
    finally:
        for proc in (server, baseline):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    same_p95 = [r for r in rows if "same work" in r.label and "p95" in r.label]
    notes.insert(
        0,
        "; ".join(
            f"N={n}: {r} round(s) of {e} events per side"
            for n in sizes
            for r, e in [plan(n, quick, count)]
        )
        + " (a round: N clients open, the events one by one, the clients close; flux and the "
        "baseline alternate, taking turns going first; each figure is the median over the "
        "rounds of that round's percentile); flux: POST /api/events "
        "-> commit -> hub -> every socket (the bench reads each POST's answer just before "
        "the next POST, not while the clients receive: Poster); "
        "baseline: a message on a trigger socket -> websockets.broadcast. Clients in one other process.",
    )
    notes.insert(
        1,
        "end to end: flux's clock starts before its HTTP request (session, validation, policy, "
        "durable commit), the baseline's before its trigger message. same work: flux's at the "
        "commit (the store's listeners called), the baseline's when its server got the trigger. "
        "Target (p95 <= 1.5x) on the same-work figure: "
        + ", ".join(
            f"{r.label.split()[0]} {r.ratio:.2f}x {'met' if r.ratio <= 1.5 else 'missed'}"
            for r in same_p95
        )
        + ".",
    )
    return Result(NAME, TITLE, TARGET, rows, notes=notes, met=all(r.ratio <= 1.5 for r in same_p95))
