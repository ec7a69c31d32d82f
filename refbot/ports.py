"""The interfaces the core defines and connectors implement."""

from __future__ import annotations

from typing import Any, Protocol

from refbot.models import Candidate, InformationNeed, OutgoingMessage, Update


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
