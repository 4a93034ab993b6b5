"""`flux transpile`: every module of shared_reducers/ -> ES modules in web/build/.

flux transpile                      build (incremental: only what changed)
flux transpile --watch              build, then rebuild whenever a source changes
flux transpile --source DIR --package NAME --out DIR   another package
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.tools import lowering
from server.tools.transpile import BUILD, SOURCE, TranspileError, build


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "transpile", help="translate every module of shared_reducers/ to JavaScript in web/build/"
    )
    parser.add_argument("--out", type=Path, default=BUILD, help=f"build folder (default: {BUILD})")
    parser.add_argument(
        "--source", type=Path, default=SOURCE, help=f"the package's folder (default: {SOURCE})"
    )
    parser.add_argument(
        "--package", default=None, help="the package's import name (default: the folder's name)"
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="keep running and rebuild when a source (or the lowering) changes",
    )
    parser.add_argument(
        "--interval", type=float, default=0.5, help="seconds between checks with --watch (0.5)"
    )
    parser.set_defaults(
        run=lambda args: run(args.source, args.out, args.package, args.watch, args.interval)
    )


def run(
    source: Path,
    out: Path,
    package: str | None = None,
    watch: bool = False,
    interval: float = 0.5,
) -> int:
    status = _build_once(source, out, package)
    if not watch:
        return status
    print(f"watching {source} (Ctrl-C stops)", flush=True)
    seen = _fingerprint(source)
    try:
        while True:
            time.sleep(interval)
            now = _fingerprint(source)
            if now != seen:
                seen = now
                _build_once(source, out, package)
    except KeyboardInterrupt:
        return 0


def _build_once(source: Path, out: Path, package: str | None) -> int:
    try:
        report = build(source, out, package)
    except TranspileError as error:
        print(error, file=sys.stderr, flush=True)
        return 1
    what = f"recompiled {', '.join(report.recompiled)}" if report.recompiled else "nothing changed"
    modules = len(report.modules)
    print(f"wrote {report.entry} ({modules} modules; {what}) in {report.seconds:.2f} s", flush=True)
    return 0


def _fingerprint(source: Path) -> list[tuple[str, float]]:
    """What a rebuild depends on: the package's sources and the lowering with its runtime."""
    paths = [
        *source.glob("*.py"),
        Path(lowering.__file__),
        *Path(lowering.__file__).with_name("twin").glob("flux_twin.*"),
    ]
    return sorted((str(p), p.stat().st_mtime) for p in paths if p.exists())
