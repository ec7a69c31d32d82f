"""Where a librarian finds a similarity check in the console (the console lives under ``web/``, above us)."""

from __future__ import annotations

from refbot.config import Settings


def console_link(settings: Settings, request_id: int) -> str:
    """The console page of one check: ``/console/similarity/<id>`` (``/console/<library>/…`` in a consortium)."""
    prefix = f"/console/{settings.library_id}" if settings.library_id else "/console"
    return f"{settings.public_url}{prefix}/similarity/{request_id}"
