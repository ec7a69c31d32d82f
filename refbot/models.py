"""refbot's domain types: what a patron needs, what sources offer, what a librarian approves.

Every type here is a frozen dataclass. Pipeline stages take and return these values and never
mutate them, so a stage can be tested with plain constructors and no I/O.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field


class Kind(enum.StrEnum):
    """What sort of thing a candidate is."""

    BOOK = "book"
    ARTICLE = "article"
    THESIS = "thesis"
    CHAPTER = "chapter"
    PROCEEDINGS = "proceedings"
    JOURNAL = "journal"
    EBOOK = "ebook"
    OTHER = "other"


@dataclass(frozen=True)
class Term:
    """One content word (or stem) of a need, with how much it carries the need."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class InformationNeed:
    """A patron's question as refbot understood it.

    Attributes:
        raw: the patron's words, untouched.
        language: "id", "en" or "mixed" — the language the patron wrote in.
        terms: content terms, courtesy and request phrasing removed, heaviest first.
        phrases: multi-word expressions to keep together ("literasi informasi").
        year_from: earliest publication year wanted, if the patron said so.
        year_to: latest publication year wanted, if the patron said so.
        kinds: material kinds the patron asked for; empty means any.
        languages: languages the patron wants the material in; empty means any.
        open_access: the patron asked for freely available material.
    """

    raw: str
    language: str = "id"
    terms: tuple[Term, ...] = ()
    phrases: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    kinds: frozenset[Kind] = frozenset()
    languages: frozenset[str] = frozenset()
    open_access: bool = False

    @property
    def query_text(self) -> str:
        """The content terms joined, for sources that take free text."""
        return " ".join(t.text for t in self.terms)


@dataclass(frozen=True)
class Holding:
    """One copy of a catalog record on the library's shelves."""

    location: str = ""
    call_number: str = ""
    barcode: str = ""
    available: bool = True
    status: str = ""


@dataclass(frozen=True)
class Candidate:
    """One thing a source offers for a need: a book, an article, a thesis, a journal."""

    source: str
    source_id: str
    kind: Kind
    title: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    container: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    publisher: str = ""
    isbn: tuple[str, ...] = ()
    issn: tuple[str, ...] = ()
    doi: str = ""
    call_number: str = ""
    holdings: tuple[Holding, ...] = ()
    url: str = ""
    abstract: str = ""
    subjects: tuple[str, ...] = ()
    language: str = ""
    retracted: bool = False
    notices: tuple[str, ...] = ()
    open_access: bool = False
    citations: int | None = None
    source_score: float = 0.0
    source_rank: int = 0
    editors: tuple[str, ...] = ()
    """A chapter's book's editors (or an edited book's), "Family, Given" as ``authors``."""
    edition: str = ""
    """"2" or "Ed. ke-2": the edition, as the source gives it."""
    article_number: str = ""
    """An article's number where the journal has no pages (e-journals: "e0123")."""
    degree: str = ""
    """A thesis's degree as the source words it ("PhD", "Tesis (M.Hum.)", "Master's thesis")."""
    accreditation: tuple[str, ...] = ()
    """Where a journal is vetted, from a real list ("DOAJ", "SINTA 2"); never guessed from its publisher."""

    @property
    def copies(self) -> int:
        """How many copies the library holds."""
        return len(self.holdings)

    @property
    def available(self) -> int:
        """How many copies are on the shelf now."""
        return sum(1 for h in self.holdings if h.available)

    @property
    def doi_url(self) -> str:
        """The DOI as a resolvable link, or empty."""
        return f"https://doi.org/{self.doi}" if self.doi else ""


@dataclass(frozen=True)
class Score:
    """A ranking score that keeps its named parts, so a librarian can see why."""

    total: float
    parts: tuple[tuple[str, float], ...] = ()

    def part(self, name: str) -> float:
        """The value of one named part, 0.0 when absent."""
        return dict(self.parts).get(name, 0.0)


@dataclass(frozen=True)
class Ranked:
    """A candidate with its score, in the order a draft presents them."""

    candidate: Candidate
    score: Score


class DraftStatus(enum.StrEnum):
    """Where a draft is in its life: pending → approved → sent, or rejected, or expired."""

    PENDING = "pending"
    APPROVED = "approved"
    SENT = "sent"
    REJECTED = "rejected"
    EXPIRED = "expired"
    ASKED = "asked"
    """A librarian sent the patron a clarifying question instead of a list."""


class ConfidenceLevel(enum.StrEnum):
    """How far a draft can be trusted, as a music tagger's recommendation: strong, partial or weak."""

    STRONG = "strong"
    PARTIAL = "partial"
    WEAK = "weak"


@dataclass(frozen=True)
class Confidence:
    """How sure refbot is of a draft, judged once when it is made (:mod:`refbot.pipeline.confidence`).

    Attributes:
        level: strong, partial or weak.
        best: how much of the need the best item matches, 0 to 1 (halved when it goes against a wish).
        gap: how far the third-best item falls below the best (the best itself when there is none).
        missing: what is missing, for the librarian: ``catalog`` (the catalog holds nothing that
            matches), ``recent`` (only old items, or none in the wished-for years), ``sources``
            (a source did not answer).
        answered: the sources that gave something.
    """

    level: ConfidenceLevel
    best: float = 0.0
    gap: float = 0.0
    missing: tuple[str, ...] = ()
    answered: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A recommendation list waiting for, or past, a librarian's decision."""

    id: int
    request_id: int
    items: tuple[Ranked, ...]
    status: DraftStatus = DraftStatus.PENDING
    version: int = 1
    note: str = ""
    source_notes: tuple[str, ...] = ()
    language: str = "id"
    patron: str = ""
    question: str = ""
    confidence: Confidence | None = None
    """How sure refbot was of the draft when it made it (None on drafts made before it judged)."""


@dataclass(frozen=True)
class Button:
    """A reply button: an id refbot reads back, and a title a person reads."""

    id: str
    title: str


@dataclass(frozen=True)
class Attachment:
    """A file refbot sends: a document (a PDF letter, a RIS list) or an image.

    ``path`` is the file's key in the :class:`refbot.ports.MediaStore` (``letters/K7QM-2XWD-9RTA.pdf``);
    a message queued by an older refbot names a file on disk by its absolute path instead.
    """

    path: str
    filename: str
    mime_type: str


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp message template: the only thing that may open a shut 24-hour window."""

    name: str
    language: str
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutgoingMessage:
    """A message refbot sends through a channel.

    ``text`` is the body (the caption when a document or image is attached); ``buttons``
    become reply buttons; ``document`` sends a file to download (a PDF, a RIS list);
    ``image`` sends a picture shown in the chat (JPEG or PNG); ``template`` sends an approved
    template instead.
    """

    to: str
    text: str
    buttons: tuple[Button, ...] = ()
    document: Attachment | None = None
    template: Template | None = None
    image: Attachment | None = None


@dataclass(frozen=True)
class InboundMessage:
    """A message a person sent to the library's number."""

    wamid: str
    sender: str
    type: str
    timestamp: int = 0
    text: str = ""
    button_id: str = ""
    sender_name: str = ""
    context_id: str = ""
    media_id: str = ""
    mime_type: str = ""
    filename: str = ""



@dataclass(frozen=True)
class JournalEntry:
    """One webhook body as it arrived, written down before Meta got its 200."""

    id: int
    received_at: float
    body: bytes


@dataclass(frozen=True)
class InboxRow:
    """An inbound message claimed for work: its row in the store, and how often it was tried."""

    id: int
    message: InboundMessage
    attempts: int

@dataclass(frozen=True)
class StatusUpdate:
    """What the channel says happened to a message refbot sent."""

    wamid: str
    status: str
    recipient: str = ""
    timestamp: int = 0
    errors: tuple[str, ...] = field(default=())
    callback_data: str = ""  # what the send carried, echoed back (an outbox row's tag)


@dataclass(frozen=True)
class IgnoredUpdate:
    """A webhook entry refbot does not act on, kept so it can be logged."""

    kind: str
    detail: str = ""


@dataclass(frozen=True)
class NumberChange:
    """A person moved their WhatsApp account from one number to another (not a message to answer)."""

    wamid: str
    old: str
    new: str
    timestamp: int = 0


@dataclass(frozen=True)
class AccountError:
    """A problem the channel reports about the library's account rather than one message (a rate limit)."""

    code: int | None
    title: str
    details: str = ""


Update = InboundMessage | StatusUpdate | NumberChange | AccountError | IgnoredUpdate


# --- the library system's circulation records (see refbot.ports.LibrarySystem) ---------------


@dataclass(frozen=True)
class LibraryPatron:
    """A borrower in the library system."""

    id: str
    cardnumber: str
    name: str
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loan:
    """One item a patron has on loan."""

    id: str
    barcode: str
    title: str
    due: datetime.datetime | None = None
    renewals: int = 0

    def overdue(self, now: datetime.datetime) -> bool:
        """Whether the item should have been back by ``now``."""
        return self.due is not None and self.due < now


@dataclass(frozen=True)
class Renewal:
    """What the library system said to a renewal.

    ``reason`` is the system's own code when refused (Koha: ``too_many``, ``on_reserve``,
    ``overdue``, ``restriction``, ``too_soon``, …), so the desk can word it for the patron.
    """

    renewed: bool
    due: datetime.datetime | None = None
    reason: str = ""
    renewals: int | None = None
    max_renewals: int | None = None


@dataclass(frozen=True)
class Fine:
    """One unpaid charge."""

    description: str
    amount: float


@dataclass(frozen=True)
class Account:
    """What a patron owes: the balance and the charges behind it."""

    balance: float
    fines: tuple[Fine, ...] = ()
