"""Applying the webhook journal to the store: the worker's half of taking a webhook.

The web process only verifies a webhook and writes its body to the journal
(:mod:`refbot.store.journal`). Here, in the worker, each body is read in arrival order and
parsed into refbot's types: messages become inbox rows (a redelivered wamid is absorbed),
statuses update the outbox, a patron's change of number moves what is kept under the old one
(:mod:`refbot.store.numbers`; nothing is answered), an error WhatsApp reports about the account
(a rate limit) is a warning and a ``whatsapp_error`` event that ``/healthz`` counts, and
anything else is logged and set aside. Progress is recorded in
the store after each batch; after a crash the batch is applied again, which changes nothing
that was already applied (the wamid is unique, a status never moves a row backwards).

A body that cannot be read, or whose updates the store refuses :data:`MAX_ATTEMPTS` times
in a row, is never retried forever (it would hold up every message behind it) and never
dropped silently: it is logged and kept as an event with its first kilobytes, and the
journal moves on. A store that is briefly busy or failing only delays the journal.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter

from refbot.delivery.render import mask_phone
from refbot.models import AccountError, IgnoredUpdate, InboundMessage, JournalEntry, NumberChange, StatusUpdate, Update
from refbot.ports import Channel, Journal
from refbot.store import Store, Tx
from refbot.store.health import WHATSAPP_ERROR

log = logging.getLogger(__name__)

BATCH = 200
"""Journal entries read and applied per round."""
KEPT_OF_UNREADABLE = 2000
"""How many characters of an unreadable body its event keeps."""
MAX_ATTEMPTS = 3
"""Tries at applying one entry before it is set aside as an event."""


class JournalApplier:
    """Moves what the journal holds into the store, in order."""

    def __init__(self, store: Store, channel: Channel, journal: Journal) -> None:
        self.store = store
        self.channel = channel
        self.journal = journal
        self._failures: Counter[int] = Counter()

    async def apply_new(self, batch: int = BATCH) -> int:
        """Apply the entries not yet applied (at most ``batch``); returns how many there were.

        Raises:
            Exception: what the store raised for an entry that has not used up its tries;
                the entries before it are recorded as applied.
        """
        entries = await self.journal.pending(batch)
        if entries and await self._apply_together(entries):
            await self.journal.applied(entries)
            return len(entries)
        applied = 0
        try:
            for entry in entries:
                await self._apply_entry(entry)
                applied += 1
        finally:
            if applied:
                await self.journal.applied(entries[:applied])
        return len(entries)

    async def _apply_together(self, entries: list[JournalEntry]) -> bool:
        """Apply a batch of plain messages and statuses in one transaction; False (nothing applied) otherwise.

        One commit for the batch instead of one per webhook: on PostgreSQL one worker applies
        the whole cluster's journal, and a flush to disk per webhook would cap intake. A batch
        with anything else in it — a body that cannot be read, a number change, an error about
        the account — or one the store refuses goes entry by entry, as before, where each
        failure is retried and set aside on its own.
        """
        parsed: list[tuple[JournalEntry, list[Update]]] = []
        for entry in entries:
            try:
                updates = self.channel.parse_updates(json.loads(entry.body))
            except Exception:  # read again, and set aside, entry by entry
                return False
            if not all(isinstance(u, InboundMessage | StatusUpdate | IgnoredUpdate) for u in updates):
                return False
            parsed.append((entry, updates))
        try:
            async with self.store.tx() as db:
                for entry, updates in parsed:
                    for update in updates:
                        await self._apply(update, entry.received_at, db)
        except Exception as e:
            log.info("a batch of %d webhooks went back to one at a time: %s: %s", len(entries), type(e).__name__, e)
            return False
        return True

    async def waiting(self) -> int:
        """How many journal entries wait to be applied."""
        return await waiting_in_journal(self.journal)

    async def _apply_entry(self, entry: JournalEntry) -> int:
        try:
            updates = self.channel.parse_updates(json.loads(entry.body))
        except Exception as e:  # the web process checked it was JSON; a parser bug must not stop intake
            log.error("webhook %d could not be read (%s: %s); kept as an event", entry.id, type(e).__name__, e)
            await self._set_aside(entry, "webhook_unreadable", e)
            return 0
        stored = 0
        try:
            for update in updates:
                stored += await self._apply(update, entry.received_at)
        except Exception as e:
            # Applying again is harmless (a wamid is stored once, a status never moves a row
            # back), so a failure is retried; one that keeps failing is set aside.
            self._failures[entry.id] += 1
            if self._failures[entry.id] < MAX_ATTEMPTS:
                raise
            del self._failures[entry.id]
            log.error("webhook %d could not be stored after %d tries (%s: %s); kept as an event",
                      entry.id, MAX_ATTEMPTS, type(e).__name__, e)
            await self._set_aside(entry, "webhook_unapplied", e)
        return stored

    async def _set_aside(self, entry: JournalEntry, kind: str, error: Exception) -> None:
        async with self.store.tx() as db:
            await self.store.add_event(db, "webhook", kind, f"journal:{entry.id}", {
                "error": f"{type(error).__name__}: {error}",
                "body": entry.body[:KEPT_OF_UNREADABLE].decode("utf-8", "replace"),
            })

    async def _apply(self, update: Update, received_at: float, db: Tx | None = None) -> int:
        if isinstance(update, InboundMessage):
            new = await self.store.record_inbound(update, received_at, db)
            if not new:
                log.info("duplicate delivery of %s ignored", update.wamid)
            return int(new)
        if isinstance(update, StatusUpdate):
            matched = await self.store.record_status(update, db)
            log.info("status %s for %s to %s%s", update.status, update.wamid, mask_phone(update.recipient),
                     "" if matched else " (no outbox row changed: none sent yet, or it is already that far)")
            return 0
        if isinstance(update, NumberChange):
            moved = await self.store.move_number(update)
            if moved is None:
                log.info("number change %s already applied", update.wamid)
            else:
                log.info("patron %s now writes from %s; moved %s", mask_phone(update.old), mask_phone(update.new),
                         ", ".join(f"{table} {n}" for table, n in moved.items() if n) or "nothing")
            return 0
        if isinstance(update, AccountError):
            log.warning("WhatsApp reports an error: %s %s%s", update.code, update.title,
                        f" ({update.details})" if update.details and update.details != update.title else "")
            async with self.store.tx() as db:
                await self.store.add_event(db, "whatsapp", WHATSAPP_ERROR, f"code:{update.code}", {
                    "code": update.code, "message": update.title, "details": update.details,
                })
            return 0
        log.info("webhook update ignored: %s %s", update.kind, update.detail[:200])
        return 0


async def waiting_in_journal(journal: Journal) -> int:
    """How many journal entries wait to be applied (the web side and the worker see the same)."""
    count, _ = await journal.waiting()
    return count


async def keep_journal_tidy(journal: Journal, every: float) -> None:
    """In the web process, for as long as it runs: the journal's housekeeping every ``every`` seconds."""
    rounds = 0
    while True:
        await asyncio.sleep(every)
        rounds += 1
        try:
            await journal.tidy(rounds)
        except Exception:  # a failed trim is retried next round; the journal only grows meanwhile
            log.exception("tidying the webhook journal failed")
