"""`flux`: the command line (also `python -m server`).

Every command that touches data takes `--database URL`, falling back to the
FLUX_DATABASE_URL environment variable, then to the SQLite default.  Each
command lives in its own module and registers itself here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from server.commands import (
    at,
    bench,
    check_reducers,
    crosscheck,
    demo,
    export,
    history,
    import_,
    replay,
    serve,
    transpile,
    users,
    verify,
)

COMMAND_MODULES = [
    bench,
    demo,
    at,
    history,
    replay,
    verify,
    export,
    import_,
    serve,
    users,
    transpile,
    check_reducers,
    crosscheck,
]


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="database URL (default: $FLUX_DATABASE_URL, then sqlite+aiosqlite:///data/notes.db)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flux", description="Flux Capacitor: events change data, reducers decide how."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands, add_database_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
