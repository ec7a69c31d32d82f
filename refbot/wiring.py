"""Wiring: the one place that reads settings and builds the store, sources, channel and desk.

``build_services(settings)`` hands every part down; a test swaps any of them by passing its own
(a channel pointed at a stand-in, a source that fails) instead of patching. It is also the only
module of the core that imports :mod:`connectors`. Who runs the parts — the web server, a worker
in this process or in another — builds on what this returns.
"""

from __future__ import annotations

import datetime
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp

from refbot.config import JournalSettings, Secret, Settings
from refbot.desk.hours import OfficeHours
from refbot.desk.routing import Desk
from refbot.errors import ConfigError
from refbot.intake.journals import FileJournal, TableJournal
from refbot.pipeline.availability import LiveAvailability
from refbot.pipeline.language import LanguageDetector
from refbot.ports import (
    Channel,
    DeskService,
    Journal,
    LibrarySystem,
    MediaStore,
    ShelfStatus,
    SimilarityPolling,
    SimilarityService,
    Source,
)
from refbot.services.answers import AnswerService
from refbot.services.circulation.service import CirculationService
from refbot.services.dates import library_zone
from refbot.services.exports import ExportService
from refbot.services.history.service import HistoryService
from refbot.services.letters.service import LetterService
from refbot.services.library import NoLibrarySystem
from refbot.services.similarity.automation import SimilarityRunner
from refbot.services.similarity.service import SimilarityChecks
from refbot.services.snap.faq import Faq
from refbot.services.snap.service import SnapService
from refbot.store import Store
from refbot.store.cache import SourceCache
from refbot.store.journal import WebhookJournal, journal_path
from refbot.store.media import media_store

if TYPE_CHECKING:
    from connectors.zotero import ZoteroParts

def _nothing() -> None:
    """The default wake-up call: no worker in this process to wake; it finds the rows by polling."""


@dataclass
class Services:
    """What a running refbot is made of, for routes, the worker and tests to reach."""

    settings: Settings
    store: Store
    channel: Channel
    sources: Sequence[Source]
    desk: Desk
    session: aiohttp.ClientSession
    journal: Journal
    zotero: ZoteroParts | None = None
    similarity: SimilarityPolling | None = None
    """Automated similarity checks for the chores to advance (with ``similarity.turnitin``), else None."""
    wake: Callable[[], None] = field(default=_nothing)
    """Tells a worker in this process that new rows wait (set by whoever starts one)."""

    async def close(self) -> None:
        """Close what was opened."""
        for source in self.sources:
            close = getattr(source, "close", None)
            if callable(close):
                close()
        await self.store.close()
        await self.journal.close()
        await self.session.close()


async def build_services(
    settings: Settings, channel: Channel | None = None, sources: Sequence[Source] | None = None,
    *, crossref: Source | None = None,
) -> Services:
    """Open the store and build the channel, sources and desk.

    ``crossref`` is a Crossref source another library of the deployment already has: Crossref's
    rate limit is the deployment's, so its libraries share one source (and its pacing).

    Raises:
        ConfigError: a setting that cannot work (checked before anything is opened).
    """
    check_settings(settings)
    store = await Store.open(settings.store_location)
    journal: Journal | None = None
    session: aiohttp.ClientSession | None = None
    try:
        journal = open_journal(settings, store)
        session = aiohttp.ClientSession()
        return _build(settings, store, journal, session, channel, sources, crossref)
    except BaseException:
        # Whatever was opened is closed again: an open store thread would keep a failed
        # start-up alive, never listening and never exiting, where a supervisor cannot see it.
        if session is not None:
            await session.close()
        if journal is not None:
            await journal.close()
        await store.close()
        raise


@dataclass
class Deployment:
    """Every library this refbot serves, each a whole desk of its own: store, journal, channel, desk.

    A deployment without ``libraries:`` is one library (id ``default``), exactly as before.
    With ``libraries:``, each library's store is its own (a PostgreSQL schema or a SQLite file),
    its channel sends from its own number, its desk searches its own catalog and asks its own
    librarians; the webhook routes each change to the library whose number it came to.
    """

    settings: Settings
    libraries: dict[str, Services]
    """Library id → its parts, in the order of the configuration."""

    @property
    def first(self) -> Services:
        """The first library (the only one, without ``libraries:``)."""
        return next(iter(self.libraries.values()))

    @property
    def numbers(self) -> dict[str, str]:
        """Each library's WhatsApp phone number id → its library id (numbers not set are left out)."""
        return {s.settings.whatsapp.phone_number_id: library for library, s in self.libraries.items()
                if s.settings.whatsapp.phone_number_id}

    async def close(self) -> None:
        """Close every library's parts."""
        for services in self.libraries.values():
            await services.close()


async def build_deployment(
    settings: Settings, channel: Channel | None = None, sources: Sequence[Source] | None = None
) -> Deployment:
    """Build every library's services (``channel`` and ``sources``, for tests, serve a single library only)."""
    libraries = settings.each_library()
    if len(libraries) > 1 and (channel is not None or sources is not None):
        raise ValueError("a channel or sources given by the caller serve one library only")
    built: dict[str, Services] = {}
    try:
        shared: Source | None = None
        for library in libraries:
            services = built[library.id] = await build_services(library.settings, channel, sources, crossref=shared)
            shared = shared or next((s for s in services.sources if s.name == "crossref"), None)
    except BaseException:
        for services in built.values():
            await services.close()
        raise
    return Deployment(settings, built)


def open_journal(settings: Settings, store: Store) -> Journal:
    """The webhook journal for the store: a table on PostgreSQL, else a file beside the SQLite store."""
    if settings.on_postgres:
        return TableJournal(store)
    return FileJournal(WebhookJournal(journal_path(Path(settings.store_location))), store)


def check_settings(settings: Settings) -> None:
    """Check what the settings' own rules cannot: office-hour syntax, and a store folder refbot can write.

    Raises:
        ConfigError: naming the key.
    """
    OfficeHours.from_settings(settings.desk)
    if settings.koha.enabled and settings.slims.enabled:
        raise ConfigError("slims.enabled", "koha.enabled is on too; refbot asks one library system, switch one off")
    if settings.similarity.turnitin and not (settings.similarity.turnitin_base_url and settings.secrets.turnitin_api_key):
        raise ConfigError("similarity.turnitin", "needs similarity.turnitin_base_url and REFBOT_TURNITIN_API_KEY")
    folder = settings.path(settings.store.path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ConfigError("store.path", f"refbot cannot write in {folder}: {e.strerror}") from e


def _build(
    settings: Settings, store: Store, journal: Journal, session: aiohttp.ClientSession,
    channel: Channel | None, sources: Sequence[Source] | None, crossref: Source | None = None,
) -> Services:
    media = media_store(settings, store)  # one for every part that keeps or sends a file
    if channel is None:
        from connectors.whatsapp.channel import WhatsAppChannel

        s = settings.secrets
        channel = WhatsAppChannel(settings.whatsapp, s.whatsapp_token, s.whatsapp_app_secret, session, files=media)
    zotero = _zotero(settings, store)
    library = library_system(settings, session)
    if sources is None:
        shelf = library if isinstance(library, ShelfStatus) else None
        sources = default_sources(settings, store, crossref, shelf=shelf) + ([zotero.source] if zotero else [])
        sources = accredited(settings, store, session, sources)
    services = desk_services(settings, store, channel, library, media=media)
    desk = Desk(store, sources, settings, detect=LanguageDetector(), services=services)
    checker = similarity_checker(settings, session)
    similarity = SimilarityRunner(store, settings, media, checker) if checker is not None else None
    return Services(settings, store, channel, sources, desk, session, journal, zotero, similarity=similarity)


def desk_services(
    settings: Settings,
    store: Store,
    channel: Channel,
    library: LibrarySystem,
    *,
    clock: Callable[[], float] = time.time,
    media: MediaStore | None = None,
) -> list[DeskService]:
    """The desk's other services, in the order the desk offers them a message.

    Snap and send downloads patrons' images through ``channel`` (its checked download path);
    it, the letters and the exports keep their files in ``media`` (by default
    :func:`refbot.store.media.media_store`: the database on PostgreSQL, folders beside SQLite).
    """
    faq = Faq.load(settings.path(settings.snap.faq_file) if settings.snap.faq_file else "")
    media = media if media is not None else media_store(settings, store)
    exports = ExportService(store, media, settings.language.default)
    return [
        exports,
        HistoryService(store, settings, media, clock),
        AnswerService(store, settings),
        # Before snap and send: a document captioned TURNITIN is a manuscript, not a screenshot.
        SimilarityChecks(store, settings, channel, media=media, automated=settings.similarity.turnitin, clock=clock),
        SnapService(store, settings, channel, faq, media=media, clock=clock),
        LetterService(store, settings, library, clock, media=media),
        CirculationService(store, settings, library, clock),
    ]


def _zotero(settings: Settings, store: Store) -> ZoteroParts | None:
    if not settings.zotero.enabled:
        return None
    from connectors.zotero import zotero_parts

    return zotero_parts(settings.zotero, settings.secrets.zotero_api_key, store)


def similarity_checker(settings: Settings, session: aiohttp.ClientSession) -> SimilarityService | None:
    """Turnitin's Core API when ``similarity.turnitin`` is on; otherwise None (librarians check by hand)."""
    if not settings.similarity.turnitin:
        return None
    from connectors.turnitin import TurnitinSimilarity

    return TurnitinSimilarity(settings.similarity, settings.secrets.turnitin_api_key, session)


def library_system(settings: Settings, session: aiohttp.ClientSession) -> LibrarySystem:
    """Koha or SLiMS when configured; otherwise a library system that says circulation is unavailable."""
    if settings.slims.enabled:
        from connectors.slims.library import SlimsLibrary

        return SlimsLibrary(settings.slims, settings.secrets.slims_password, library_zone(settings))
    if not settings.koha.enabled:
        return NoLibrarySystem()
    from connectors.koha.library import KohaLibrary

    s = settings.secrets
    return KohaLibrary(settings.koha, s.koha_client_id, s.koha_client_secret, session)


def default_sources(
    settings: Settings, store: Store, crossref: Source | None = None, *, shelf: ShelfStatus | None = None,
) -> list[Source]:
    """The catalog (on the generation the store says to serve), and Crossref (answers cached in the store) when enabled.

    With ``shelf`` (the library system, when it can tell), the catalog's copies are asked of it
    while a draft is made (:class:`refbot.pipeline.availability.LiveAvailability`).
    """
    from connectors.crossref import CrossrefSource
    from refbot.catalog.search import CatalogIndex, CatalogSource
    from refbot.catalog.serving import GenerationFollower

    index = CatalogIndex(settings.path(settings.catalog.index_dir))
    catalog: Source = CatalogSource(index, timeout=settings.catalog.timeout, follower=GenerationFollower(index, store))
    if shelf is not None:
        catalog = LiveAvailability(catalog, shelf, deadline=settings.search.deadline, zone=library_zone(settings),
                                   exported=lambda: catalog_built_at(index.index_dir, index.generation))
    found: list[Source] = [catalog]
    if settings.crossref.enabled:
        found.append(crossref or CrossrefSource(settings.crossref, cache=SourceCache(store, "crossref")))
    return found


def accredited(settings: Settings, store: Store, session: aiohttp.ClientSession, sources: list[Source]) -> list[Source]:
    """The sources, their candidates with an ISSN marked from DOAJ and the SINTA list when either is set (journals.*).

    Raises:
        ConfigError: the SINTA list cannot be read or lacks a column (``journals.sinta_csv``).
    """
    from refbot.catalog.journals.accredited import Accredited
    from refbot.catalog.journals.sinta import SintaFile

    j = settings.journals
    if not (j.doaj or j.sinta_csv):
        return sources
    doaj = None
    if j.doaj:
        from connectors.doaj import DoajDirectory

        doaj = DoajDirectory(j, session, cache=SourceCache(store, "doaj"))  # one for all sources: lookups are shared
    sinta = SintaFile(settings.path(j.sinta_csv)) if j.sinta_csv else None
    if sinta is not None:
        sinta.load()  # at start-up, so a list that cannot be used stops refbot naming the key
    zone = library_zone(settings)
    # A Crossref source another library shares comes wrapped already; it is wrapped once, for this library.
    inner = [s.source if isinstance(s, Accredited) else s for s in sources]
    return [Accredited(s, doaj=doaj, sinta=sinta, deadline=settings.search.deadline,
                       today=lambda: datetime.datetime.now(zone).date()) for s in inner]


def catalog_built_at(index_dir: Path, generation: str | None) -> datetime.datetime | None:
    """When the catalog generation being served was built (its manifest's ``built_at``), or None."""
    from refbot.catalog.generations import read_manifest

    if not generation:
        return None
    try:
        return datetime.datetime.fromisoformat(str(read_manifest(index_dir / generation).get("built_at")))
    except ValueError:
        return None


def with_sandbox(settings: Settings) -> Settings:
    """Point the channel, Crossref, Koha and Zotero at the in-process stand-ins mounted under /sandbox."""
    # The sandbox signs and checks with secrets only it and the service share; when the
    # environment gives none, a fresh one per run is as good as any.
    s = settings.secrets
    filled = replace(
        s,
        whatsapp_token=s.whatsapp_token or Secret(secrets.token_hex(16)),
        whatsapp_app_secret=s.whatsapp_app_secret or Secret(secrets.token_hex(16)),
        whatsapp_verify_token=s.whatsapp_verify_token or Secret(secrets.token_hex(8)),
        koha_client_id=s.koha_client_id or Secret("sandbox"),
        koha_client_secret=s.koha_client_secret or Secret(secrets.token_hex(16)),
        turnitin_api_key=s.turnitin_api_key or Secret(secrets.token_hex(16)),
    )
    base = settings.public_url
    if settings.libraries:
        libraries = tuple(replace(lib, settings=with_sandbox(replace(lib.settings, secrets=filled)))
                          for lib in settings.libraries)
        settings = replace(settings, libraries=libraries)
    return replace(
        settings,
        secrets=filled,
        whatsapp=replace(settings.whatsapp, graph_api_base=f"{base}/sandbox/graph",
                         phone_number_id=settings.whatsapp.phone_number_id or "100000000000001"),
        crossref=replace(settings.crossref, base_url=f"{base}/sandbox/crossref"),
        # The Koha stand-in answers circulation unless the library asks SLiMS's database instead.
        koha=replace(settings.koha, enabled=not settings.slims.enabled, base_url=f"{base}/sandbox/koha"),
        zotero=replace(settings.zotero, enabled=True, api_base=f"{base}/sandbox/zotero",
                       library_id=settings.zotero.library_id or "2501"),
        # Automated checks only when asked for (similarity.turnitin): by hand is the default.
        similarity=replace(settings.similarity, turnitin_base_url=f"{base}/sandbox/turnitin"),
        journals=sandbox_journals(settings, base),
        # The demo shows the desk at any hour a library tries it; quiet nights are for a real desk.
        desk=replace(settings.desk, hold_librarian_notices=False),
    )


def sandbox_journals(settings: Settings, base: str) -> JournalSettings:
    """DOAJ's stand-in, and the demo SINTA list when the library names none (and the demo's is installed)."""
    from refbot.catalog.journals.sinta import DEMO_LIST

    own = settings.journals.sinta_csv
    return replace(settings.journals, doaj=True, doaj_base_url=f"{base}/sandbox/doaj/api",
                   sinta_csv=own or (str(DEMO_LIST) if DEMO_LIST.exists() else ""))
