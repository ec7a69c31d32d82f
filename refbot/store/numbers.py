"""A patron's new WhatsApp number: moving what refbot keeps under the old one.

When a person changes their number, WhatsApp sends a ``user_changed_number`` system message
(:class:`refbot.models.NumberChange`); their old number no longer reaches them. Everything that
names them by number moves, in one transaction, so the desk goes on with them where it left
off and a later ``HAPUS DATA`` from the new number finds all of it:

- ``patrons``: the row moves (name, language, last message time); if the new number already
  has a row (they wrote from it first), the two merge, the new row's choices winning;
- ``card_links``: the link moves, unless the new number already has one of its own;
- ``inbox``, ``requests`` (so their drafts), ``service_requests`` (their letters too),
  ``suggestions``: their messages, questions and requests;
- ``outbox``: messages not yet sent (``pending``, ``held``) are addressed to the new number;
  what was sent, or may have been, stays as it went;
- ``events``: what the patron did themselves (asked for erasure, confirmed a card).

The move is recorded as a ``number_changed`` event whose subject is the system message's wamid,
which makes it once-only: the same message applied again changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from refbot import codec
from refbot.models import InboundMessage, NumberChange, OutgoingMessage
from refbot.store.database import Database, Tx
from refbot.store.events import write_event

NUMBER_CHANGED = "number_changed"
"""The kind of the event a move leaves."""


def masked(phone: str) -> str:
    """A number shortened so the event does not keep it whole: ``6281…01``."""
    return f"{phone[:4]}…{phone[-2:]}" if len(phone) > 6 else "…"


class NumberStore(Database):
    """Moving a patron from one number to another."""

    async def move_number(self, change: NumberChange) -> dict[str, int] | None:
        """Move everything under ``change.old`` to ``change.new``; the rows moved per table.

        None when this change was applied before (its wamid), or names no two numbers.
        """
        old, new = change.old, change.new
        if not old or not new or old == new:
            return None
        async with self.tx() as db:
            done = await db.fetchone(
                "SELECT 1 FROM events WHERE kind = ? AND subject = ?", (NUMBER_CHANGED, change.wamid)
            )
            if done is not None:
                return None
            moved = {
                "patrons": await _move_patron(db, old, new),
                "card_links": await _move_card_link(db, old, new),
                "inbox": await _move_inbox(db, old, new),
                "requests": await _update(db, "UPDATE requests SET patron = ? WHERE patron = ?", new, old),
                "service_requests": await _move_service_requests(db, old, new),
                "suggestions": await _update(db, "UPDATE suggestions SET patron = ? WHERE patron = ?", new, old),
                "outbox": await _move_unsent(db, old, new),
                "events": await _update(db, "UPDATE events SET actor = ? WHERE actor = ?", new, old),
            }
            await write_event(db, self.clock(), new, NUMBER_CHANGED, change.wamid,
                              {"from": masked(old), "to": masked(new), "moved": moved})
        return moved


async def _update(db: Tx, sql: str, new: str, old: str) -> int:
    cur = await db.execute(sql, (new, old))
    return cur.rowcount


async def _move_patron(db: Tx, old: str, new: str) -> int:
    before = await db.fetchone("SELECT name, language, last_inbound_at FROM patrons WHERE phone = ?", (old,))
    if before is None:
        return 0
    # A row the new number already has (they wrote from it first) keeps what it chose itself.
    await db.execute(
        "INSERT INTO patrons (phone, name, language, last_inbound_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (phone) DO UPDATE SET"
        " name = CASE WHEN patrons.name != '' THEN patrons.name ELSE excluded.name END,"
        " language = CASE WHEN patrons.language != '' THEN patrons.language ELSE excluded.language END,"
        " last_inbound_at = CASE WHEN COALESCE(patrons.last_inbound_at, 0) > COALESCE(excluded.last_inbound_at, 0)"
        " THEN patrons.last_inbound_at ELSE excluded.last_inbound_at END",
        (new, before["name"], before["language"], before["last_inbound_at"]),
    )
    await db.execute("DELETE FROM patrons WHERE phone = ?", (old,))
    return 1


async def _move_card_link(db: Tx, old: str, new: str) -> int:
    cur = await db.execute(
        "UPDATE card_links SET phone = ?, confirmed_by = CASE WHEN confirmed_by = ? THEN ? ELSE confirmed_by END"
        " WHERE phone = ? AND NOT EXISTS (SELECT 1 FROM card_links WHERE phone = ?)",
        (new, old, new, old, new),
    )
    return cur.rowcount


async def _move_inbox(db: Tx, old: str, new: str) -> int:
    rows = await db.fetchall("SELECT id, message FROM inbox WHERE sender = ?", (old,))
    for row in rows:
        message = replace(codec.loads(InboundMessage, row["message"]), sender=new)
        await db.execute("UPDATE inbox SET sender = ?, message = ? WHERE id = ?",
                         (new, codec.dumps(message), row["id"]))
    return len(rows)


async def _move_service_requests(db: Tx, old: str, new: str) -> int:
    # A patron confirming their own card link by code is recorded as the one who decided.
    await db.execute("UPDATE service_requests SET decided_by = ? WHERE patron = ? AND decided_by = ?", (new, old, old))
    await db.execute("UPDATE letters SET patron = ? WHERE patron = ?", (new, old))
    return await _update(db, "UPDATE service_requests SET patron = ? WHERE patron = ?", new, old)


async def _move_unsent(db: Tx, old: str, new: str) -> int:
    rows = await db.fetchall(
        "SELECT id, message FROM outbox WHERE recipient = ? AND state IN ('pending', 'held')", (old,)
    )
    for row in rows:
        message = replace(codec.loads(OutgoingMessage, row["message"]), to=new)
        await db.execute("UPDATE outbox SET recipient = ?, message = ? WHERE id = ?",
                         (new, codec.dumps(message), row["id"]))
    return len(rows)
