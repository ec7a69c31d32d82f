"""``refbot librarian …``: who may sign in to the console.

    refbot librarian add USERNAME [--name NAME] [--admin] [--password-stdin]
    refbot librarian password USERNAME [--password-stdin]
    refbot librarian remove USERNAME
    refbot librarian list [--json]

Passwords are asked for twice on a terminal, or read from the first line of standard input
with ``--password-stdin`` (for scripts); they never appear on the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from refbot.store import Store
from refbot.web.console import accounts

if TYPE_CHECKING:
    from refbot.config import Settings

T = TypeVar("T")


def add_librarian_command(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``librarian add|password|remove|list`` on the top-level subparsers."""
    librarian = subparsers.add_parser(
        "librarian", help="manage console accounts (librarians and admins)",
        description="Accounts that may sign in to the librarian console at /console.",
    )
    commands = librarian.add_subparsers(dest="librarian_command", metavar="COMMAND", required=True)

    add = commands.add_parser("add", parents=[common_parent], help="create a console account")
    add.add_argument("username", help="2-32 lowercase letters, digits, '.', '_' or '-'")
    add.add_argument("--name", default="", help="the name colleagues see")
    add.add_argument("--admin", action="store_true", help="may also manage accounts and read the audit trail")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=run_add)

    password = commands.add_parser("password", parents=[common_parent], help="set a new password (ends sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(handler=run_password)

    remove = commands.add_parser("remove", parents=[common_parent], help="delete a console account")
    remove.add_argument("username")
    remove.set_defaults(handler=run_remove)

    listing = commands.add_parser("list", parents=[common_parent], help="list console accounts")
    listing.add_argument("--json", action="store_true", help="print the accounts as JSON")
    listing.set_defaults(handler=run_list)


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot librarian add USERNAME``."""
    secret = _read_password(args.password_stdin)
    if secret is None:
        return 1
    role = "admin" if args.admin else "librarian"
    try:
        account = _run(settings, lambda store: accounts.add_account(
            store, args.username, secret, name=args.name, role=role, actor="cli"))
    except accounts.AccountError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"Added {account.role} '{account.username}'.")
    return 0


def run_password(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot librarian password USERNAME``."""
    secret = _read_password(args.password_stdin)
    if secret is None:
        return 1
    try:
        _run(settings, lambda store: accounts.set_password(store, args.username, secret, actor="cli"))
    except accounts.AccountError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"New password set for '{args.username.lower()}'; their sessions have ended.")
    return 0


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot librarian remove USERNAME``."""
    removed = _run(settings, lambda store: accounts.remove_account(store, args.username, actor="cli"))
    if not removed:
        print(f"error: there is no account '{args.username}'", file=sys.stderr)
        return 1
    print(f"Removed '{args.username.lower()}'.")
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot librarian list [--json]``."""
    found = _run(settings, accounts.list_accounts)
    if args.json:
        rows = [{"username": a.username, "name": a.name, "role": a.role, "created_at": a.created_at} for a in found]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print("No console accounts yet; add one with `refbot librarian add USERNAME`.")
    for a in found:
        created = datetime.datetime.fromtimestamp(a.created_at).strftime("%Y-%m-%d")
        print(f"{a.username:20} {a.role:10} {created}  {a.name}")
    return 0


def _run(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    async def main() -> T:
        store = await Store.open(settings.store_location)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        print("error: the two passwords differ", file=sys.stderr)
        return None
    return first
