"""Scenario 8: co-editing. Two people type into one note; how long until a
keystroke on page A shows on page B (p50, p95), against a real `flux serve`,
side by side with ShareDB (npm `sharedb` + `ot-text-unicode`, its in-memory
database, over `ws`) typing the same way; and the transform's cost per splice
in CPython and in Node next to ot-text-unicode's.

Each side has two pages that behave like the notes page (docs/coediting.md):
a keystroke every `KEY_MS` (+-50 %) at the page's caret, the pending splices
sent every `SEND_MS` with at most one event in flight, remote changes applied
through the shared reducer and `coedit.on_remote` (ours) or ShareDB's client.
Every keystroke inserts a character nobody else types; the other page records
when it shows it.  The delay includes waiting for the next send tick.

Ours are Python websocket clients (bench/coedit_page.py) running the same
portable code the page runs transpiled; ShareDB's clients run in Node
(bench/node/sharedb_peer.mjs).  Each side's server is its own process.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from bench import coedit_browser, transform_cost
from bench.coedit_page import Page, converged
from bench.fanout import ROOT, free_port, spawn, wait_http, wait_line
from bench.harness import Result, Row, median, percentile

NAME = "coedit"
TITLE = "8. Co-editing: keystroke on page A -> shown on page B, two people typing"
TARGET_MS = 300.0
TARGET = f"p95 under {TARGET_MS:.0f} ms including the {200} ms send interval"
KEY_MS = 120.0
SEND_MS = 200.0
START_TEXT = "The quick brown fox jumps over the lazy dog. " * 20
PEER = ROOT / "bench" / "node" / "sharedb_peer.mjs"
OT_COST = ROOT / "bench" / "node" / "ot_transform_cost.mjs"
PASSWORD = "bench password"
SIZES = ("1", "20")


async def _flux_round(origin: str, cookies: list[str], note: str, seconds: float) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=origin, headers={"origin": origin}) as http:
        http.headers["cookie"] = cookies[0]
        added = await http.post(
            "/api/events",
            json={"type": "noteAdded", "payload": {"id": note, "title": note, "text": START_TEXT}},
        )
        added.raise_for_status()
        after = added.json()[0]["seq"] - 1
        ws = origin.replace("http", "ws", 1) + f"/ws?after={after}"
        typed: list[dict[str, float]] = [{}, {}]
        delays: list[float] = []
        pages = [
            Page(ws, cookie, origin, note, first, typed[i], typed[1 - i], delays, KEY_MS, SEND_MS)
            for i, (cookie, first) in enumerate(
                zip(cookies, (0x4E00, 0x4E00 + 10_000), strict=True)
            )
        ]
        for i, page in enumerate(pages):
            await page.open(at_end=i == 0)
        for page in pages:
            page.start()
        await asyncio.sleep(seconds)
        for page in pages:
            await page.stop()
        for _ in range(250):  # up to 5 s for the last edits to arrive
            if not (typed[0] or typed[1] or not all(p.idle for p in pages)):
                break
            await asyncio.sleep(0.02)
        notes = (await http.get("/api/notes")).json()["notes"]
        server_text = next(n["text"] for n in notes if n["id"] == note)
        for page in pages:
            await page.close()
        return {
            "delays": delays,
            "unseen": len(typed[0]) + len(typed[1]),
            "keystrokes": sum(p.keystrokes for p in pages),
            "rejected": sum(p.rejected for p in pages),
            "converged": converged(pages, server_text),
        }


async def _sharedb_round(url: str, doc: str, seconds: float) -> dict[str, Any]:
    config = {"keyMs": KEY_MS, "sendMs": SEND_MS, "seconds": seconds, "text": START_TEXT}
    config["doc"] = doc
    done = await asyncio.to_thread(
        subprocess.run,
        ["node", str(PEER), "clients", url, json.dumps(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=seconds + 60,
    )
    if done.returncode:
        raise RuntimeError(f"the ShareDB clients failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _signed_in(origin: str, name: str) -> str:
    async with httpx.AsyncClient(base_url=origin) as http:
        response = await http.post(
            "/signup",
            data={"username": name, "password": PASSWORD},
            headers={"origin": origin},
        )
        if response.status_code >= 400:
            raise RuntimeError(f"sign-up failed: {response.status_code} {response.text[:200]}")
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


async def latency(quick: bool, workdir: Path) -> tuple[list[dict], list[dict], list[dict]]:
    """Alternating rounds of ours and ShareDB's, then Chromium's; each round's figures."""
    rounds, seconds = (2, 5.0) if quick else (4, 20.0)
    port, peer_port = free_port(), free_port()
    url = f"sqlite+aiosqlite:///{workdir / 'coedit.db'}"
    # One address opens every client and one user sends every event: lift the
    # per-address cap and the per-user rate limit (docs/operations.md, Limits).
    env = {
        "FLUX_SECRET_KEY": "bench-secret",
        "FLUX_MAX_CONNECTIONS_PER_ADDRESS": "0",
        "FLUX_DISPATCH_RATE": "0",
    }
    server = spawn(
        [sys.executable, "-m", "server", "serve", "--port", str(port), "--database", url], env
    )
    peer = spawn(["node", str(PEER), "server", str(peer_port)])
    ours: list[dict] = []
    theirs: list[dict] = []
    browser: list[dict] = []
    origin = f"http://127.0.0.1:{port}"
    try:
        await wait_http(f"{origin}/healthz")
        await wait_line(peer, "listening")
        cookies = [await _signed_in(origin, name) for name in ("ada", "bob")]
        for round_ in range(rounds):
            flux = _flux_round(origin, cookies, f"n{round_}", seconds)
            share = _sharedb_round(f"ws://127.0.0.1:{peer_port}", f"d{round_}", seconds)
            if round_ % 2 == 0:
                ours.append(await flux)
                theirs.append(await share)
            else:
                theirs.append(await share)
                ours.append(await flux)
        if coedit_browser.available():
            for round_ in range(1 if quick else 2):
                note = f"b{round_}"
                await _add_note(origin, cookies[0], note)
                browser.append(
                    await coedit_browser.browser_round(
                        origin, cookies, note, f"Bench {note}", seconds, KEY_MS
                    )
                )
    finally:
        for proc in (server, peer):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return ours, theirs, browser


async def _add_note(origin: str, cookie: str, note: str) -> None:
    async with httpx.AsyncClient(base_url=origin, headers={"origin": origin}) as http:
        http.headers["cookie"] = cookie
        payload = {"id": note, "title": f"Bench {note}", "text": START_TEXT}
        added = await http.post("/api/events", json={"type": "noteAdded", "payload": payload})
        added.raise_for_status()


def _ot_ops(splices: list[list[Any]]) -> list[Any]:
    """Normalized splices (document order) as an ot-text-unicode op."""
    op: list[Any] = []
    cursor = 0
    for at, removed, inserted in splices:
        if at > cursor:
            op.append(at - cursor)
        if inserted:
            op.append(inserted)
        if removed:
            op.append({"d": removed})
        cursor = at + len(inserted)
    return op


def _ot_cost(pairs: dict[str, Any], rounds: int) -> dict[str, list[float]]:
    cases = {size: [[_ot_ops(a), _ot_ops(b)] for a, b in pairs[size]] for size in pairs}
    done = subprocess.run(
        ["node", str(OT_COST), str(rounds)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    times: dict[str, list[float]] = json.loads(done.stdout)
    return times


def transform_costs(quick: bool) -> list[Row]:
    """µs per splice of `transform`: CPython and transpiled Node vs ot-text-unicode in Node."""
    rounds = 3 if quick else 7
    pairs = transform_cost.cases()
    ours_py = transform_cost.run_cpython(pairs, rounds)
    ours_js = transform_cost.run_node(pairs, rounds)
    theirs = _ot_cost(pairs, rounds)
    rows: list[Row] = []
    for engine, times in (("CPython", ours_py), ("transpiled JS", ours_js)):
        for size in SIZES:
            per = int(size)
            rows.append(
                Row.of_samples(
                    f"transform ({size} splices)\n{engine}",
                    [t / per for t in times[size]],
                    [t / per for t in theirs[size]],
                    "µs per splice",
                    "ot-text-unicode transform (Node)",
                )
            )
    return rows


async def run(quick: bool, workdir: Path, backends: list[str]) -> Result:
    if shutil.which("node") is None:
        raise RuntimeError("The coedit scenario needs Node 20 (and `npm install`) for ShareDB.")
    random.seed(8)
    ours, theirs, browser = await latency(quick, workdir)
    mine = [d for r in ours for d in r["delays"]]
    peer = [d for r in theirs for d in r["delays"]]
    chromium = [d for r in browser for d in r["delays"]]
    rows: list[Row] = []
    for kind, delays in (("Chromium pages", chromium), ("page-like ws", mine)):
        if delays:
            rows.extend(
                Row(
                    f"{kind} A -> B\n{label}",
                    percentile(delays, q),
                    percentile(peer, q),
                    "ms",
                    "ShareDB + ot-text-unicode",
                )
                for label, q in (("p50", 0.5), ("p95", 0.95))
            )
    p95 = rows[1].ours
    rows.extend(await asyncio.to_thread(transform_costs, quick))
    notes = [
        "Chromium pages: the notes page in two browser contexts (bench/coedit_browser.py), "
        + (
            f"{len(chromium)} keystrokes seen, converged: "
            + ", ".join("yes" if r["converged"] else "NO" for r in browser)
            + f", unseen {sum(r['unseen'] for r in browser)}."
            if browser
            else "not measured (no Chromium or Playwright)."
        ),
        f"Page-like ws: two Python websocket clients running the page's portable code and "
        f"timing (bench/coedit_page.py); ShareDB: two Node clients. A keystroke every "
        f"{KEY_MS:.0f} ms +-50 % per person, sent {SEND_MS:.0f} ms after the first keystroke "
        "of a quiet period (the page's trailing throttle), one edit in flight; both people "
        "type at once, at their own carets.",
        f"{len(ours)} alternating rounds per side; flux: {len(mine)} keystrokes seen "
        f"(median of round medians {median([median(r['delays']) for r in ours]):.0f} ms), "
        f"ShareDB: {len(peer)}.",
        "Converged (both pages show the same text"
        + " as the server): flux "
        + ", ".join("yes" if r["converged"] else "NO" for r in ours)
        + "; ShareDB "
        + ", ".join("yes" if r["converged"] else "NO" for r in theirs)
        + f". Unseen keystrokes: flux {sum(r['unseen'] for r in ours)}, "
        f"ShareDB {sum(r['unseen'] for r in theirs)}; rejected edits: "
        f"{sum(r['rejected'] for r in ours)}.",
        f"Target, on the {rows[1].label.split(chr(10))[0].removesuffix(' A -> B')}: "
        f"p95 {p95:.0f} ms vs {TARGET_MS:.0f} ms: " + ("met." if p95 < TARGET_MS else "NOT met."),
        "Transform: median over rounds of pairs of concurrent edits on a 5,000-character text "
        "(bench/transform_cost.py), per splice of the transformed edit.",
    ]
    return Result(NAME, TITLE, TARGET, rows, notes=notes, met=p95 < TARGET_MS)
