"""The interfaces the core defines and connectors implement."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from refbot.models import (
    Account,
    Candidate,
    InboundMessage,
    InboxRow,
    InformationNeed,
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
        """Ask for one loan to be renewed; a refusal is a :class:`Renewal`, not an error."""
        ...

    async def account(self, patron_id: str) -> Account:
        """The patron's balance and unpaid charges."""
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
