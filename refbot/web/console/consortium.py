"""Consortium accounts: one account in every library's store, and who is a consortium admin.

Each library of a consortium keeps its console accounts in its own store; the consortium has
no store of its own. A *consortium account* is created at once in every library's store with
the same username, name, role and password hash (``refbot librarian add USER --admin
--consortium``), so its holder signs in to any library's console with one password.

A consortium admin is not a flag kept somewhere that could disagree with the stores: it is an
account that is an ``admin`` with one and the same password hash in **every** library's store.
Hashes are salted, so identical hashes were made together (by ``--consortium``), never by
chance, and two libraries' admins who merely share a username are not one person. Each library
keeps the last word: when its admins remove the account, or its password is changed for that
library alone, the holder is no longer a consortium admin, and the consortium's figures (which
include that library's) are closed to them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from refbot.store import Store
from refbot.web.console.accounts import Account, AccountError, check_new_account, check_password, find_account
from refbot.web.console.passwords import hash_password

__all__ = ["add_account", "is_admin", "remove_account", "set_password", "share_password"]


async def is_admin(stores: Iterable[Store], username: str) -> bool:
    """Whether ``username`` is an admin with the same password hash in every one of ``stores``."""
    hashes = set()
    for store in stores:
        found = await store.account_with_hash(username.strip().lower())
        if found is None or not found[0].is_admin:
            return False
        hashes.add(found[1])
    return len(hashes) == 1


async def add_account(
    stores: Mapping[str, Store], username: str, password: str, *, name: str = "", role: str = "admin",
    actor: str = "cli",
) -> dict[str, Account]:
    """Create one account, with one password hash, in every library's store; library id → its account.

    Raises:
        AccountError: the username is malformed or taken in any library (then nothing is created),
            the role unknown, the password too weak.
    """
    username = check_new_account(username, role, password)
    taken = [library for library, store in stores.items() if await find_account(store, username)]
    if taken:
        raise AccountError(f"there is already an account '{username}' at {', '.join(taken)}")
    hashed = await asyncio.to_thread(hash_password, password)
    made: dict[str, Account] = {}
    for library, store in stores.items():
        account = await store.insert_account(username, name.strip(), role, hashed, actor=actor)
        if account is None:  # made meanwhile by someone else: say how far this got
            raise AccountError(f"'{username}' appeared at {library} meanwhile; created at: {', '.join(made) or 'none'}")
        made[library] = account
    return made


async def set_password(stores: Mapping[str, Store], username: str, password: str, *, actor: str = "cli") -> None:
    """Give the account the same new password in every library's store, ending its sessions everywhere.

    Raises:
        AccountError: the password is too weak, or some library has no such account (then nothing changes).
    """
    check_password(password)
    missing = [library for library, store in stores.items() if not await find_account(store, username)]
    if missing:
        raise AccountError(f"there is no account '{username}' at {', '.join(missing)}")
    hashed = await asyncio.to_thread(hash_password, password)
    for store in stores.values():
        await store.replace_password_hash(username.strip().lower(), hashed, actor=actor)


async def share_password(stores: Iterable[Store], username: str, password: str, *, name: str, actor: str) -> bool:
    """The sandbox's account: one password for ``username`` in every store that has it or has no account yet.

    Returns whether any store took it (a store whose library made accounts of its own is left be).
    """
    hashed = await asyncio.to_thread(hash_password, password)
    took = False
    for store in stores:
        if await find_account(store, username):
            took = await store.replace_password_hash(username, hashed, actor=actor) or took
        elif not await store.all_accounts():
            took = await store.insert_account(username, name, "admin", hashed, actor=actor) is not None or took
    return took


async def remove_account(stores: Mapping[str, Store], username: str, *, actor: str = "cli") -> list[str]:
    """Delete the account from every library's store; the libraries that had it."""
    return [library for library, store in stores.items()
            if await store.delete_account(username.strip().lower(), actor=actor)]
