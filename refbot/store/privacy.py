"""Forgetting: a patron's own erasure request, and the retention period for everyone.

Both replace the phone number with a pseudonym and blank what people wrote, so counts and
timings for the library's statistics survive while nothing points back to a person.
"""

from __future__ import annotations

import hashlib
import json

import aiosqlite

from refbot import codec
from refbot.models import InboundMessage, InformationNeed
from refbot.store import Store


def pseudonym(phone: str) -> str:
    """A stable stand-in for a phone number that does not reveal it."""
    return "erased:" + hashlib.sha256(phone.encode()).hexdigest()[:12]


async def erase_patron(store: Store, phone: str) -> int:
    """Erase one patron's messages, questions and number; returns the rows changed."""
    async with store.tx() as db:
        # Nothing more goes to them, and nobody approves a list for a number that is gone.
        await db.execute(
            "UPDATE outbox SET state = 'cancelled' WHERE recipient = ? AND state IN ('pending', 'held', 'unsure')",
            (phone,),
        )
        await db.execute(
            "UPDATE drafts SET status = 'expired' WHERE status = 'pending'"
            " AND request_id IN (SELECT id FROM requests WHERE patron = ?)", (phone,),
        )
        changed = await _redact(db, "sender = ?", (phone,), "patron = ?", "recipient = ?")
        await db.execute("DELETE FROM patrons WHERE phone = ?", (phone,))
        await store.add_event(db, pseudonym(phone), "erase", "patron", {"rows": changed})
    return changed


async def purge_older_than(store: Store, cutoff: float) -> int:
    """Blank message bodies and numbers older than ``cutoff`` (epoch seconds)."""
    async with store.tx() as db:
        changed = await _redact(
            db, "received_at < ? AND state IN ('done', 'failed')", (cutoff,),
            "created_at < ?", "created_at < ? AND state NOT IN ('pending', 'sending', 'held', 'unsure')",
        )
        await db.execute("DELETE FROM patrons WHERE last_inbound_at < ?", (cutoff,))
        if changed:
            await store.add_event(db, "retention", "purge", "store", {"rows": changed, "before": cutoff})
    return changed


async def _redact(
    db: aiosqlite.Connection, inbox_where: str, args: tuple[object, ...], request_where: str, outbox_where: str
) -> int:
    changed = 0
    async with db.execute(f"SELECT id, message FROM inbox WHERE {inbox_where} AND sender NOT LIKE 'erased:%'", args) as cur:
        rows = list(await cur.fetchall())
    for row in rows:
        m = codec.loads(InboundMessage, row["message"])
        blank = InboundMessage(wamid=m.wamid, sender=pseudonym(m.sender), type=m.type, timestamp=m.timestamp)
        await db.execute(
            "UPDATE inbox SET sender = ?, message = ? WHERE id = ?", (blank.sender, codec.dumps(blank), row["id"])
        )
        changed += 1
    async with db.execute(
        f"SELECT id, patron, need FROM requests WHERE {request_where} AND patron NOT LIKE 'erased:%'", args
    ) as cur:
        requests = list(await cur.fetchall())
    for row in requests:
        need = codec.loads(InformationNeed, row["need"])
        # Years, kinds and language stay for statistics; the words and topics go.
        kept = InformationNeed(raw="", language=need.language, year_from=need.year_from, year_to=need.year_to,
                               kinds=need.kinds, languages=need.languages, open_access=need.open_access)
        await db.execute(
            "UPDATE requests SET patron = ?, text = '', need = ? WHERE id = ?",
            (pseudonym(row["patron"]), codec.dumps(kept), row["id"]),
        )
        changed += 1
    async with db.execute(
        f"SELECT id, recipient FROM outbox WHERE {outbox_where} AND recipient NOT LIKE 'erased:%'", args
    ) as cur:
        sent = list(await cur.fetchall())
    for row in sent:
        who = pseudonym(row["recipient"])
        await db.execute(
            "UPDATE outbox SET recipient = ?, message = ? WHERE id = ?",
            (who, json.dumps({"to": who, "text": ""}), row["id"]),
        )
        changed += 1
    return changed
