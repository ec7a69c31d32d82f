"""The desk's records for the library: one patron's conversation, and everything of a period.

Librarians keep records of the reference service (for reports, accreditation, an appeal). The
console downloads one patron's conversation (:func:`conversation_record`); ``refbot export
conversations`` writes a period's questions and service requests (:func:`period_records`).

A period's records name no phone number: each patron is a pseudonym, stable across exports
(the same patron is the same ``p-…`` in January's file and in June's) but not reversible by
trying numbers, since it is keyed with a secret of the deployment (``REFBOT_CONSOLE_SECRET``,
else the WhatsApp app secret). Librarians deciding on WhatsApp are named as the configuration
names them, console accounts by their name. Only an export made ``with_contacts`` keeps the
numbers. Patrons who erased their data, and anything older than the retention period, are
not there at all.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from refbot import codec
from refbot.config import Settings
from refbot.delivery.render import mask_phone
from refbot.models import Candidate, InformationNeed
from refbot.services.dates import library_zone
from refbot.services.history.collect import History, item, retention_cutoff
from refbot.services.history.pdf import Said
from refbot.store import Store
from refbot.store import history as stored

FIELDS = ("record", "library", "id", "at", "patron", "language", "question", "kinds", "years", "status",
          "decided_by", "decided_at", "items_sent", "items", "service", "letter_number")
"""The columns of an export, in order (a question leaves a service request's empty, and the other way round)."""


def pseudonym_key(settings: Settings) -> tuple[bytes, bool]:
    """The key patrons' pseudonyms are made with, and whether it is secret (False: no secret is set)."""
    secret = settings.secrets.console_secret.get() or settings.secrets.whatsapp_app_secret.get()
    return f"refbot-records:{secret}".encode(), bool(secret)


def pseudonym(phone: str, key: bytes) -> str:
    """A patron's stand-in in the records: the same for the same number, revealing nothing of it."""
    return "p-" + hmac.new(key, phone.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


async def period_records(
    store: Store, settings: Settings, start: float, end: float, *, now: float, key: bytes, contacts: bool = False,
) -> list[dict[str, Any]]:
    """Every question and service request of ``[start, end)`` still kept, oldest first, one dict each."""
    start = max(start, retention_cutoff(settings, now))
    names = await _actor_names(store, settings)

    def who(phone: str) -> str:
        return phone if contacts else pseudonym(phone, key)

    def decider(actor: str) -> str:
        if not actor or contacts:
            return actor
        return names.get(actor) or (mask_phone(actor) if actor.isdigit() else actor.removeprefix("console:"))

    library = settings.library_id or "default"
    zone = library_zone(settings)
    items = await stored.items_sent_between(store, start, end)
    found = [(float(row["created_at"]), _question(row, items.get(row["draft_id"] or 0, []), library, zone, who,
                                                  decider, settings))
             for row in await stored.questions_between(store, start, end)]
    found += [(float(row["created_at"]), _service_request(row, library, zone, who, decider))
              for row in await stored.service_requests_between(store, start, end)]
    found.sort(key=lambda pair: pair[0])  # by the moment itself: the ISO text keeps only whole seconds
    return [record for _, record in found]


def _question(row: Any, candidates: list[Candidate], library: str, zone: datetime.tzinfo, who: Any, decider: Any,
              settings: Settings) -> dict[str, Any]:
    need = codec.loads(InformationNeed, row["need"])
    status = row["status"] or "no_draft"
    sent = [item(c, settings.language.default) for c in candidates if not c.retracted]
    years = f"{need.year_from or ''}-{need.year_to or ''}" if need.year_from or need.year_to else ""
    return {
        "record": "question", "library": library, "id": row["id"], "at": iso(row["created_at"], zone),
        "patron": who(row["patron"]), "language": row["language"], "question": row["text"],
        "kinds": sorted(k.value for k in need.kinds), "years": years, "status": status,
        "decided_by": decider(row["decided_by"] or ""),
        "decided_at": iso(row["decided_at"], zone) if status not in ("pending", "no_draft") else "",
        "items_sent": len(sent) if status == "sent" else 0,
        "items": [{"reference": i.reference, "link": i.link} for i in sent],
        "service": "", "letter_number": "",
    }


def _service_request(row: Any, library: str, zone: datetime.tzinfo, who: Any, decider: Any) -> dict[str, Any]:
    return {
        "record": "service_request", "library": library, "id": row["id"], "at": iso(row["created_at"], zone),
        "patron": who(row["patron"]), "language": row["language"], "question": "", "kinds": [], "years": "",
        "status": row["status"], "decided_by": decider(row["decided_by"] or ""),
        "decided_at": iso(row["updated_at"], zone) if row["status"] != "pending" else "",
        "items_sent": 0, "items": [], "service": row["kind"], "letter_number": row["letter_number"],
    }


def csv_row(record: dict[str, Any]) -> list[str]:
    """One record as a CSV row of :data:`FIELDS` (lists joined: kinds by ``;``, items by `` | ``)."""
    flat = dict(record)
    flat["kinds"] = ";".join(record["kinds"])
    flat["items"] = " | ".join(i["reference"] for i in record["items"])
    return [str(flat[name]) for name in FIELDS]


def conversation_record(
    history: History, conversation: Sequence[Said], *, patron: str, draft_id: int, library: str, made_by: str,
    made_at: datetime.datetime,
) -> dict[str, Any]:
    """One patron's conversation and what they were given, for the library's records (the console's JSON)."""
    zone = made_at.tzinfo or datetime.UTC
    return {
        "library": library, "draft": draft_id, "patron": patron, "downloaded_by": made_by,
        "downloaded_at": made_at.isoformat(timespec="seconds"),
        "messages": [{"at": iso(s.at, zone), "from": "patron" if s.from_patron else "library", "text": s.text}
                     for s in conversation],
        "lists": [{"number": e.number, "question": e.question, "asked_at": iso(e.asked_at, zone),
                   "sent_at": iso(e.sent_at, zone), "note": e.note,
                   "items": [{"reference": i.reference, "where": i.where, "link": i.link} for i in e.items]}
                  for e in history.lists],
        "letters": [{"request": e.number, "number": e.letter_number, "code": e.code, "verify_url": e.verify_url,
                     "issued_at": iso(e.issued_at, zone)} for e in history.letters],
        "similarity": [{"request": e.number, "checked_at": iso(e.checked_at, zone), "percentage": e.percentage,
                        "report_sent": e.report_sent} for e in history.similarity],
    }


def iso(at: float, zone: datetime.tzinfo) -> str:
    """A moment as ISO 8601 in the library's time zone: ``2026-11-20T09:15:00+07:00``."""
    return datetime.datetime.fromtimestamp(float(at), zone).isoformat(timespec="seconds")


async def _actor_names(store: Store, settings: Settings) -> dict[str, str]:
    names = {lib.phone: lib.name for lib in settings.librarians if lib.name}
    for account in await store.all_accounts():
        names[account.actor] = account.display
    return names
