"""Inbound messages: stored once per wamid, claimed by the worker, finished or retried."""

from __future__ import annotations

from refbot import codec
from refbot.models import InboundMessage, InboxRow
from refbot.store.database import Database, Tx


class InboxStore(Database):
    """Reads and writes of ``inbox`` and the webhook journal's progress."""

    async def record_inbound(self, message: InboundMessage, received_at: float | None = None,
                             tx: Tx | None = None) -> bool:
        """Store one inbound message; False when its wamid was already stored.

        ``received_at`` is when the webhook arrived (the journal's time), which may be a
        little before the worker applies it; the 24-hour window counts from it.
        """
        now = self.clock() if received_at is None else received_at
        async with self.within(tx) as db:
            cur = await db.execute(
                # Only a redelivery (the same wamid) is ignored; OR IGNORE would also drop a row
                # that breaks another rule, as if it were a duplicate.
                "INSERT INTO inbox (wamid, sender, type, message, received_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (wamid) DO NOTHING",
                (message.wamid, message.sender, message.type, codec.dumps(message), now),
            )
            if cur.rowcount == 0:
                return False
            # Their writing reopens the 24-hour window: what waited for it may go now.
            await db.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = 0 WHERE recipient = ? AND state = 'held'",
                (message.sender,),
            )
            await db.execute(
                "INSERT INTO patrons (phone, name, last_inbound_at) VALUES (?, ?, ?)"
                " ON CONFLICT (phone) DO UPDATE SET last_inbound_at = excluded.last_inbound_at,"
                " name = CASE WHEN excluded.name != '' THEN excluded.name ELSE patrons.name END",
                (message.sender, message.sender_name, now),
            )
        return True

    async def journal_applied(self, journal: str) -> int:
        """How far the webhook journal named ``journal`` has been applied (0: not at all)."""
        row = await self.fetchone("SELECT applied_upto FROM journal_progress WHERE journal = ?", (journal,))
        return int(row["applied_upto"]) if row else 0

    async def mark_journal_applied(self, journal: str, upto: int) -> None:
        """Record that the journal's entries up to ``upto`` are in the store."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO journal_progress (journal, applied_upto) VALUES (?, ?) ON CONFLICT (journal)"
                " DO UPDATE SET applied_upto = CASE WHEN journal_progress.applied_upto > excluded.applied_upto"
                " THEN journal_progress.applied_upto ELSE excluded.applied_upto END",
                (journal, upto),
            )

    async def claim_inbox(self, limit: int, worker: str = "") -> list[InboxRow]:
        """Claim up to ``limit`` pending inbound messages for ``worker``, oldest first.

        Rows another worker is claiming at this moment are passed over, so any number of
        workers claim at once without handing one message to two of them.
        """
        async with self.tx() as db:
            rows = await db.fetchall(
                f"SELECT id, message, attempts FROM inbox WHERE state = 'pending' ORDER BY id LIMIT ?"
                f"{self.dialect.skip_locked}",
                (limit,),
            )
            await db.executemany(
                "UPDATE inbox SET state = 'processing', attempts = attempts + 1, claimed_by = ? WHERE id = ?",
                [(worker, r["id"]) for r in rows],
            )
        return [InboxRow(r["id"], codec.loads(InboundMessage, r["message"]), r["attempts"] + 1) for r in rows]

    async def finish_inbox(self, inbox_id: int, db: Tx | None = None) -> None:
        """Mark an inbound message handled (inside the caller's transaction when given)."""
        if db is not None:
            await db.execute("UPDATE inbox SET state = 'done' WHERE id = ?", (inbox_id,))
            return
        async with self.tx() as conn:
            await conn.execute("UPDATE inbox SET state = 'done' WHERE id = ?", (inbox_id,))

    async def retry_inbox(self, inbox_id: int, error: str, give_up: bool) -> None:
        """Put a message back for another try, or set it aside as failed."""
        state = "failed" if give_up else "pending"
        async with self.tx() as db:
            await db.execute("UPDATE inbox SET state = ?, error = ? WHERE id = ?", (state, error, inbox_id))

    async def inbox_counts(self) -> dict[str, int]:
        """How many inbound messages are in each state."""
        rows = await self.fetchall("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}
