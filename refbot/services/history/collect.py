"""A patron's history, gathered from the store: lists sent, letters issued, similarity checks.

Only what reached the patron counts (a list whose draft went out, a letter whose document did),
found by their WhatsApp number, within the retention period (``privacy.retention_days``): what
the desk has promised to forget is not brought back, even before the purge has run.
"""

from __future__ import annotations

from dataclasses import dataclass

from refbot.citations import apa, reference_from_candidate
from refbot.config import Settings
from refbot.models import Candidate
from refbot.store import Store
from refbot.store import history as stored
from refbot.texts import t

LISTS_KEPT = 10
"""How many of the latest lists ``RIWAYAT`` gathers (older ones: ``RIWAYAT <number>``)."""
DAY = 86400.0


@dataclass(frozen=True)
class Item:
    """One item of a list as the patron received it: the APA reference, where to find it, its link."""

    reference: str
    where: str
    link: str


@dataclass(frozen=True)
class ListEntry:
    """A list the patron received; ``number`` is their request's number."""

    number: int
    question: str
    asked_at: float
    sent_at: float
    items: tuple[Item, ...]
    note: str


@dataclass(frozen=True)
class LetterEntry:
    """A clearance letter the patron received; ``number`` is the request's, ``letter_number`` the letter's own."""

    number: int
    letter_number: str
    code: str
    verify_url: str
    issued_at: float


@dataclass(frozen=True)
class SimilarityEntry:
    """A similarity check's result: the request's number, when, the percentage, whether the report went out."""

    number: int
    checked_at: float
    percentage: float | None
    report_sent: bool


@dataclass(frozen=True)
class History:
    """Everything the desk gave one patron (or only request ``number`` of it)."""

    lists: tuple[ListEntry, ...] = ()
    letters: tuple[LetterEntry, ...] = ()
    similarity: tuple[SimilarityEntry, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing to send."""
        return not (self.lists or self.letters or self.similarity)


def retention_cutoff(settings: Settings, now: float) -> float:
    """The oldest moment whose records may still be shown (``privacy.retention_days`` ago)."""
    return now - settings.privacy.retention_days * DAY


async def gather(store: Store, settings: Settings, patron: str, *, now: float, number: int | None = None,
                 language: str = "id") -> History:
    """The patron's history: their latest lists, letters and checks, or only their list (request) ``number``."""
    if not patron or stored.forgotten(patron):
        return History()
    since = retention_cutoff(settings, now)
    limit = LISTS_KEPT if number is None else 1
    lists = [await _list_entry(store, entry, language)
             for entry in await stored.sent_lists(store, patron, since, limit=limit, request_id=number)]
    lists_only = tuple(e for e in lists if e is not None)
    if number is not None:  # RIWAYAT 3: list #3 alone, as it was sent
        return History(lists_only)
    letters = [LetterEntry(letter.request_id, letter.number, letter.code, f"{settings.public_url}/verify/{letter.code}",
                           letter.issued_at)
               for letter in await stored.sent_letters(store, patron, since)]
    return History(lists_only, tuple(letters), tuple(await similarity_results(store, patron, since)))


async def similarity_results(store: Store, patron: str, since: float) -> list[SimilarityEntry]:
    """The patron's similarity checks with a result (the similarity service's, :mod:`refbot.store.similarity`), newest first."""
    return [SimilarityEntry(r.request_id, r.given_at, r.percent, r.report_delivered)
            for r in await stored.similarity_results(store, patron, since)]


async def _list_entry(store: Store, entry: stored.SentList, language: str) -> ListEntry | None:
    draft = await store.get_draft(entry.draft_id)
    if draft is None:
        return None
    items = tuple(item(r.candidate, language) for r in draft.items if not r.candidate.retracted)
    return ListEntry(entry.request_id, entry.question, entry.asked_at, entry.sent_at, items, draft.note)


def item(candidate: Candidate, language: str) -> Item:
    """One item: its APA 7 reference, what and where it is, and its link (DOI, else the URL)."""
    reference = reference_from_candidate(candidate)
    where = [t(language, candidate.kind.value)]
    if candidate.call_number:
        where.append(t(language, "call_number", call_number=candidate.call_number))
    link = f"https://doi.org/{reference.doi}" if reference.doi else reference.url
    return Item(apa(reference, "plain", language), " · ".join(where), link)
