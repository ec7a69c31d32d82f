"""The desk's other services, each a :class:`refbot.desk.DeskService`.

- :class:`~refbot.services.snap.SnapService` — snap and send: screenshots of portal problems,
  read with Tesseract and matched against the FAQ, answered through a librarian.
- :class:`~refbot.services.circulation.CirculationService` — keyword codes: ``RENEW#``,
  ``PINJAMAN``, ``DENDA``, ``USUL#``, ``DAFTAR#``, ``KODE#``, ``MENU``, ``BAHASA#``.
- :class:`~refbot.services.letters.LetterService` — clearance letters (``BEBASPUSTAKA``).
- :class:`~refbot.services.answers.AnswerService` — ``JAWAB#<id> …``, a librarian's own answer.

Every decision a librarian makes on these goes through :mod:`refbot.services.approvals`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp

from refbot.config import Settings
from refbot.services.answers import AnswerService
from refbot.services.circulation import CirculationService
from refbot.services.faq import Faq
from refbot.services.letters import LetterService
from refbot.services.library import LibrarySystem
from refbot.services.media import GraphMedia, MediaFetcher
from refbot.services.snap import SnapService
from refbot.store import Store

Service = AnswerService | SnapService | CirculationService | LetterService


def desk_services(
    settings: Settings,
    store: Store,
    session: aiohttp.ClientSession,
    library: LibrarySystem,
    *,
    media: MediaFetcher | None = None,
    clock: Callable[[], float] = time.time,
) -> list[Service]:
    """The services in the order the desk offers them a message."""
    if media is None:
        media = GraphMedia(settings.whatsapp, settings.secrets.whatsapp_token, session, settings.snap.max_media_bytes)
    return [
        AnswerService(store, settings),
        SnapService(store, settings, media, Faq.load(settings.path(settings.snap.faq_file) if settings.snap.faq_file else "")),
        LetterService(store, settings, library, clock),
        CirculationService(store, settings, library, clock),
    ]
