"""Console accounts: librarians and admins, their password hashes, session epochs and sign-ins.

Every change is recorded in the audit trail (``events``) in the same transaction. Checking a
username or a password, and hashing one, is the console's business
(:mod:`refbot.web.console.accounts`); the store only keeps what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refbot.store.database import Database, Row, Tx

_COLUMNS = "id, username, name, role, session_epoch, created_at"


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


class AccountStore(Database):
    """Reads and writes of ``console_accounts`` and the audit events they leave."""

    if TYPE_CHECKING:
        # Provided by the store's events part; declared here so the type checker knows it.
        async def add_event(self, db: Tx, actor: str, kind: str, subject: str, detail: dict[str, Any]) -> None: ...

    async def insert_account(
        self, username: str, name: str, role: str, password_hash: str, *, actor: str
    ) -> Account | None:
        """Create an account; None (and nothing written) when the username is taken."""
        async with self.tx() as db:
            if await db.fetchone("SELECT id FROM console_accounts WHERE lower(username) = lower(?)", (username,)) is not None:
                return None
            await db.execute(
                "INSERT INTO console_accounts (username, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (username, name, role, password_hash, self.clock()),
            )
            await self.add_event(db, actor, "account_add", f"account:{username}", {"role": role})
        return await self.account_by_username(username)

    async def delete_account(self, username: str, *, actor: str) -> bool:
        """Delete an account (its claims and sessions go with it); False when there was none."""
        async with self.tx() as db:
            cur = await db.execute("DELETE FROM console_accounts WHERE lower(username) = lower(?)", (username,))
            if cur.rowcount == 0:
                return False
            await self.add_event(db, actor, "account_remove", f"account:{username}", {})
        return True

    async def replace_password_hash(self, username: str, password_hash: str, *, actor: str) -> bool:
        """Store a new password hash and end the account's sessions; False when there is no such account."""
        async with self.tx() as db:
            cur = await db.execute(
                "UPDATE console_accounts SET password_hash = ?, session_epoch = session_epoch + 1 WHERE lower(username) = lower(?)",
                (password_hash, username),
            )
            if cur.rowcount == 0:
                return False
            await self.add_event(db, actor, "password_set", f"account:{username}", {})
        return True

    async def upgrade_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        """Replace a hash of the same password made at an older cost; sessions carry on.

        Only while the stored hash is still ``old_hash``: a password changed meanwhile wins.
        """
        async with self.tx() as db:
            cur = await db.execute(
                "UPDATE console_accounts SET password_hash = ? WHERE lower(username) = lower(?) AND password_hash = ?",
                (new_hash, username, old_hash),
            )
            if cur.rowcount == 0:
                return False
            await self.add_event(db, f"console:{username}", "password_rehashed", f"account:{username}", {})
        return True

    async def end_account_sessions(self, account: Account) -> None:
        """Move the account's session epoch on, so every cookie it holds stops working."""
        async with self.tx() as db:
            await db.execute(
                "UPDATE console_accounts SET session_epoch = session_epoch + 1 WHERE id = ?", (account.id,)
            )
            await self.add_event(db, account.actor, "logout", f"account:{account.username}", {})

    async def record_login(self, account: Account, remote: str) -> None:
        """Note in the audit trail that ``account`` signed in from ``remote``."""
        async with self.tx() as db:
            await self.add_event(db, account.actor, "login", f"account:{account.username}", {"from": remote})

    async def record_failed_login(self, username: str, remote: str) -> None:
        """Note in the audit trail a sign-in as ``username`` that failed."""
        async with self.tx() as db:
            await self.add_event(db, "console", "login_failed", f"account:{username}", {"from": remote})

    async def account_with_hash(self, username: str) -> tuple[Account, str] | None:
        """An account by username with its stored password hash, for checking a password."""
        row = await self.fetchone(
            f"SELECT {_COLUMNS}, password_hash FROM console_accounts WHERE lower(username) = lower(?)", (username,)
        )
        return (_account(row), str(row["password_hash"])) if row else None

    async def account_by_id(self, account_id: int) -> Account | None:
        """One account by id."""
        row = await self.fetchone(f"SELECT {_COLUMNS} FROM console_accounts WHERE id = ?", (account_id,))
        return _account(row) if row else None

    async def account_by_username(self, username: str) -> Account | None:
        """One account by username."""
        row = await self.fetchone(f"SELECT {_COLUMNS} FROM console_accounts WHERE lower(username) = lower(?)", (username,))
        return _account(row) if row else None

    async def all_accounts(self) -> list[Account]:
        """Every account, by username."""
        return [_account(r) for r in await self.fetchall(f"SELECT {_COLUMNS} FROM console_accounts ORDER BY username")]


def _account(row: Row) -> Account:
    return Account(row["id"], row["username"], row["name"], row["role"], row["session_epoch"], row["created_at"])
