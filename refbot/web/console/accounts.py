"""Console accounts: librarians and admins, their password hashes and session epochs.

Every change is recorded in the store's audit trail (``events``) in the same transaction.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from refbot.errors import RefbotError
from refbot.store import Row, Store, Tx
from refbot.web.console.passwords import DUMMY_HASH, hash_password, password_problem, verify_password

ROLES = ("librarian", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
_COLUMNS = "id, username, name, role, session_epoch, created_at"


class AccountError(RefbotError):
    """An account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class Account:
    """Someone who may sign in to the console."""

    id: int
    username: str
    name: str
    role: str
    session_epoch: int
    created_at: float

    @property
    def display(self) -> str:
        """The name colleagues see."""
        return self.name or self.username

    @property
    def actor(self) -> str:
        """How this account appears in drafts' ``decided_by`` and the audit trail."""
        return f"console:{self.username}"

    @property
    def is_admin(self) -> bool:
        """Whether the account may manage accounts and read the audit trail."""
        return self.role == "admin"


async def add_account(
    store: Store, username: str, password: str, *, name: str = "", role: str = "librarian", actor: str = "cli"
) -> Account:
    """Create an account.

    Raises:
        AccountError: the username is malformed or taken, the role unknown, the password too weak.
    """
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError("a username is 2-32 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
    if role not in ROLES:
        raise AccountError(f"role must be one of: {', '.join(ROLES)}")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    hashed = await asyncio.to_thread(hash_password, password)
    async with store.tx() as db:
        if await _row(db, username) is not None:
            raise AccountError(f"there is already an account '{username}'")
        await db.execute(
            "INSERT INTO console_accounts (username, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            (username, name.strip(), role, hashed, store.clock()),
        )
        await store.add_event(db, actor, "account_add", f"account:{username}", {"role": role})
    account = await find_account(store, username)
    assert account is not None
    return account


async def remove_account(store: Store, username: str, *, actor: str = "cli") -> bool:
    """Delete an account (its sessions end with it); False when there was none."""
    username = username.strip().lower()
    async with store.tx() as db:
        cur = await db.execute("DELETE FROM console_accounts WHERE username = ?", (username,))
        if cur.rowcount == 0:
            return False
        await store.add_event(db, actor, "account_remove", f"account:{username}", {})
    return True


async def set_password(store: Store, username: str, password: str, *, actor: str = "cli") -> None:
    """Give an account a new password and end its sessions.

    Raises:
        AccountError: no such account, or the password is too weak.
    """
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    hashed = await asyncio.to_thread(hash_password, password)
    async with store.tx() as db:
        cur = await db.execute(
            "UPDATE console_accounts SET password_hash = ?, session_epoch = session_epoch + 1 WHERE username = ?",
            (hashed, username.strip().lower()),
        )
        if cur.rowcount == 0:
            raise AccountError(f"there is no account '{username}'")
        await store.add_event(db, actor, "password_set", f"account:{username.strip().lower()}", {})


async def end_sessions(store: Store, account: Account) -> None:
    """Invalidate every session cookie the account holds (logging out everywhere)."""
    async with store.tx() as db:
        await db.execute("UPDATE console_accounts SET session_epoch = session_epoch + 1 WHERE id = ?", (account.id,))
        await store.add_event(db, account.actor, "logout", f"account:{account.username}", {})


async def authenticate(store: Store, username: str, password: str) -> Account | None:
    """The account when the password is right; None otherwise, in about the same time."""
    row = await store.fetchone(
        f"SELECT {_COLUMNS}, password_hash FROM console_accounts WHERE username = ?", (username.strip().lower(),)
    )
    stored = row["password_hash"] if row else DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, password, stored)
    return _account(row) if ok and row is not None else None


async def get_account(store: Store, account_id: int) -> Account | None:
    """One account by id."""
    row = await store.fetchone(f"SELECT {_COLUMNS} FROM console_accounts WHERE id = ?", (account_id,))
    return _account(row) if row else None


async def find_account(store: Store, username: str) -> Account | None:
    """One account by username."""
    row = await store.fetchone(
        f"SELECT {_COLUMNS} FROM console_accounts WHERE username = ?", (username.strip().lower(),)
    )
    return _account(row) if row else None


async def list_accounts(store: Store) -> list[Account]:
    """Every account, by username."""
    return [_account(r) for r in await store.fetchall(f"SELECT {_COLUMNS} FROM console_accounts ORDER BY username")]


async def _row(db: Tx, username: str) -> Row | None:
    row: Row | None = await db.fetchone("SELECT id FROM console_accounts WHERE username = ?", (username,))
    return row


def _account(row: Row) -> Account:
    return Account(row["id"], row["username"], row["name"], row["role"], row["session_epoch"], row["created_at"])
