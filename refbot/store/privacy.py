"""Forgetting: a patron's own erasure request, and the retention period for everyone.

Both replace phone numbers with a pseudonym and blank what people wrote, so kinds, statuses,
counts and timings for the library's statistics survive while nothing points back to a
person. Table by table:

- ``inbox``: a message keeps only its id, type and time; the screenshot or PDF refbot saved
  for it under ``media/`` is deleted wherever it is kept — a folder beside the SQLite file, or
  the ``files`` table on PostgreSQL — found by the name refbot gave it, never by a stored path.
- ``requests``: the question's words and topics go; its years, kinds and languages stay. Its
  draft loses the librarian's note to the patron.
- ``outbox``: the text and any attachment go. Erasure also blanks what the librarians were
  sent about the patron's questions and service requests (which quotes their words).
- ``service_requests``: the caption, OCR text, media path, card and name in ``detail`` go, as
  do the suggestion and the answer; kind, status, matched FAQ, who decided and when stay.
- ``suggestions``: the words go; an ISBN stays, since it names a book, not a person.
- ``card_links``: erasure removes the patron's link; retention removes links never confirmed.
- ``renewal_attempts``: deleted with the message that asked, because the checkout id would
  name the borrower in the library system.
- ``letters``: only the phone number goes (see :func:`_forget_service_requests`).
- ``similarity_checks``: a patron's manuscript and its report are unpublished work. Erasure
  deletes both files and the check's row with them; so does the retention period, for checks
  it forgets. Sooner than that, :func:`purge_similarity_files` deletes the files
  ``similarity.keep_days`` after the report was sent (or after the check was otherwise closed).
- ``events``: a patron's own actions (asking for erasure, confirming a card by code) lose the
  number, and an unreadable webhook's saved body goes.
- ``patrons``: deleted. ``early_statuses`` holds neither a number nor words.

What is still in progress is not forgotten by the retention period: messages not yet handled,
messages not yet sent, service requests and suggestions a librarian has not decided.
Erasure does not wait: it cancels what was still to be sent to the patron or about them,
expires their waiting drafts and withdraws their waiting service requests and suggestions,
so nobody answers a number that is gone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from refbot import codec
from refbot.models import InboundMessage, InformationNeed
from refbot.ports import MediaStore
from refbot.store import Store
from refbot.store.database import Tx
from refbot.store.media import MediaFiles
from refbot.store.similarity import SimilarityStore

# What a service request's detail keeps for statistics: which FAQ entry matched and how well,
# the kind of file, the circulation command, whether a letter's check reached the library system.
DETAIL_KEPT = ("faq", "score", "mime_type", "command", "checked")
_UNSENT = "('pending', 'held', 'unsure')"


@dataclass(frozen=True)
class _Scope:
    """Which rows one forgetting covers: a WHERE clause per table over the named ``params``."""

    params: dict[str, Any]
    inbox: str
    outbox: str
    requests: str
    service_requests: str
    suggestions: str
    patron_events: str
    webhook_events: str
    card_links: str
    patrons: str


def pseudonym(phone: str) -> str:
    """A stable stand-in for a phone number that does not reveal it."""
    return "erased:" + hashlib.sha256(phone.encode()).hexdigest()[:12]


async def erase_patron(store: Store, phone: str, media: MediaStore) -> int:
    """Erase one patron's messages, questions, requests, files and number; returns the rows changed.

    ``media`` is where their attachments were kept (:func:`refbot.store.media.media_store`).
    """
    about = (
        # Messages to this number, except the review copies it got as a librarian: a librarian
        # erasing their own data must not cancel colleagues' work on other patrons' drafts.
        "(recipient = :phone AND idem_key NOT LIKE '%:librarian:%')"
        " OR draft_id IN (SELECT d.id FROM drafts d JOIN requests r ON r.id = d.request_id WHERE r.patron = :phone)"
        " OR EXISTS (SELECT 1 FROM service_requests s WHERE s.patron = :phone AND outbox.idem_key LIKE 'svc:' || s.id || ':%')"
    )
    scope = _Scope(
        {"phone": phone}, inbox="sender = :phone", outbox=about, requests="patron = :phone",
        service_requests="patron = :phone", suggestions="patron = :phone", patron_events="actor = :phone",
        webhook_events=store.dialect.contains("detail", ":phone"), card_links="phone = :phone", patrons="phone = :phone",
    )
    async with store.tx() as db:
        await _stop_in_progress(db, scope, store.clock())
        changed, files = await _forget(db, scope, media)
        await store.add_event(db, pseudonym(phone), "erase", "patron", {"rows": changed, "files": files})
    # The old pages are zeroed in the file (secure_delete); the write-ahead log still holds
    # copies until it is written back and emptied.
    await store.checkpoint()
    return changed


FAREWELL = "reply:%:erased"
"""The idempotency keys of the goodbyes erasure sends (``reply:<inbox id>:erased``)."""


async def forget_farewells(store: Store) -> int:
    """Forget the number on goodbyes that have gone out: it stayed only so they could be delivered."""
    scope = _Scope({"farewell": FAREWELL}, inbox="FALSE", outbox="idem_key LIKE :farewell AND state NOT IN"
                   " ('pending', 'sending', 'held', 'unsure')", requests="FALSE", service_requests="FALSE",
                   suggestions="FALSE", patron_events="FALSE", webhook_events="FALSE", card_links="FALSE",
                   patrons="FALSE")
    async with store.tx() as db:
        changed = await _forget_outbox(db, scope)
    if changed:
        await store.checkpoint()
    return changed


async def purge_older_than(store: Store, cutoff: float, media: MediaStore) -> int:
    """Forget what people wrote and sent before ``cutoff`` (epoch seconds); returns the rows changed.

    ``media`` is where patrons' attachments were kept (:func:`refbot.store.media.media_store`).
    """
    scope = _Scope(
        {"cutoff": cutoff},
        inbox="received_at < :cutoff AND state IN ('done', 'failed')",
        outbox="created_at < :cutoff AND state NOT IN ('pending', 'sending', 'held', 'unsure')",
        requests="created_at < :cutoff",
        service_requests="created_at < :cutoff AND status != 'pending'",
        suggestions="created_at < :cutoff AND status != 'new'",
        patron_events="at < :cutoff AND kind = 'erase_requested'",
        webhook_events="at < :cutoff",
        card_links="updated_at < :cutoff AND status != 'linked'",
        patrons="last_inbound_at < :cutoff",
    )
    async with store.tx() as db:
        changed, files = await _forget(db, scope, media)
        if changed or files:
            await store.add_event(db, "retention", "purge", "store", {"rows": changed, "files": files, "before": cutoff})
    return changed


async def _stop_in_progress(db: Tx, scope: _Scope, now: float) -> None:
    """Nothing more goes to the patron or about them, and nobody decides for a number that is gone."""
    await db.execute(f"UPDATE outbox SET state = 'cancelled' WHERE ({scope.outbox}) AND state IN {_UNSENT}", scope.params)
    await db.execute(
        f"UPDATE drafts SET status = 'expired' WHERE status = 'pending'"
        f" AND request_id IN (SELECT id FROM requests WHERE {scope.requests})", scope.params,
    )
    await db.execute(
        f"UPDATE service_requests SET status = 'withdrawn', updated_at = :now"
        f" WHERE status = 'pending' AND ({scope.service_requests})", {**scope.params, "now": now},
    )
    await db.execute(f"UPDATE suggestions SET status = 'withdrawn' WHERE status = 'new' AND ({scope.suggestions})",
                     scope.params)


async def _forget(db: Tx, scope: _Scope, media: MediaStore) -> tuple[int, int]:
    """Redact every table in ``scope``; returns the rows changed and the files deleted.

    The outbox goes first: erasure finds the librarians' copies through the patron's number
    on their requests, which the later steps replace.
    """
    changed = await _forget_outbox(db, scope)
    files_gone = await _forget_similarity(db, scope, media)
    inbox_ids = await _forget_inbox(db, scope)
    changed += len(inbox_ids)
    changed += await _forget_requests(db, scope)
    changed += await _forget_service_requests(db, scope)
    changed += await _forget_suggestions(db, scope)
    await _forget_events(db, scope)
    await db.execute(f"DELETE FROM card_links WHERE {scope.card_links}", scope.params)
    await db.execute(f"DELETE FROM patrons WHERE {scope.patrons}", scope.params)
    # Last and inside the transaction: a file that cannot be deleted rolls the rows back too,
    # so the next run finds the message, and its files, again.
    files = await MediaFiles(media).delete(inbox_ids) + files_gone
    return changed, files


async def _forget_similarity(db: Tx, scope: _Scope, media: MediaStore) -> int:
    """Delete the manuscripts and reports of the similarity checks in scope, and the checks' rows.

    Runs before the service requests lose their patron's number, which ``scope`` finds them by.
    """
    rows = await db.fetchall(
        f"SELECT request_id, manuscript, report FROM similarity_checks WHERE request_id IN"
        f" (SELECT id FROM service_requests WHERE kind = 'similarity' AND ({scope.service_requests}))", scope.params,
    )
    keys = [key for row in rows for key in (row["manuscript"], row["report"]) if key]
    for row in rows:
        await db.execute("DELETE FROM similarity_checks WHERE request_id = ?", (row["request_id"],))
    return await media.delete(keys) if keys else 0


async def purge_similarity_files(store: Store, now: float, keep_days: float, media: MediaStore) -> int:
    """Delete manuscripts and reports ``keep_days`` after the report was sent (or the check closed otherwise).

    The check's row stays (its percentage and dates, for the library's statistics) with its
    file keys blanked; returns how many files were deleted.
    """
    checks = SimilarityStore(store)
    cutoff = now - keep_days * 86400
    async with store.tx() as db:
        rows = await checks.files_to_delete(db, cutoff, cutoff)
        if not rows:
            return 0
        keys = [key for row in rows for key in (row["manuscript"], row["report"]) if key]
        await checks.forget_files(db, [int(row["request_id"]) for row in rows])
        # Inside the transaction: a file that cannot be deleted keeps its key for the next run.
        deleted = await media.delete(keys) if keys else 0
        await store.add_event(db, "retention", "similarity_files_deleted", "store",
                              {"checks": len(rows), "files": deleted})
    return deleted


async def _forget_inbox(db: Tx, scope: _Scope) -> list[int]:
    """Cut messages to their id, type and time; returns the ids of those cut."""
    rows = await db.fetchall(
        f"SELECT id, message FROM inbox WHERE ({scope.inbox}) AND sender NOT LIKE 'erased:%'", scope.params
    )
    for row in rows:
        m = codec.loads(InboundMessage, row["message"])
        blank = InboundMessage(wamid=m.wamid, sender=pseudonym(m.sender), type=m.type, timestamp=m.timestamp)
        await db.execute(
            "UPDATE inbox SET sender = ?, message = ? WHERE id = ?", (blank.sender, codec.dumps(blank), row["id"])
        )
        await db.execute("DELETE FROM renewal_attempts WHERE origin = ?", (f"inbox:{row['id']}",))
    return [row["id"] for row in rows]


async def _forget_requests(db: Tx, scope: _Scope) -> int:
    requests = await db.fetchall(
        f"SELECT id, patron, need FROM requests WHERE ({scope.requests}) AND patron NOT LIKE 'erased:%'", scope.params
    )
    for row in requests:
        need = codec.loads(InformationNeed, row["need"])
        # Years, kinds and language stay for statistics; the words and topics go.
        kept = InformationNeed(raw="", language=need.language, year_from=need.year_from, year_to=need.year_to,
                               kinds=need.kinds, languages=need.languages, open_access=need.open_access)
        await db.execute(
            "UPDATE requests SET patron = ?, text = '', need = ? WHERE id = ?",
            (pseudonym(row["patron"]), codec.dumps(kept), row["id"]),
        )
        await db.execute("UPDATE drafts SET note = '' WHERE request_id = ?", (row["id"],))
    return len(requests)


async def _forget_outbox(db: Tx, scope: _Scope) -> int:
    sent = await db.fetchall(
        f"SELECT id, recipient FROM outbox WHERE ({scope.outbox}) AND recipient NOT LIKE 'erased:%'", scope.params
    )
    for row in sent:
        who = pseudonym(row["recipient"])
        await db.execute(
            "UPDATE outbox SET recipient = ?, message = ? WHERE id = ?",
            (who, json.dumps({"to": who, "text": ""}), row["id"]),
        )
    return len(sent)


async def _forget_service_requests(db: Tx, scope: _Scope) -> int:
    """Keep what a service request was and how it went; drop who asked and what they sent.

    An issued clearance letter keeps the holder's name and card number: it is an official
    document the library signed, and whoever holds it (a faculty office, a graduation
    committee) must still be able to check it at ``/verify/<code>`` after the patron has gone
    — erasing it would make a genuine letter look forged. Only its WhatsApp number, which the
    letter never showed, is replaced.
    """
    rows = await db.fetchall(
        f"SELECT id, kind, patron, detail, decided_by FROM service_requests"
        f" WHERE ({scope.service_requests}) AND patron NOT LIKE 'erased:%'", scope.params,
    )
    for row in rows:
        who = pseudonym(row["patron"])
        detail = json.loads(row["detail"])
        kept = {key: detail[key] for key in DETAIL_KEPT if key in detail}
        # A patron confirming their own card link by code is recorded as the one who decided.
        decided_by = who if row["decided_by"] == row["patron"] else row["decided_by"]
        await db.execute(
            "UPDATE service_requests SET patron = ?, detail = ?, suggestion = '', answer = '', decided_by = ?"
            " WHERE id = ?", (who, json.dumps(kept), decided_by, row["id"]),
        )
        await db.execute("UPDATE events SET actor = ? WHERE actor = ? AND subject = ?",
                         (who, row["patron"], f"{row['kind']}:{row['id']}"))
        await db.execute("UPDATE letters SET patron = ? WHERE request_id = ?", (who, row["id"]))
    return len(rows)


async def _forget_suggestions(db: Tx, scope: _Scope) -> int:
    rows = await db.fetchall(
        f"SELECT id, patron FROM suggestions WHERE ({scope.suggestions}) AND patron NOT LIKE 'erased:%'", scope.params
    )
    for row in rows:
        await db.execute("UPDATE suggestions SET patron = ?, text = '' WHERE id = ?", (pseudonym(row["patron"]), row["id"]))
    return len(rows)


async def _forget_events(db: Tx, scope: _Scope) -> None:
    actors = [row["actor"] for row in await db.fetchall(
        f"SELECT DISTINCT actor FROM events WHERE ({scope.patron_events}) AND actor NOT LIKE 'erased:%'", scope.params
    )]
    for actor in actors:
        await db.execute(
            f"UPDATE events SET actor = :who WHERE actor = :actor AND ({scope.patron_events})",
            {**scope.params, "who": pseudonym(actor), "actor": actor},
        )
    # A webhook set aside was kept with the start of its body, which names the sender.
    await db.execute(
        f"UPDATE events SET detail = {db.dialect.json_without('detail', 'body')}"
        f" WHERE kind IN ('webhook_unreadable', 'webhook_unapplied')"
        f" AND {db.dialect.json_text('detail', 'body')} IS NOT NULL AND ({scope.webhook_events})", scope.params,
    )
