"""`flux users add NAME --role ROLE`, `passwd NAME`, `remove NAME` and `list`.

`passwd` and `remove` end every session of the user at once: its requests
are refused from the next one on, and its open websockets are closed within
`session_check_seconds` (5 s) by every running `flux serve`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import Any

from server.app.app import open_store
from server.app.users import EDITOR, ROLES, UserError, Users
from server.store.sql import database_url


def register(commands: Any, add_database_option: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("users", help="add, list and remove the users who may sign in")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="add a user (password from stdin when piped, else prompted)"
    )
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default=EDITOR, help="admin, editor or viewer")
    add_database_option(add)
    add.set_defaults(run=lambda args: asyncio.run(run_add(args.database, args.name, args.role)))
    passwd = actions.add_parser(
        "passwd",
        help="set a user's password and sign out all its sessions (password from stdin "
        "when piped, else prompted)",
    )
    passwd.add_argument("name")
    add_database_option(passwd)
    passwd.set_defaults(run=lambda args: asyncio.run(run_passwd(args.database, args.name)))
    remove = actions.add_parser(
        "remove", help="remove a user and sign out all its sessions; the name stays reserved"
    )
    remove.add_argument("name")
    add_database_option(remove)
    remove.set_defaults(run=lambda args: asyncio.run(run_remove(args.database, args.name)))
    listing = actions.add_parser("list", help="list users and their roles")
    add_database_option(listing)
    listing.set_defaults(run=lambda args: asyncio.run(run_list(args.database)))


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UserError("The two passwords differ; nothing was saved. Try again.")
    return first


async def run_add(url: str | None, name: str, role: str) -> int:
    try:
        password = read_password()
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    store = await open_store(database_url(url))
    try:
        user = await Users(store.get_database()).add(name, password, role)
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await store.get_database().close()
    print(f"Added {user.name} ({user.role}).")
    return 0


def _sessions(count: int) -> str:
    return "1 session" if count == 1 else f"{count} sessions"


async def run_passwd(url: str | None, name: str) -> int:
    try:
        password = read_password()
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    store = await open_store(database_url(url))
    try:
        user, ended = await Users(store.get_database()).set_password(name, password)
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await store.get_database().close()
    print(f"Changed the password of {user.name}; signed out {_sessions(ended)}.")
    return 0


async def run_remove(url: str | None, name: str) -> int:
    store = await open_store(database_url(url))
    try:
        user, ended = await Users(store.get_database()).remove(name)
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await store.get_database().close()
    print(
        f"Removed {user.name} and signed out {_sessions(ended)}. The name stays reserved: "
        "nobody can sign up as it and inherit its private notes."
    )
    return 0


async def run_list(url: str | None) -> int:
    store = await open_store(database_url(url))
    try:
        for user in await Users(store.get_database()).list():
            print(f"{user.name}\t{user.role}")
    finally:
        await store.get_database().close()
    return 0
