"""The interfaces the core defines and connectors implement."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from refbot.errors import RefbotError
from refbot.models import (
    Account,
    Candidate,
    Holding,
    InboundMessage,
    InboxRow,
    InformationNeed,
    JournalEntry,
    LibraryPatron,
    Loan,
    OutgoingMessage,
    Renewal,
    Update,
)


class Source(Protocol):
    """Something refbot can search for a need: the catalog, Crossref, Zotero.

    ``search`` raises :class:`refbot.errors.SourceError` when the source fails; the pipeline
    turns that into a note on the draft.
    """

    name: str

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]: ...


class Channel(Protocol):
    """A messaging channel: WhatsApp Cloud API, or the sandbox speaking its wire format."""

    def verify_signature(self, body: bytes, signature_header: str) -> bool: ...

    def parse_updates(self, payload: Any) -> list[Update]: ...

    async def send(self, message: OutgoingMessage, *, callback_data: str = "") -> str:
        """Send one message; return the channel's message id.

        ``callback_data`` (≤ 512 characters) comes back in every status update about the
        message (:attr:`refbot.models.StatusUpdate.callback_data`), so a status can name the
        outbox row it is about even when the send's own answer never arrived.

        Raises:
            SendInDoubt: the message went out but no answer came; it may have been taken.
            ChannelError: with ``transient`` telling whether to retry.
        """
        ...

    async def download_media(
        self, media_id: str, *, max_bytes: int, allowed_types: Collection[str]
    ) -> tuple[bytes, str]:
        """The bytes and type (``"image/png"``, parameters dropped) of media a person sent.

        Refuses a type not in ``allowed_types`` and anything over ``max_bytes`` (before
        downloading when the channel declares them), a download whose checksum differs, and
        bytes that do not look like the type they claim.

        Raises:
            MediaError: refused (``transient`` false: too big, a type not allowed, bytes that
                are not what they claim, an unknown id) or failed (``transient`` true: the
                channel unreachable or slow, an expired link, a corrupt download).
        """
        ...


class LibrarySystem(Protocol):
    """The circulation side of the library system (Koha, or a stand-in).

    Every call may raise :class:`refbot.errors.LibraryUnavailable` (the system is down, slow or
    refusing refbot's credentials); the desk then tells the patron and hands the request to a
    librarian.
    """

    name: str

    async def patron_by_card(self, cardnumber: str) -> LibraryPatron | None:
        """The patron holding a card number, or None."""
        ...

    async def patrons_by_phone(self, phone: str) -> list[LibraryPatron]:
        """Patrons whose phone or mobile number is this WhatsApp number."""
        ...

    async def loans(self, patron_id: str) -> list[Loan]:
        """The patron's current loans, soonest due first."""
        ...

    async def renew(self, loan: Loan) -> Renewal:
        """Ask for one loan to be renewed; a refusal is a :class:`Renewal`, not an error.

        A system whose renewal rules only its own staff screens apply (SLiMS) renews nothing and
        answers ``Renewal(False, reason=BY_LIBRARIAN)``: the desk then asks a librarian to.
        """
        ...

    async def account(self, patron_id: str) -> Account:
        """The patron's balance and unpaid charges."""
        ...


BY_LIBRARIAN = "by_librarian"
"""The :class:`Renewal` reason of a system where a librarian renews by hand (SLiMS)."""


@runtime_checkable
class ShelfStatus(Protocol):
    """A library system that can say, right now, which copies of catalog records are on the shelf (Koha, SLiMS)."""

    async def copies(self, record_ids: Collection[str]) -> dict[str, tuple[Holding, ...]]:
        """The copies of each record the system knows, by the catalog's record id (its 001).

        Records the system does not know (or ids it cannot read) are left out. A copy on loan
        is ``available=False`` with ``status`` ``"on loan, due YYYY-MM-DD"``.

        Raises:
            LibraryUnavailable: the system could not be asked.
        """
        ...


class CollectionCopy(Protocol):
    """Copies a library's curated collections (Zotero) into the store, where a source searches them."""

    async def run_once(self) -> object:
        """Copy what changed since the last copy."""
        ...


class ListSaver(Protocol):
    """Saves approved lists back to the library's curated collections (Zotero)."""

    async def save_pending(self, since: float = 0.0, limit: int = 10) -> object:
        """Save the lists approved since ``since`` that are not saved yet."""
        ...


class CuratedCollections(Protocol):
    """The chores' side of a library's curated collections: a periodic copy, and saving lists back."""

    @property
    def sync(self) -> CollectionCopy: ...

    @property
    def saver(self) -> ListSaver: ...


class DeskService(Protocol):
    """One of the desk's other services (circulation codes, snap and send, clearance letters).

    The desk offers each inbound message to its services in order before treating it as a
    reference question; the first whose ``wants`` says yes handles it. ``handle`` must be
    idempotent (a message is handled again after a crash) and must finish the inbox row
    (``store.finish_inbox``) in the same transaction as its effects.
    """

    name: str

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool: ...

    async def handle(self, row: InboxRow) -> None: ...


class Journal(Protocol):
    """The webhook journal: bodies written down by the web side, applied in order by a worker.

    :class:`refbot.intake.journals.FileJournal` is a SQLite file beside a SQLite store (one web
    process writes it); :class:`refbot.intake.journals.TableJournal` is a table in PostgreSQL
    that every web node appends to.
    """

    async def append(self, body: bytes) -> None:
        """Write one verified body down; returns once it is durable.

        Raises:
            JournalError: it could not be written (Meta will deliver it again).
        """
        ...

    async def pending(self, limit: int) -> list[JournalEntry]:
        """Up to ``limit`` entries not yet applied, oldest first ([] when another worker applies them)."""
        ...

    async def applied(self, entries: list[JournalEntry]) -> None:
        """Record that these entries (the first ones :meth:`pending` gave) are in the store."""
        ...

    async def waiting(self) -> tuple[int, float | None]:
        """How many entries wait to be applied, and when the oldest of them arrived."""
        ...

    async def tidy(self, rounds: int) -> None:
        """Housekeeping on the web side, every few seconds: drop what was applied."""
        ...

    async def close(self) -> None:
        """Finish what is being written and let go."""
        ...


class MediaStore(Protocol):
    """Where refbot keeps the files it makes or is sent: patrons' media, clearance letters, exports.

    A key is a name refbot made, ``<folder>/<name>`` (``media/12-0123456789abcdef.png``,
    ``letters/K7QM-2XWD-9RTA.pdf``, ``exports/referensi-7.ris``), never a name a patron's phone
    gave a file; an implementation refuses any other with ``ValueError``. A file is stored whole
    or not at all. On SQLite the files are kept in folders beside the database
    (:class:`refbot.store.media.FolderMedia`); on PostgreSQL in the database itself
    (:class:`refbot.store.files.DatabaseMedia`), so every node can read what any node stored.
    An :class:`refbot.models.Attachment` names its file by key.
    """

    async def put(self, key: str, data: bytes, mime_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None when there are none."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``."""
        ...

    async def keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix`` that refbot stored or began to store, sorted."""
        ...

    async def delete(self, keys: Iterable[str]) -> int:
        """Delete these files (a missing one is no error); returns how many were deleted."""
        ...


class SimilarityError(RefbotError):
    """A similarity checker (Turnitin) failed or refused; the check goes to a librarian by hand.

    ``transient`` says whether asking again later may succeed (the service down, slow, or
    asking refbot to wait); ``status`` is the HTTP status when one came, ``retry_after`` the
    seconds the service asked refbot to wait. It lives beside the
    port because only the port's callers and implementations meet it.
    """

    def __init__(self, reason: str, *, transient: bool, status: int = 0, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient  # shadows RefbotError's class default for this one error
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class SimilarityProgress:
    """Where one check stands at the similarity checker.

    ``state``: ``processing`` (the file or the report is still being worked on), ``complete``
    (``percent`` is the overall similarity index), ``failed`` (``reason`` says why, e.g.
    ``CANNOT_EXTRACT_TEXT``; a librarian takes over).
    """

    state: str
    percent: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class SimilarityReport:
    """The report's PDF: ``pdf_id`` names the rendering asked for, ``data`` is None until it is ready."""

    pdf_id: str
    data: bytes | None = None


class SimilarityService(Protocol):
    """A similarity checker a library has a licence for (Turnitin's Core API, or its stand-in).

    Every call may raise :class:`SimilarityError`; refbot then hands the check to a librarian.
    """

    name: str

    async def submit(self, *, title: str, owner: str, filename: str, data: bytes) -> str:
        """Create a submission and upload the manuscript; returns the submission's id."""
        ...

    async def progress(self, submission_id: str) -> SimilarityProgress:
        """One look at a submission: asks for its similarity report once the file is processed."""
        ...

    async def report(self, submission_id: str, pdf_id: str = "") -> SimilarityReport:
        """The report as a PDF: asks for one when ``pdf_id`` is empty, then fetches it when ready."""
        ...


class SimilarityPolling(Protocol):
    """The chores' side of automated similarity checks: look at the checks that are due."""

    async def poll_due(self) -> int:
        """Submit new checks and look at those in progress; returns how many were looked at."""
        ...
