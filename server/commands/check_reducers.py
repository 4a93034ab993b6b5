"""`flux check-reducers`: flag what cannot mean the same in CPython and in the browser."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.tools.reducer_check import ROOT, check_paths, default_paths


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser(
        "check-reducers",
        help="flag what cannot agree in CPython and in the browser (shared_reducers/SUBSET.md)",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        help="files, folders or packages (a.b.c) to check (default: shared_reducers/*.py)",
    )
    parser.set_defaults(run=lambda args: run(args.paths))


def resolve(target: str | Path) -> Path:
    """A file or folder as given, else a dotted package or module name
    (`tests.fixtures.natural_app`) looked up from here and from the project."""
    path = Path(target)
    if path.exists() or not str(target).replace(".", "").replace("_", "").isalnum():
        return path
    relative = Path(*str(target).split("."))
    for base in (Path.cwd(), ROOT):
        for candidate in (base / relative, (base / relative).with_suffix(".py")):
            if candidate.exists():
                return candidate
    return path


def run(paths: list[str] | list[Path]) -> int:
    problems = check_paths([resolve(p) for p in paths] if paths else default_paths())
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{len(problems)} construct(s) that cannot agree in CPython and in the browser; "
            "see shared_reducers/SUBSET.md.",
            file=sys.stderr,
        )
        return 1
    return 0
