"""What the health check and the monitoring read: the worker loops' heartbeats, how much work waits, and
which patron's message a row stems from (for the logs' request ids)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from refbot.store.database import Database


@dataclass(frozen=True)
class LoopBeat:
    """One worker loop's state as last reported."""

    worker: str
    loop: str
    beat_at: float
    error: str = ""
    error_at: float = 0.0
    failing: int = 0
    """Rounds in a row that ended in an error (0: the last round went well)."""


@dataclass(frozen=True)
class Backlog:
    """Work waiting in the store."""

    inbox_pending: int
    outbox_due: int
    sends_in_doubt: int
    oldest_pending_inbox: float | None


@dataclass(frozen=True)
class AccountErrors:
    """The errors WhatsApp reported about the account (``value.errors``) since some time."""

    count: int
    last_code: int | None = None
    last_message: str = ""
    last_at: float | None = None


WHATSAPP_ERROR = "whatsapp_error"
"""The kind of the event an error WhatsApp reported about the account leaves."""


class HealthStore(Database):
    """Heartbeats and backlog counts."""

    async def record_heartbeats(self, beats: list[LoopBeat]) -> None:
        """Keep each loop's latest state (one row per worker and loop)."""
        async with self.tx() as tx:
            await tx.executemany(
                "INSERT INTO worker_heartbeats (worker, loop, beat_at, error, error_at, failing)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (worker, loop) DO UPDATE SET beat_at = excluded.beat_at,"
                " error = excluded.error, error_at = excluded.error_at, failing = excluded.failing",
                [(b.worker, b.loop, b.beat_at, b.error[:500], b.error_at, b.failing) for b in beats],
            )

    async def heartbeats(self, since: float = 0.0) -> list[LoopBeat]:
        """Loops that reported at or after ``since``, newest first."""
        rows = await self.fetchall(
            "SELECT * FROM worker_heartbeats WHERE beat_at >= ? ORDER BY beat_at DESC", (since,)
        )
        return [LoopBeat(r["worker"], r["loop"], r["beat_at"], r["error"], r["error_at"], r["failing"]) for r in rows]

    async def live_workers(self, since: float) -> int:
        """How many workers (any of whose loops) reported a beat at or after ``since``."""
        row = await self.fetchone("SELECT COUNT(DISTINCT worker) AS n FROM worker_heartbeats WHERE beat_at >= ?",
                                  (since,))
        return int(row["n"]) if row is not None else 0

    async def forget_heartbeats_before(self, before: float) -> None:
        """Drop the rows of workers long gone (a restarted worker has a new name)."""
        async with self.tx() as tx:
            await tx.execute("DELETE FROM worker_heartbeats WHERE beat_at < ?", (before,))

    async def backlog(self) -> Backlog:
        """How much work waits: messages to handle, sends due, sends in doubt."""
        now = self.clock()
        row = await self.fetchone(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE state IN ('pending', 'processing')) AS inbox_pending,"
            " (SELECT MIN(received_at) FROM inbox WHERE state IN ('pending', 'processing')) AS oldest,"
            " (SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending') AND next_attempt_at <= ?) AS due,"
            " (SELECT COUNT(*) FROM outbox WHERE state = 'unsure') AS unsure",
            (now,),
        )
        assert row is not None
        return Backlog(int(row["inbox_pending"]), int(row["due"]), int(row["unsure"]), row["oldest"])

    async def whatsapp_errors(self, since: float) -> AccountErrors:
        """How many account errors WhatsApp reported since ``since``, and the latest of them."""
        row = await self.fetchone(
            "SELECT COUNT(*) AS n, MAX(id) AS last FROM events WHERE kind = ? AND at >= ?", (WHATSAPP_ERROR, since)
        )
        if row is None or not row["n"]:
            return AccountErrors(0)
        last = await self.fetchone("SELECT at, detail FROM events WHERE id = ?", (row["last"],))
        assert last is not None
        detail = json.loads(last["detail"])
        code = detail.get("code")
        return AccountErrors(int(row["n"]), code if isinstance(code, int) else None,
                             str(detail.get("message", "")), float(last["at"]))

    async def held_messages(self) -> int:
        """How many messages wait for their recipient to write again (their 24-hour window is shut)."""
        row = await self.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE state = 'held'")
        return int(row["n"]) if row else 0

    async def received_at(self, inbox_id: int) -> float | None:
        """When the webhook carrying inbound message ``inbox_id`` arrived (for the draft latency)."""
        row = await self.fetchone("SELECT received_at FROM inbox WHERE id = ?", (inbox_id,))
        return float(row["received_at"]) if row else None

    async def origin_wamid(self, *, draft_id: int | None = None, request_id: int | None = None,
                           inbox_id: int | None = None, service_request_id: int | None = None) -> str | None:
        """The WhatsApp id of the patron's message a send answers, named by whichever row it hangs on.

        The logs' request ids are derived from it, so a send's lines join its webhook's and its
        draft's. None when the message is gone (erased, purged) or nothing was named.
        """
        if draft_id is not None:
            sql = ("SELECT i.wamid FROM drafts d JOIN requests r ON r.id = d.request_id"
                   " JOIN inbox i ON i.id = r.inbox_id WHERE d.id = ?")
            key = draft_id
        elif request_id is not None:
            sql, key = "SELECT i.wamid FROM requests r JOIN inbox i ON i.id = r.inbox_id WHERE r.id = ?", request_id
        elif service_request_id is not None:
            sql = "SELECT i.wamid FROM service_requests s JOIN inbox i ON i.id = s.inbox_id WHERE s.id = ?"
            key = service_request_id
        elif inbox_id is not None:
            sql, key = "SELECT wamid FROM inbox WHERE id = ?", inbox_id
        else:
            return None
        row = await self.fetchone(sql, (key,))
        return str(row["wamid"]) if row else None
