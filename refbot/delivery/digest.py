"""The morning digest: one short message per librarian listing what waited overnight, instead of N full drafts.

The notices kept quiet while the desk was closed (:mod:`refbot.delivery.quiet`) are summed up
at the digest's time on the next office day: how many drafts and service requests wait, and
one line each — number, the patron's topic in a few words, age, and the console link when
the console is on. A draft or request decided in the meantime (on the console, by a colleague
working late) is not listed.

How a librarian gets a full review copy from the digest, on a phone: they reply
``#12 lihat`` (the draft command that already exists, :mod:`refbot.decisions.librarian`), which
sends the draft as it is now, with its buttons; or they open the draft's console link. A
service request's full notice (the patron's screenshot, the buttons that decide it) cannot be
asked for again on WhatsApp, so those follow the digest as they were written.

Exactly once per library and day, with any number of workers and restarts: the digest claims
``digest:{library}:{date}`` in the cluster's ``chores`` table in the same transaction that
queues it and retires the quiet rows it replaces. Once the day's digest went and the desk is
open, notices parked after it (between a ``desk.digest_at`` of 07:30 and an 08:00 opening) are
sent as they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from refbot import codec
from refbot.config import Settings
from refbot.decisions.fanout import librarian_key
from refbot.delivery.quiet import QuietHours, notice_of
from refbot.models import OutgoingMessage
from refbot.store import Row, Store, Tx
from refbot.store import digests as stored
from refbot.texts import TEXT_LIMIT, has, t

log = logging.getLogger(__name__)

MAX_LINES = 15
"""Items a digest lists one by one; the rest are counted (the console lists them all)."""
TOPIC_WORDS = 6
TOPIC_CHARS = 48


@dataclass(frozen=True)
class Waiting:
    """One item a digest lists: a draft, or a service request of some kind."""

    kind: str  # "draft", or the service request's kind (snap, letter, …)
    id: int
    topic: str
    since: float

    @property
    def is_draft(self) -> bool:
        return self.kind == "draft"


@dataclass
class MorningDigest:
    """Makes the day's digest when it is due, once for the cluster."""

    store: Store
    settings: Settings
    quiet: QuietHours
    worker: str = ""

    async def run(self) -> int:
        """Make the digest if it is due and not made yet; release notices parked after it. Returns librarians told."""
        now = self.store.clock()
        told = 0
        day = self.quiet.digest_due(now)
        if day is not None and not await self.store.claimed(self.name(day.isoformat())):
            told = await self.make(day.isoformat())
        if self.quiet.is_open(now) and await self.store.claimed(self.name(self.quiet.today(now).isoformat())):
            released = await self.store.release_quiet()
            if released:
                log.info("morning digest: %d notices parked after it sent as they are", released)
        return told

    def name(self, day: str) -> str:
        """The once-only claim of the digest of ``day`` (YYYY-MM-DD)."""
        return f"digest:{self.settings.library_id or 'desk'}:{day}"

    async def make(self, day: str) -> int:
        """Queue the digest of ``day`` to each librarian with something waiting; returns how many."""
        told = 0
        async with self.store.tx() as db:
            if not await self.store.claim_once(db, self.name(day), self.worker):
                return 0  # another worker made it a moment ago
            rows = await stored.quiet_rows(db)
            waiting = await self._waiting(db, rows)
            for librarian in self.settings.librarians:
                mine = [r for r in rows if r["recipient"] == librarian.phone]
                told += await self._queue(db, day, librarian.phone, mine, waiting)
            await stored.set_digested(db, [r["id"] for r in rows], self.store.clock())
        log.info("morning digest of %s: %d quiet notices summed up for %d librarians", day, len(rows), told)
        return told

    async def _waiting(self, db: Tx, rows: list[Row]) -> dict[tuple[str, int], Waiting]:
        """What the quiet rows announce that still waits, by ("draft" | "request", number)."""
        notices = [n for n in (notice_of(r["idem_key"]) for r in rows) if n is not None]
        drafts = await stored.waiting_drafts(db, {n.id for n in notices if n.kind == "draft"})
        requests = await stored.waiting_requests(db, {n.id for n in notices if n.kind == "request"})
        found = {("draft", i): Waiting("draft", i, topic(r["text"]), float(r["created_at"])) for i, r in drafts.items()}
        found.update({("request", i): Waiting(str(r["kind"]), i, "", float(r["created_at"]))
                      for i, r in requests.items()})
        return found

    async def _queue(self, db: Tx, day: str, phone: str, rows: list[Row],
                     waiting: dict[tuple[str, int], Waiting]) -> int:
        items: dict[tuple[str, int], Waiting] = {}
        follow: list[Row] = []
        for row in rows:
            notice = notice_of(row["idem_key"])
            item = waiting.get((notice.kind, notice.id)) if notice is not None else None
            if notice is None or item is None:
                continue  # decided overnight, or withdrawn: nothing to tell
            items.setdefault((notice.kind, notice.id), item)
            if not item.is_draft:
                follow.append(row)
        if not items:
            return 0
        text = digest_text(list(items.values()), self.store.clock(), self.settings)
        key = librarian_key(self.name(day), phone, 0)
        await self.store.enqueue(db, key, OutgoingMessage(to=phone, text=text))
        for row in follow:  # after the digest, in their order: a request's full notice cannot be asked for again
            copy = codec.loads(OutgoingMessage, row["message"])
            await self.store.enqueue(db, row["idem_key"].replace(":librarian:", ":morning:librarian:", 1), copy)
        return 1


def digest_text(items: list[Waiting], now: float, settings: Settings) -> str:
    """The digest a librarian reads: a count, one line per item (oldest first), how to open each."""
    language = settings.language.default
    drafts = [i for i in items if i.is_draft]
    requests = [i for i in items if not i.is_draft]
    lines = [t(language, "digest_header", waiting=_counts(len(drafts), len(requests), language))]
    shown = sorted(items, key=lambda i: (not i.is_draft, i.since, i.id))
    for item in shown[:MAX_LINES]:
        lines.append(_line(item, now, settings))
    if len(shown) > MAX_LINES:
        lines.append(t(language, "digest_more", n=len(shown) - MAX_LINES))
    if drafts:
        lines.append(t(language, "digest_show_draft", id=drafts[0].id))
    if requests:
        lines.append(t(language, "digest_requests_follow"))
    return "\n".join(lines)[:TEXT_LIMIT]


def _counts(drafts: int, requests: int, language: str) -> str:
    parts = []
    if drafts:
        parts.append(t(language, "digest_drafts_one" if drafts == 1 else "digest_drafts_many", n=drafts))
    if requests:
        parts.append(t(language, "digest_requests_one" if requests == 1 else "digest_requests_many", n=requests))
    return t(language, "digest_and").join(parts)


def _line(item: Waiting, now: float, settings: Settings) -> str:
    language = settings.language.default
    age = age_text(now - item.since, language)
    if item.is_draft:
        line = t(language, "digest_draft_line", id=item.id, topic=item.topic, age=age)
    else:
        label = f"digest_kind_{item.kind}"
        kind = t(language, label if has(label) else "digest_kind_other")
        line = t(language, "digest_request_line", id=item.id, kind=kind, age=age)
    url = console_url(settings, item)
    return f"{line}\n   {url}" if url else line


def console_url(settings: Settings, item: Waiting) -> str:
    """Where the console shows ``item``; "" when the console is off."""
    if not (settings.secrets.console_secret or settings.sandbox.enabled):
        return ""
    library = f"/{settings.library_id}" if settings.library_id else ""  # as web.console.draft_url
    page = "drafts" if item.is_draft else "similarity" if item.kind == "similarity" else "requests"
    return f"{settings.public_url}/console{library}/{page}/{item.id}"


def topic(text: str) -> str:
    """A patron's question in a few words: "buku tentang literasi informasi untuk remaja…"."""
    words = " ".join(text.split()).split(" ")
    short = " ".join(words[:TOPIC_WORDS])
    if len(short) > TOPIC_CHARS:
        short = short[:TOPIC_CHARS].rsplit(" ", 1)[0] or short[:TOPIC_CHARS]
    return short + ("…" if short != " ".join(words) else "")


def age_text(seconds: float, language: str) -> str:
    """How long an item has waited, shortly: "40 mnt", "9 jam", "3 hari"."""
    minutes = max(1, int(seconds // 60))
    if minutes < 60:
        return t(language, "digest_age_minutes", n=minutes)
    hours = minutes // 60
    if hours < 48:
        return t(language, "digest_age_hours", n=hours)
    return t(language, "digest_age_days", n=hours // 24)
