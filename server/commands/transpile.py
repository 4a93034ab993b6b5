"""`flux transpile`: shared_reducers/ -> ES modules in web/build/ (Transcrypt)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.tools.transpile import BUILD, ENTRY_FILE, TranspileError, build_reducers


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "transpile", help="translate shared_reducers/ to JavaScript modules in web/build/"
    )
    parser.add_argument("--out", type=Path, default=BUILD, help=f"build folder (default: {BUILD})")
    parser.set_defaults(run=lambda args: run(args.out))


def run(out: Path) -> int:
    try:
        seconds = build_reducers(out)
    except TranspileError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {out / ENTRY_FILE} in {seconds:.2f} s")
    return 0
