"""`flux check-reducers`: reject constructs that mean something else once transpiled."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.tools.reducer_check import check_paths, default_paths


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "check-reducers",
        help="check that shared reducers use only the portable subset (SUBSET.md)",
    )
    parser.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (default: shared_reducers/*.py)"
    )
    parser.set_defaults(run=lambda args: run(args.paths))


def run(paths: list[Path]) -> int:
    problems = check_paths(paths or default_paths())
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{len(problems)} non-portable construct(s); see shared_reducers/SUBSET.md.",
            file=sys.stderr,
        )
        return 1
    return 0
