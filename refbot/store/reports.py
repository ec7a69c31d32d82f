"""What the librarian console reads: the queue, a draft's surroundings, a patron's conversation,
the audit trail and the statistics — and its two small writes (who took a draft, how much effort
it took).

Drafts themselves change only through :mod:`refbot.decisions.drafts`; nothing here touches their
status, items or version. Rows that the console turns into what people see (masked numbers,
names for actors) are returned as rows; the console does the showing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refbot.store.accounts import Account
from refbot.store.database import Database, Row, Tx

# A draft approved or already sent: its list went (or goes) to the patron.
DECIDED_OK = ("approved", "sent")


@dataclass
class Transaction:
    """One question and what became of its draft."""

    draft: int
    asked_at: float
    language: str
    status: str
    version: int
    updated_at: float
    effort: int | None
    proposed: list[tuple[str, str]] = field(default_factory=list)
    final: list[tuple[str, str]] = field(default_factory=list)
    """What the patron received: the final version's items without the retracted ones (never sent)."""
    subjects: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """unchanged / edited / rejected once decided; the status otherwise."""
        if self.status in DECIDED_OK:
            return "unchanged" if self.version == 1 else "edited"
        return self.status

    @property
    def seconds_to_sent(self) -> float | None:
        """From the question to the list having gone out, for sent drafts."""
        return self.updated_at - self.asked_at if self.status == "sent" else None

    @property
    def added(self) -> list[tuple[str, str]]:
        """Items in the final list that refbot had not proposed."""
        proposed = set(self.proposed)
        return [item for item in self.final if item not in proposed]


class ReportStore(Database):
    """The console's queue, draft meta, conversations, audit trail and statistics."""

    if TYPE_CHECKING:
        # Provided by the store's events part; declared here so the type checker knows it.
        async def add_event(self, db: Tx, actor: str, kind: str, subject: str, detail: dict[str, Any]) -> None: ...

    # -- the queue and the draft page -------------------------------------------------------

    async def pending_queue(self, preview: int) -> list[Row]:
        """Every pending draft, oldest first, in one query (the queue must stay fast at 1,000).

        Columns: ``id``, ``version``, ``notes`` (how many source notes), ``text`` (the question's
        first ``preview`` characters), ``language``, ``patron``, ``created_at``, ``patron_name``,
        ``last_inbound_at``, ``taken_at``, ``taken_by`` (the account's name or username),
        ``items`` (in the current version).
        """
        return await self.fetchall(
            f"SELECT d.id, d.version, {self.dialect.json_length('d.source_notes')} AS notes, substr(r.text, 1, ?) AS text,"
            " r.language, r.patron, r.created_at, p.name AS patron_name, p.last_inbound_at, c.taken_at,"
            " COALESCE(NULLIF(a.name, ''), a.username) AS taken_by,"
            " (SELECT COUNT(*) FROM draft_items i WHERE i.draft_id = d.id AND i.version = d.version) AS items"
            " FROM drafts d JOIN requests r ON r.id = d.request_id"
            " LEFT JOIN patrons p ON p.phone = r.patron"
            " LEFT JOIN console_claims c ON c.draft_id = d.id"
            " LEFT JOIN console_accounts a ON a.id = c.account_id"
            " WHERE d.status = 'pending' ORDER BY d.id",
            (preview,),
        )

    async def decided_drafts(self, limit: int) -> list[Row]:
        """The last ``limit`` drafts decided, newest first.

        Columns: ``id``, ``status``, ``decided_by``, ``updated_at``, ``text`` (the question's
        first 120 characters).
        """
        return await self.fetchall(
            "SELECT d.id, d.status, d.decided_by, d.updated_at, substr(r.text, 1, 120) AS text"
            " FROM drafts d JOIN requests r ON r.id = d.request_id"
            " WHERE d.status != 'pending' ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
            (limit,),
        )

    async def draft_surroundings(self, draft_id: int) -> Row | None:
        """The patron, the claim and the effort of a draft; None when there is no such draft.

        Columns: ``patron``, ``created_at``, ``patron_name``, ``last_inbound_at``, ``decided_by``,
        ``account_id`` and ``taken_at`` (of the claim), ``taken_by`` (the account's name or
        username), ``effort``.
        """
        return await self.fetchone(
            "SELECT r.patron, r.created_at, p.name AS patron_name, p.last_inbound_at, d.decided_by,"
            " c.account_id, c.taken_at, COALESCE(NULLIF(a.name, ''), a.username) AS taken_by, e.effort"
            " FROM drafts d JOIN requests r ON r.id = d.request_id"
            " LEFT JOIN patrons p ON p.phone = r.patron"
            " LEFT JOIN console_claims c ON c.draft_id = d.id"
            " LEFT JOIN console_accounts a ON a.id = c.account_id"
            " LEFT JOIN console_effort e ON e.draft_id = d.id"
            " WHERE d.id = ?",
            (draft_id,),
        )

    async def last_draft_change_by(self, draft_id: int) -> str | None:
        """Who last edited, approved or rejected the draft (None: nobody yet)."""
        row = await self.fetchone(
            "SELECT actor FROM events WHERE subject = ? AND kind IN ('edit', 'approve', 'reject')"
            " ORDER BY id DESC LIMIT 1",
            (f"draft:{draft_id}",),
        )
        return str(row["actor"]) if row else None

    async def conversation_inbound(self, patron: str, limit: int) -> list[Row]:
        """The patron's latest ``limit`` messages, newest first: ``received_at``, ``message``."""
        return await self.fetchall(
            "SELECT received_at, message FROM inbox WHERE sender = ? ORDER BY id DESC LIMIT ?", (patron, limit)
        )

    async def conversation_outbound(self, patron: str, limit: int) -> list[Row]:
        """The latest ``limit`` messages to the patron, newest first: ``created_at``, ``message``, ``state``."""
        return await self.fetchall(
            "SELECT created_at, message, state FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT ?",
            (patron, limit),
        )

    # -- the console's two writes -----------------------------------------------------------

    async def claim_draft(self, draft_id: int, account: Account) -> bool:
        """Mark a draft as being worked by ``account`` (taking it over from anyone else).

        False when the account held it already (then nothing is recorded).
        """
        async with self.tx() as db:
            cur = await db.execute(
                "INSERT INTO console_claims (draft_id, account_id, taken_at) VALUES (?, ?, ?)"
                " ON CONFLICT (draft_id) DO UPDATE SET account_id = excluded.account_id, taken_at = excluded.taken_at"
                " WHERE console_claims.account_id != excluded.account_id",
                (draft_id, account.id, self.clock()),
            )
            if not cur.rowcount:
                return False
            await self.add_event(db, account.actor, "take", f"draft:{draft_id}", {})
        return True

    async def release_draft_claim(self, draft_id: int, account: Account) -> bool:
        """Let go of a draft so a colleague can take it; False when nobody held it."""
        async with self.tx() as db:
            cur = await db.execute("DELETE FROM console_claims WHERE draft_id = ?", (draft_id,))
            if not cur.rowcount:
                return False
            await self.add_event(db, account.actor, "release", f"draft:{draft_id}", {})
        return True

    async def set_draft_effort(self, draft_id: int, effort: int, account: Account) -> None:
        """Record the READ-scale effort (1-6) of answering a draft."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO console_effort (draft_id, effort, account_id, set_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (draft_id) DO UPDATE SET effort = excluded.effort, account_id = excluded.account_id,"
                " set_at = excluded.set_at",
                (draft_id, effort, account.id, self.clock()),
            )
            await self.add_event(db, account.actor, "effort", f"draft:{draft_id}", {"effort": effort})

    # -- the audit trail --------------------------------------------------------------------

    async def latest_events(self, limit: int) -> list[Row]:
        """The latest ``limit`` audit events, newest first (every column of ``events``)."""
        return await self.fetchall("SELECT * FROM events ORDER BY id DESC LIMIT ?", (limit,))

    # -- statistics -------------------------------------------------------------------------

    async def questions_asked_since(self, since: float) -> list[float]:
        """When each question since ``since`` was asked."""
        rows = await self.fetchall("SELECT created_at FROM requests WHERE created_at >= ?", (since,))
        return [r["created_at"] for r in rows]

    async def pending_draft_count(self) -> int:
        """How many drafts wait for a librarian."""
        row = await self.fetchone("SELECT COUNT(*) AS n FROM drafts WHERE status = 'pending'")
        return int(row["n"]) if row else 0

    async def transactions_since(self, since: float) -> list[Transaction]:
        """Every question since ``since`` that has a draft, with the draft's first and final items."""
        rows = await self.fetchall(
            "SELECT d.id, d.status, d.version, d.updated_at, r.created_at, r.language, e.effort"
            " FROM requests r JOIN drafts d ON d.request_id = r.id"
            " LEFT JOIN console_effort e ON e.draft_id = d.id"
            " WHERE r.created_at >= ? ORDER BY r.created_at, d.id",
            (since,),
        )
        found = {
            r["id"]: Transaction(r["id"], r["created_at"], r["language"], r["status"], r["version"],
                                 float(r["updated_at"]), r["effort"])
            for r in rows
        }
        member = self.dialect.json_text
        items = await self.fetchall(
            f"SELECT i.draft_id, i.version, d.version AS current, {member('i.candidate', 'source')} AS source,"
            f" {member('i.candidate', 'source_id')} AS sid, {member('i.candidate', 'subjects')} AS subjects,"
            f" {member('i.candidate', 'retracted')} AS retracted"
            " FROM draft_items i JOIN drafts d ON d.id = i.draft_id JOIN requests r ON r.id = d.request_id"
            " WHERE r.created_at >= ? AND (i.version = 1 OR i.version = d.version) ORDER BY i.draft_id, i.position",
            (since,),
        )
        for item in items:
            tx = found.get(item["draft_id"])
            if tx is None:
                continue
            key = (str(item["source"]), str(item["sid"]))
            if item["version"] == 1:
                tx.proposed.append(key)
            if item["version"] == item["current"] and not _true(item["retracted"]):
                tx.final.append(key)
                tx.subjects.extend(json.loads(item["subjects"] or "[]"))
        return list(found.values())

    async def record_csv_export(self, account: Account, days: int) -> None:
        """Note in the audit trail that ``account`` downloaded the transactions of ``days`` days."""
        async with self.tx() as db:
            await self.add_event(db, account.actor, "csv_export", "transactions", {"days": days})


def _true(value: object) -> bool:
    # A JSON true reads back as 1 from SQLite's json_extract and as 'true' from PostgreSQL's ->>.
    return str(value).lower() in ("1", "true")
