"""`flux bench [--quick] [--only NAME] [--json OUT]`: the benchmark suite (bench/)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCENARIOS = [
    "dispatch",
    "peer",
    "concurrency",
    "rebuild",
    "timemachine_scenario",
    "fanout",
    "throughput",
    "browser_reducer",
    "coedit",
    "restore",
    "search",
    "browser",
    "million",
]
# A scenario whose module is named otherwise (bench/<module>.py).
MODULES = {"browser": "browser_page"}
DOCS = Path(__file__).resolve().parents[2] / "docs"


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "bench", help="run the benchmarks, each side by side with its baseline"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run (under a minute)")
    parser.add_argument(
        "--only",
        metavar="NAME",
        action="append",
        choices=SCENARIOS,
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="NAME",
        choices=[[], *SCENARIOS],
        help="run only these scenarios (as --only): `flux bench --quick browser`",
    )
    parser.add_argument("--json", metavar="OUT", type=Path, help="write the figures as JSON")
    parser.add_argument(
        "--markdown", metavar="OUT", type=Path, help="write the tables as markdown (docs/)"
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="comma-separated: sqlite,postgresql (default both)",
    )
    parser.add_argument(
        "--plots",
        metavar="DIR",
        type=Path,
        default=None,
        help="write a PNG per scenario (default: docs/bench on a full run)",
    )
    parser.set_defaults(run=run)


async def _postgres_reachable() -> bool:
    from bench.harness import pg_admin

    try:
        await pg_admin("SELECT 1")
    except Exception:  # refused, timed out, no such user: all mean "not here"
        return False
    return True


def _bench_importable() -> None:
    """bench/ is a tool of the checkout, not part of the installed package."""
    checkout = DOCS.parent
    if not (checkout / "bench" / "harness.py").is_file():
        raise SystemExit(
            "flux bench runs from a checkout of the project (bench/ is not installed)."
        )
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))


def run(args: argparse.Namespace) -> int:
    _bench_importable()
    from bench.report import markdown, table, write_json, write_plots

    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not asyncio.run(_postgres_reachable()):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            print("PostgreSQL is unreachable (CI=true: that is a failure).", file=sys.stderr)
            return 1
        print("PostgreSQL is unreachable: running the SQLite figures only.", file=sys.stderr)
        backends.remove("postgresql")
    names = [*(args.only or []), *args.scenarios] or SCENARIOS
    plots = args.plots or (None if args.quick else DOCS / "bench")
    results = []
    with tempfile.TemporaryDirectory(prefix="flux-bench-") as tmp:
        for name in names:
            module = importlib.import_module(f"bench.{MODULES.get(name, name)}")
            print(f"running {name} ...", file=sys.stderr, flush=True)
            result = asyncio.run(module.run(args.quick, Path(tmp), backends))
            print(table(result), flush=True)
            print(flush=True)
            results.append(result)
            # Written after every scenario: a full run takes about an hour,
            # and one stopped late keeps what it measured.
            if args.json:
                write_json(results, args.json)
            if args.markdown:
                args.markdown.write_text(markdown(results))
            if plots is not None:
                write_plots([result], plots)
    return 0
