"""Console accounts: librarians and admins, their password hashes and session epochs.

The rules (usernames, roles, password strength, hashing) live here; the rows live in
:mod:`refbot.store.accounts`, which records every change in the audit trail in the same transaction.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from refbot.errors import RefbotError
from refbot.store import Store
from refbot.store.accounts import Account
from refbot.web.console.passwords import dummy_hash, hash_password, needs_rehash, password_problem, verify_password

__all__ = [
    "ROLES", "Account", "AccountError", "add_account", "authenticate", "check_new_account", "check_password",
    "end_sessions", "find_account", "get_account", "list_accounts", "remove_account", "set_password",
]

ROLES = ("librarian", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class AccountError(RefbotError):
    """An account cannot be created or changed as asked; the message says why."""


async def add_account(
    store: Store, username: str, password: str, *, name: str = "", role: str = "librarian", actor: str = "cli"
) -> Account:
    """Create an account.

    Raises:
        AccountError: the username is malformed or taken, the role unknown, the password too weak.
    """
    username = check_new_account(username, role, password)
    hashed = await asyncio.to_thread(hash_password, password)
    account = await store.insert_account(username, name.strip(), role, hashed, actor=actor)
    if account is None:
        raise AccountError(f"there is already an account '{username}'")
    return account


def check_new_account(username: str, role: str, password: str) -> str:
    """The username as it is stored, when username, role and password are acceptable.

    Raises:
        AccountError: the username is malformed, the role unknown, the password too weak.
    """
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError("a username is 2-32 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
    if role not in ROLES:
        raise AccountError(f"role must be one of: {', '.join(ROLES)}")
    check_password(password)
    return username


def check_password(password: str) -> None:
    """Raises :class:`AccountError` saying why, when ``password`` is too weak."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)


async def remove_account(store: Store, username: str, *, actor: str = "cli") -> bool:
    """Delete an account (its sessions end with it); False when there was none."""
    return await store.delete_account(username.strip().lower(), actor=actor)


async def set_password(store: Store, username: str, password: str, *, actor: str = "cli") -> None:
    """Give an account a new password and end its sessions.

    Raises:
        AccountError: no such account, or the password is too weak.
    """
    check_password(password)
    hashed = await asyncio.to_thread(hash_password, password)
    if not await store.replace_password_hash(username.strip().lower(), hashed, actor=actor):
        raise AccountError(f"there is no account '{username}'")


async def end_sessions(store: Store, account: Account) -> None:
    """Invalidate every session cookie the account holds (logging out everywhere)."""
    await store.end_account_sessions(account)


async def authenticate(store: Store, username: str, password: str, *, alike: Iterable[Store] = ()) -> Account | None:
    """The account when the password is right; None otherwise, in about the same time.

    A right password whose hash was made at an older cost (or by the older scheme) is hashed
    again now, while refbot holds it, so every account reaches the current cost at its next sign-in.
    The same account in the ``alike`` stores (a consortium's other libraries) gets the new hash
    too where it holds the very same old one: a consortium account stays one account.
    """
    found = await store.account_with_hash(username.strip().lower())
    stored = found[1] if found else dummy_hash()
    ok = await asyncio.to_thread(verify_password, password, stored)
    if not ok or found is None:
        return None
    account = found[0]
    if needs_rehash(stored):
        fresh = await asyncio.to_thread(hash_password, password)
        for each in (store, *(other for other in alike if other is not store)):
            await each.upgrade_password_hash(account.username, stored, fresh)
    return account


async def get_account(store: Store, account_id: int) -> Account | None:
    """One account by id."""
    return await store.account_by_id(account_id)


async def find_account(store: Store, username: str) -> Account | None:
    """One account by username."""
    return await store.account_by_username(username.strip().lower())


async def list_accounts(store: Store) -> list[Account]:
    """Every account, by username."""
    return await store.all_accounts()
