"""Which attachment a patron's message carries, and which kinds snap and send takes.

WhatsApp hands over a media id, not the file: the channel downloads it
(:meth:`refbot.ports.Channel.download_media`, which checks the type, the size and the bytes),
and :class:`refbot.store.media.MediaFiles` keeps it under a name refbot makes.
"""

from __future__ import annotations

from dataclasses import dataclass

from refbot.models import InboundMessage
from refbot.store.media import EXTENSIONS

SNAP_TYPES = frozenset(EXTENSIONS)
"""What snap and send downloads: images (JPEG, PNG, WebP, GIF, BMP, TIFF) and PDFs."""


@dataclass(frozen=True)
class MediaRef:
    """What an inbound message says about its attachment."""

    media_id: str
    mime_type: str = ""
    filename: str = ""


def media_of(message: InboundMessage) -> MediaRef | None:
    """The attachment of an image or document message, when the channel gave its id."""
    if not message.media_id:
        return None
    return MediaRef(message.media_id, message.mime_type, message.filename)
