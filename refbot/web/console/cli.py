"""``refbot librarian …``: who may sign in to the console.

    refbot librarian add USERNAME [--name NAME] [--admin] [--consortium] [--password-stdin]
    refbot librarian password USERNAME [--consortium] [--password-stdin]
    refbot librarian remove USERNAME [--consortium]
    refbot librarian list [--json]

Passwords are asked for twice on a terminal, or read from the first line of standard input
with ``--password-stdin`` (for scripts); they never appear on the command line.

With ``libraries:`` each library has accounts of its own: name it with ``--library ID``, or
give ``--consortium`` to act on every library's store at once, with one password hash
(:mod:`refbot.web.console.consortium`): ``add --admin --consortium`` makes a consortium admin.
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
from refbot.web.console import accounts, consortium

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
    _consortium_option(add, "the same account, with one password, in every library's store (with --admin: a "
                            "consortium admin, who also sees the consortium's figures at /console)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=run_add)

    password = commands.add_parser("password", parents=[common_parent], help="set a new password (ends sessions)")
    password.add_argument("username")
    _consortium_option(password, "the same new password in every library's store (keeps a consortium admin one)")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(handler=run_password)

    remove = commands.add_parser("remove", parents=[common_parent], help="delete a console account")
    remove.add_argument("username")
    _consortium_option(remove, "delete it from every library's store")
    remove.set_defaults(handler=run_remove)

    listing = commands.add_parser("list", parents=[common_parent], help="list console accounts")
    listing.add_argument("--json", action="store_true", help="print the accounts as JSON")
    listing.set_defaults(handler=run_list)


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot librarian add USERNAME``."""
    if _both_scopes(args):
        return 2
    secret = _read_password(args.password_stdin)
    if secret is None:
        return 1
    role = "admin" if args.admin else "librarian"
    try:
        if args.consortium:
            made = _run_everywhere(settings, lambda stores: consortium.add_account(
                stores, args.username, secret, name=args.name, role=role, actor="cli"))
        else:
            made = {"": _run(settings, lambda store: accounts.add_account(
                store, args.username, secret, name=args.name, role=role, actor="cli"))}
    except accounts.AccountError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    account = next(iter(made.values()))
    where = f" at {', '.join(made)}, one password for all" if args.consortium else ""
    print(f"Added {account.role} '{account.username}'{where}.")
    return 0


def run_password(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot librarian password USERNAME``."""
    if _both_scopes(args):
        return 2
    secret = _read_password(args.password_stdin)
    if secret is None:
        return 1
    try:
        if args.consortium:
            _run_everywhere(settings, lambda stores: consortium.set_password(stores, args.username, secret, actor="cli"))
        else:
            _run(settings, lambda store: accounts.set_password(store, args.username, secret, actor="cli"))
    except accounts.AccountError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"New password set for '{args.username.lower()}'; their sessions have ended.")
    return 0


def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot librarian remove USERNAME``."""
    if _both_scopes(args):
        return 2
    if args.consortium:
        libraries = _run_everywhere(settings, lambda stores: consortium.remove_account(stores, args.username, actor="cli"))
    else:
        removed = _run(settings, lambda store: accounts.remove_account(store, args.username, actor="cli"))
        libraries = [""] if removed else []
    if not libraries:
        print(f"error: there is no account '{args.username}'", file=sys.stderr)
        return 1
    where = f" from {', '.join(libraries)}" if args.consortium else ""
    print(f"Removed '{args.username.lower()}'{where}.")
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


def _consortium_option(parser: argparse.ArgumentParser, what: str) -> None:
    # refbot.cli.main hands the whole deployment's settings (not one library's) when this is set.
    parser.add_argument("--consortium", action="store_true", help=f"every library of the deployment: {what}")


def _both_scopes(args: argparse.Namespace) -> bool:
    if args.consortium and getattr(args, "library", None):
        print("error: --consortium is every library; leave out --library", file=sys.stderr)
        return True
    return False


def _run_everywhere(settings: Settings, work: Callable[[dict[str, Store]], Awaitable[T]]) -> T:
    """Run ``work`` with every library's store open (library id → store)."""
    async def main() -> T:
        stores: dict[str, Store] = {}
        try:
            for library in settings.each_library():
                stores[library.id] = await Store.open(library.settings.store_location)
            return await work(stores)
        finally:
            for store in stores.values():
                await store.close()

    return asyncio.run(main())


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
