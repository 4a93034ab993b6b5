"""`flux`: the command line (also `python -m server`).

Every command that touches data takes `--database URL`, falling back to the
FLUX_DATABASE_URL environment variable, then to the SQLite default.  Each
command lives in its own module and registers itself here.

The command modules are imported lazily: `flux transpile` imports only
server.commands.transpile (not SQLAlchemy, Starlette...), so a command starts
in a fraction of a second.  `flux --help` (or anything not naming a known
command first) imports them all, so the listing and the errors stay complete.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

COMMANDS = {
    # command name -> its module in server.commands, in the order `flux --help` lists them
    "bench": "bench",
    "demo": "demo",
    "at": "at",
    "history": "history",
    "replay": "replay",
    "verify": "verify",
    "export": "export",
    "import": "import_",
    "serve": "serve",
    "users": "users",
    "transpile": "transpile",
    "check-reducers": "check_reducers",
    "crosscheck": "crosscheck",
}


def command_module(name: str) -> ModuleType:
    """The module of the command `name` (a key of COMMANDS)."""
    return importlib.import_module(f"server.commands.{COMMANDS[name]}")


def __getattr__(name: str) -> list[ModuleType]:
    # COMMAND_MODULES: every command's module (imports them all)
    if name == "COMMAND_MODULES":
        return [command_module(command) for command in COMMANDS]
    raise AttributeError(name)


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="database URL (default: $FLUX_DATABASE_URL, then sqlite+aiosqlite:///data/notes.db)",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the command `only` alone (faster to import)."""
    parser = argparse.ArgumentParser(
        prog="flux", description="Flux Capacitor: events change data, reducers decide how."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in [only] if only in COMMANDS else COMMANDS:
        command_module(name).register(commands, add_database_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list[0] if args_list else None)
    args = parser.parse_args(args_list)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
