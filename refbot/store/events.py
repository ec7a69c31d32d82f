"""The audit trail: who did what, and when, kept in ``events``."""

from __future__ import annotations

import json
from typing import Any

from refbot.store.database import Database, Row, Tx


class EventStore(Database):
    """Writes and reads of the audit trail."""

    async def add_event(self, db: Tx, actor: str, kind: str, subject: str, detail: dict[str, Any]) -> None:
        """Record who did what inside the caller's transaction."""
        await write_event(db, self.clock(), actor, kind, subject, detail)

    async def events(self, subject: str | None = None) -> list[Row]:
        """Audit events, oldest first."""
        if subject is None:
            return await self.fetchall("SELECT * FROM events ORDER BY id")
        return await self.fetchall("SELECT * FROM events WHERE subject = ? ORDER BY id", (subject,))

    async def erase_requested_at(self, phone: str) -> float | None:
        """When this person last asked to have their data erased, if ever."""
        row = await self.fetchone(
            "SELECT MAX(at) AS at FROM events WHERE actor = ? AND kind = 'erase_requested'", (phone,)
        )
        return None if row is None or row["at"] is None else float(row["at"])


async def write_event(db: Tx, at: float, actor: str, kind: str, subject: str, detail: dict[str, Any]) -> None:
    """Add one audit event inside ``db`` (for the store's modules)."""
    await db.execute(
        "INSERT INTO events (at, actor, kind, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (at, actor, kind, subject, json.dumps(detail, ensure_ascii=False)),
    )
