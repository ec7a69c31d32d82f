"""The outbox: every message refbot sends, queued once per idempotency key, and its fate.

A row is pending, then sending; a send that reached WhatsApp is sent (then delivered, read or
failed as status webhooks say), one whose outcome is unknown is unsure until a status settles
it, and one outside the patron's 24-hour window is held until they write again. A librarian's
notice that would ring at night is quiet until the desk opens, then digested into the morning
digest (:mod:`refbot.delivery.quiet`).

Claims keep each recipient's messages in order across processes: a row is not handed out
while an older row to the same person is sending, unsure, or pending a retry not yet due
(held and failed rows do not hold anyone up). An unsure row is handed out again only on
evidence that its send never reached WhatsApp, or after a much longer wait (see
:meth:`OutboxStore.claim_outbox`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from refbot import codec
from refbot.models import OutgoingMessage, StatusUpdate
from refbot.store.database import Database, Row, Tx
from refbot.store.events import write_event

# WhatsApp's error for a free-form message outside the 24-hour customer-service window.
WINDOW_SHUT = "131047"
_STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}
# Every send carries this plus its outbox row's id as callback data; WhatsApp echoes it in
# the send's status webhooks. An id, so no phone number travels in it.
CALLBACK_PREFIX = "refbot.outbox."
# Outbox states of a row no send of which is known to have reached WhatsApp.
_UNSENT = "('sending', 'unsure', 'pending', 'held', 'failed')"
# Of those, the ones a status naming the row by its callback data settles at once.
_SETTLEABLE = "('unsure', 'pending', 'held', 'failed')"


@dataclass(frozen=True)
class OutboxRow:
    """A message due to be sent."""

    id: int
    idem_key: str
    message: OutgoingMessage
    attempts: int
    draft_id: int | None
    in_doubt: bool = False  # an earlier send may have reached WhatsApp; no status said so in time
    evidence: bool = False  # in doubt, and a later send was reported while this one was not
    created_at: float = 0.0  # when it was queued
    doubts: int = 0  # how many times it was sent again while in doubt, this time included

    @property
    def callback_data(self) -> str:
        """What its sends carry for the status webhooks to echo: the row's id."""
        return callback_data(self.id)


class OutboxStore(Database):
    """Reads and writes of ``outbox`` and ``early_statuses``."""

    async def reset_in_flight(self, gone: Collection[str] | None = None) -> int:
        """Put back the rows claimed by workers that are gone: every claimed row when ``gone`` is None.

        None is for a desk with one worker, restarting; with several workers, only the rows of
        the ones named (see :mod:`refbot.worker.recovery`) — the others are still at work on theirs.
        """
        if gone is not None and not gone:
            return 0
        whose, params = ("", ()) if gone is None else (
            f" AND claimed_by IN ({', '.join('?' for _ in gone)})", tuple(gone))
        async with self.tx() as db:
            a = await db.execute(f"UPDATE inbox SET state = 'pending' WHERE state = 'processing'{whose}", params)
            b = await self._doubt_in_flight(db, whose, params)
            return a.rowcount + b

    async def claimers(self) -> set[str]:
        """The workers that hold claimed rows now ('' for rows claimed before workers were named)."""
        rows = await self.fetchall(
            "SELECT claimed_by FROM inbox WHERE state = 'processing'"
            " UNION SELECT claimed_by FROM outbox WHERE state = 'sending'"
        )
        return {r["claimed_by"] for r in rows}

    async def enqueue(
        self, db: Tx, key: str, message: OutgoingMessage, draft_id: int | None = None
    ) -> bool:
        """Queue a message inside the caller's transaction; False if that key was queued before."""
        now = self.clock()
        cur = await db.execute(
            "INSERT INTO outbox (idem_key, recipient, message, draft_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING",
            (key, message.to, codec.dumps(message), draft_id, now, now),
        )
        return cur.rowcount > 0

    async def claim_outbox(
        self, limit: int, unsure_wait: float | None = None, unsure_give_up: float | None = None, worker: str = "",
    ) -> list[OutboxRow]:
        """Claim messages that are due to be sent, oldest first, keeping each person's order.

        A row is not claimed while an older row to the same recipient is ``sending``,
        ``unsure``, or ``pending`` with a retry not yet due: a message never overtakes one
        sent before it that may still arrive. Held and failed rows block nothing.

        With ``unsure_wait``, a row unsure for that many seconds is claimed again (marked
        ``in_doubt``) when there is evidence that its send never reached WhatsApp: a send that
        left after it has been reported on by a status webhook, while it has none. With
        ``unsure_give_up`` too, it is claimed after that many seconds without any evidence
        (at-least-once as the last resort; ``evidence`` is then False).

        Claims are taken one at a time across the cluster (:meth:`Tx.serialize`): whether an
        older row to the same person blocks a row depends on claims made a moment before.
        """
        now = self.clock()
        params: dict[str, float | int] = {"now": now, "limit": limit}
        due = "(o.state = 'pending' AND o.next_attempt_at <= :now)"
        latest = "(SELECT MAX(r.left_at) FROM outbox r WHERE r.status_at IS NOT NULL)"
        evidence = f"(o.left_at IS NOT NULL AND o.status_at IS NULL AND o.left_at < {latest})"
        if unsure_wait is not None:
            params["waited"] = now - unsure_wait
            doubt = evidence
            if unsure_give_up is not None:
                params["given_up"] = now - max(unsure_give_up, unsure_wait)
                doubt = f"({evidence} OR o.unsure_since <= :given_up)"
            due = f"({due} OR (o.state = 'unsure' AND o.unsure_since <= :waited AND {doubt}))"
        blocked = (
            "EXISTS (SELECT 1 FROM outbox b WHERE b.recipient = o.recipient AND b.id < o.id"
            " AND (b.state IN ('sending', 'unsure') OR (b.state = 'pending' AND b.next_attempt_at > :now)))"
        )
        async with self.tx() as db:
            await db.serialize("outbox.claim")
            rows = await db.fetchall(
                f"SELECT o.id, o.idem_key, o.message, o.attempts, o.draft_id, o.state, o.created_at, o.doubts,"
                f" CASE WHEN o.state = 'unsure' AND {evidence} THEN 1 ELSE 0 END AS evidence"
                f" FROM outbox o WHERE {due} AND NOT {blocked} ORDER BY o.id LIMIT :limit",
                params,
            )
            await db.executemany(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, unsure_since = NULL, claimed_by = ?,"
                " doubts = doubts + CASE WHEN state = 'unsure' THEN 1 ELSE 0 END WHERE id = ?",
                [(worker, r["id"]) for r in rows],
            )
        return [
            OutboxRow(r["id"], r["idem_key"], codec.loads(OutgoingMessage, r["message"]), r["attempts"] + 1,
                      r["draft_id"], in_doubt=r["state"] == "unsure", evidence=bool(r["evidence"]),
                      created_at=r["created_at"], doubts=r["doubts"] + (r["state"] == "unsure"))
            for r in rows
        ]

    async def release(self, rows: list[OutboxRow]) -> None:
        """Put back claimed rows that were not tried (an earlier one to the same person was not sent)."""
        async with self.tx() as db:
            await db.executemany(
                "UPDATE outbox SET state = CASE WHEN doubts > 0 AND ? THEN 'unsure' ELSE 'pending' END,"
                " attempts = attempts - 1, doubts = doubts - ?, unsure_since = ? WHERE id = ? AND state = 'sending'",
                [(row.in_doubt, int(row.in_doubt), self.clock() if row.in_doubt else None, row.id) for row in rows],
            )

    async def note_resend(self, row: OutboxRow) -> None:
        """Record that a row in doubt is sent again, and whether evidence said its send was lost."""
        kind = "resend_on_evidence" if row.evidence else "resend_without_evidence"
        async with self.tx() as db:
            await write_event(db, self.clock(), "sender", kind, row.idem_key, {"attempt": row.attempts})

    async def resends_without_evidence(self, since: float) -> int:
        """How many sends in doubt were sent again since ``since`` with no evidence they were lost.

        Each may have reached the person twice; /healthz shows the count.
        """
        row = await self.fetchone(
            "SELECT COUNT(*) AS n FROM events WHERE kind = 'resend_without_evidence' AND at >= ?", (since,)
        )
        return int(row["n"]) if row else 0

    async def failed_patron_rows(self, since: float) -> list[Row]:
        """Rows of patrons' lists failed for good since ``since`` whose failure librarians were not told of.

        A row is told of by queueing ``send-failed:{id}`` to the librarians (see
        :func:`refbot.decisions.fanout.to_librarians`), so each is reported once.
        """
        return await self.fetchall(
            "SELECT o.id, o.idem_key, o.draft_id, o.error FROM outbox o"
            " WHERE o.state = 'failed' AND o.idem_key LIKE '%:patron:%' AND o.updated_at >= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox n WHERE n.idem_key > 'send-failed:' || o.id || ':'"
            " AND n.idem_key < 'send-failed:' || o.id || ';') ORDER BY o.id",
            (since,),
        )

    async def mark_sending(self, row: OutboxRow) -> None:
        """The row's request is about to leave; until its outcome is recorded, a crash leaves it unsure."""
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET unsure_since = ?, left_at = ? WHERE id = ? AND state = 'sending'",
                (self.clock(), self.clock(), row.id),
            )

    async def mark_sent(self, row: OutboxRow, wamid: str) -> None:
        """Record a successful send; a draft whose patron list went out becomes sent."""
        async with self.tx() as db:
            await self._record_sent(db, row.id, row.idem_key, row.draft_id, wamid)

    async def mark_unsure(self, row: OutboxRow, error: str) -> bool:
        """Record a send whose outcome is unknown; True when a status had already settled it.

        The row waits, unsure, for a status webhook naming it by its callback data (see
        :meth:`record_status`); when none comes, :meth:`claim_outbox` hands it out again.
        """
        now = self.clock()
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET state = 'unsure', unsure_since = ?, error = ?, updated_at = ?"
                " WHERE id = ? AND state = 'sending'",
                (now, error, now, row.id),
            )
            await write_event(db, now, "sender", "send_unsure", row.idem_key, {"error": error, "attempt": row.attempts})
            return await self._settle_from_early(db, row.id)

    async def mark_unsent(self, row: OutboxRow, error: str, retry_at: float | None) -> None:
        """Record a failed send: due again at ``retry_at``, or failed for good when None."""
        state = "pending" if retry_at is not None else "failed"
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET state = ?, error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
                (state, error, retry_at or 0, self.clock(), row.id),
            )
            await write_event(db, self.clock(), "sender", "send_failed" if retry_at is None else "send_retry",
                         row.idem_key, {"error": error, "attempt": row.attempts})
            # An earlier send of it, once in doubt, may have been reported while this one failed.
            await self._settle_from_early(db, row.id)

    async def hold(self, row: OutboxRow, reason: str) -> None:
        """Park a message until its recipient writes again (their 24-hour window is shut)."""
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET state = 'held', error = ?, updated_at = ? WHERE id = ?", (reason, self.clock(), row.id)
            )
            await self._settle_from_early(db, row.id)

    async def keep_quiet(self, row: OutboxRow) -> None:
        """Park a librarian's notice until the desk opens (:mod:`refbot.delivery.quiet`): it is ``quiet``.

        A quiet row blocks nobody and is never claimed; the morning digest takes its place
        (``digested``), or :meth:`release_quiet` puts it back to be sent as it is.
        """
        async with self.tx() as db:
            await db.execute(
                "UPDATE outbox SET state = 'quiet', attempts = attempts - 1, updated_at = ? WHERE id = ? AND state = 'sending'",
                (self.clock(), row.id),
            )

    async def release_quiet(self) -> int:
        """Send the quiet notices after all, as they are (the desk is open and the day's digest went)."""
        async with self.tx() as db:
            cur = await db.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = 0, updated_at = ? WHERE state = 'quiet'",
                (self.clock(),),
            )
            return cur.rowcount

    async def _record_sent(self, db: Tx, row_id: int, idem_key: str, draft_id: int | None,
                           wamid: str) -> None:
        """The row reached WhatsApp as ``wamid``: mark it sent and apply statuses that came first."""
        await db.execute(
            f"UPDATE outbox SET state = CASE WHEN state IN {_UNSENT} THEN 'sent' ELSE state END,"
            " wamid = ?, error = '', unsure_since = NULL, updated_at = ? WHERE id = ?",
            (wamid, self.clock(), row_id),
        )
        early = await db.fetchall("SELECT status, errors, at FROM early_statuses WHERE wamid = ? ORDER BY at",
                                  (wamid,))
        for status in early:
            await self._apply_status(db, wamid, status["status"], status["errors"])
        if early:
            await _reported(db, wamid, early[0]["at"])
        await db.execute("DELETE FROM early_statuses WHERE wamid = ? OR callback = ?", (wamid, callback_data(row_id)))
        if draft_id is not None and ":patron:" in idem_key:
            # The draft is sent once every part of the patron's list has gone out: a part held for
            # a shut window, or failed for good, has not.
            await db.execute(
                "UPDATE drafts SET status = 'sent', updated_at = ? WHERE id = ? AND status = 'approved'"
                " AND NOT EXISTS (SELECT 1 FROM outbox WHERE draft_id = ? AND idem_key LIKE '%:patron:%'"
                " AND state NOT IN ('sent', 'delivered', 'read'))",
                (self.clock(), draft_id, draft_id),
            )

    async def _doubt_in_flight(self, db: Tx, whose: str, params: tuple[str, ...]) -> int:
        """Rows a dead process claimed: unsure once their request had left, else pending again."""
        rows = await db.fetchall(
            f"SELECT id FROM outbox WHERE state = 'sending' AND unsure_since IS NOT NULL{whose}", params)
        ids = [r["id"] for r in rows]
        now = self.clock()
        # The wait for a status starts now: none could be delivered while the service was down.
        await db.execute(
            "UPDATE outbox SET state = 'unsure', unsure_since = ?, error = 'cut off mid-send by a restart',"
            f" updated_at = ? WHERE state = 'sending' AND unsure_since IS NOT NULL{whose}",
            (now, now, *params),
        )
        never_left = await db.execute(f"UPDATE outbox SET state = 'pending' WHERE state = 'sending'{whose}", params)
        for row_id in ids:  # a status may have come while the send was in flight
            await self._settle_from_early(db, row_id)
        return len(ids) + never_left.rowcount

    async def _settle_from_early(self, db: Tx, row_id: int) -> bool:
        """Settle a row by a kept status that names it by callback data; whether one did."""
        row = await db.fetchone(
            f"SELECT o.id, o.idem_key, o.draft_id, e.wamid FROM outbox o JOIN early_statuses e ON e.callback = ?"
            f" WHERE o.id = ? AND o.state IN {_SETTLEABLE} ORDER BY e.at LIMIT 1",
            (callback_data(row_id), row_id),
        )
        if row is None:
            return False
        await self._record_sent(db, row["id"], row["idem_key"], row["draft_id"], row["wamid"])
        await write_event(db, self.clock(), "whatsapp", "send_settled", row["idem_key"], {"wamid": row["wamid"]})
        return True

    async def last_inbound(self, phone: str) -> float | None:
        """When this person last wrote to the library, if ever."""
        row = await self.fetchone("SELECT last_inbound_at FROM patrons WHERE phone = ?", (phone,))
        return row["last_inbound_at"] if row else None

    async def held_without_template(self) -> list[tuple[str, float]]:
        """Recipients with parked messages, and when they last wrote (0: never)."""
        rows = await self.fetchall(
            "SELECT DISTINCT o.recipient, COALESCE(p.last_inbound_at, 0) AS last FROM outbox o"
            " LEFT JOIN patrons p ON p.phone = o.recipient WHERE o.state = 'held'"
        )
        return [(r["recipient"], r["last"]) for r in rows]

    async def record_status(self, update: StatusUpdate, tx: Tx | None = None) -> bool:
        """Apply a delivery status to the outbox row it is about.

        The row is the one with the status's wamid. A status can overtake the answer to the
        send it is about; then no row carries its wamid yet, and it is kept until
        :meth:`mark_sent` records that wamid. When the answer never came (the send is
        unsure), the status's callback data names the row instead, and settles it: the
        message reached WhatsApp and is not sent again. Returns whether a row was updated now.
        """
        if _STATUS_RANK.get(update.status) is None:
            return False
        errors = "; ".join(update.errors)
        async with self.within(tx) as db:
            if await db.fetchone("SELECT 1 FROM outbox WHERE wamid = ?", (update.wamid,)) is not None:
                await _reported(db, update.wamid, self.clock())
                return await self._apply_status(db, update.wamid, update.status, errors)
            await db.execute(
                "INSERT INTO early_statuses (wamid, status, errors, at, callback) VALUES (?, ?, ?, ?, ?)",
                (update.wamid, update.status, errors, self.clock(), update.callback_data),
            )
            row_id = outbox_id(update.callback_data)
            return row_id is not None and await self._settle_from_early(db, row_id)

    async def _apply_status(self, db: Tx, wamid: str, status: str, errors: str) -> bool:
        if status == "failed" and errors.startswith(WINDOW_SHUT):
            # Sent outside the person's 24-hour window: park it until they write again.
            cur = await db.execute(
                "UPDATE outbox SET state = 'held', error = ?, updated_at = ? WHERE wamid = ?",
                (errors, self.clock(), wamid),
            )
            return cur.rowcount > 0
        # Statuses arrive out of order: never move a row backwards (read, then delivered).
        cur = await db.execute(
            "UPDATE outbox SET state = ?, error = CASE WHEN ? != '' THEN ? ELSE error END, updated_at = ?"
            " WHERE wamid = ? AND (CASE state WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2"
            " WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END) < ?",
            (status, errors, errors, self.clock(), wamid, _STATUS_RANK[status]),
        )
        return cur.rowcount > 0

    async def outbox_rows(self, recipient: str | None = None) -> list[Row]:
        """Outbox rows, oldest first, optionally for one recipient."""
        if recipient is None:
            return await self.fetchall("SELECT * FROM outbox ORDER BY id")
        return await self.fetchall("SELECT * FROM outbox WHERE recipient = ? ORDER BY id", (recipient,))

    async def last_queued_to(self, recipient: str) -> float | None:
        """When the newest message to ``recipient`` was queued, if ever (one look-up, however long the history)."""
        row = await self.fetchone("SELECT MAX(created_at) AS at FROM outbox WHERE recipient = ?", (recipient,))
        return float(row["at"]) if row is not None and row["at"] is not None else None


async def _reported(db: Tx, wamid: str, at: float) -> None:
    """WhatsApp reported on the send ``wamid`` at ``at``: evidence for rows in doubt sent before it."""
    await db.execute("UPDATE outbox SET status_at = ? WHERE wamid = ? AND status_at IS NULL", (at, wamid))


def callback_data(outbox_id: int) -> str:
    """The callback data the sends of outbox row ``outbox_id`` carry."""
    return f"{CALLBACK_PREFIX}{outbox_id}"


def outbox_id(callback: str) -> int | None:
    """The outbox row a status's callback data names, if it is one of refbot's."""
    number = callback.removeprefix(CALLBACK_PREFIX)
    return int(number) if number != callback and number.isascii() and number.isdigit() and len(number) < 19 else None
