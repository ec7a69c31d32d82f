"""Wiring: the one place that reads settings and builds the store, sources, channel and worker.

``create_app(settings)`` hands every part down; a test swaps any of them by passing its own
(a channel pointed at a stand-in, a source that fails) instead of patching.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing.process
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from connectors.zotero import ZoteroParts

from refbot.config import Secret, Settings
from refbot.desk import Desk
from refbot.errors import ConfigError
from refbot.exports import ExportService
from refbot.intake import keep_journal_trimmed
from refbot.pipeline.language import LanguageDetector
from refbot.ports import Channel, Source
from refbot.services import desk_services
from refbot.services.library import LibrarySystem, NoLibrarySystem
from refbot.services.verify import setup_verify
from refbot.store import Store
from refbot.store.cache import SourceCache
from refbot.store.journal import WebhookJournal, journal_path
from refbot.web.console import setup_console
from refbot.web.errors import error_response
from refbot.web.webhook import WebhookHandler
from refbot.worker import Worker, stop_tasks
from refbot.worker_process import start_worker_process, stop_worker_process

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What a running refbot is made of, for routes and tests to reach."""

    settings: Settings
    store: Store
    channel: Channel
    sources: Sequence[Source]
    desk: Desk
    worker: Worker
    session: aiohttp.ClientSession
    journal: WebhookJournal
    worker_process: multiprocessing.process.BaseProcess | None = None

    async def close(self) -> None:
        """Stop the worker (wherever it runs) and close what was opened."""
        if self.worker_process is not None:
            await asyncio.to_thread(stop_worker_process, self.worker_process)
        await self.worker.stop()
        for source in self.sources:
            close = getattr(source, "close", None)
            if callable(close):
                close()
        await self.store.close()
        self.journal.close()
        await self.session.close()


SERVICES = web.AppKey("services", Services)
JOURNAL_TRIM_EVERY = 10.0
"""Seconds between deletions of applied webhook journal entries (in the web process)."""
WORKER_MODES = ("process", "inline", "none")
SETTINGS = web.AppKey("settings", Settings)


def create_app(
    settings: Settings,
    *,
    channel: Channel | None = None,
    sources: Sequence[Source] | None = None,
    run_worker: bool = True,
) -> web.Application:
    """Build the web application; its startup opens the store and starts the worker."""
    if settings.sandbox.enabled:
        settings = _with_sandbox(settings)
    app = web.Application(middlewares=[_errors])
    app[SETTINGS] = settings

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        services = await build_services(settings, channel, sources)
        app[SERVICES] = services
        if run_worker and settings.worker.mode == "inline":
            await services.worker.start()
        elif run_worker and settings.worker.mode == "process":
            services.worker_process = start_worker_process(settings)
        trimming = asyncio.create_task(keep_journal_trimmed(services.store, services.journal, JOURNAL_TRIM_EVERY))
        yield
        await stop_tasks([trimming], "journal trimming")
        await services.close()

    app.cleanup_ctx.append(lifecycle)
    webhook = _LazyWebhook(app)
    app.router.add_get("/webhook", webhook.verify)
    app.router.add_post("/webhook", webhook.receive)
    app.router.add_get("/healthz", _health)
    setup_console(app, settings)
    setup_verify(app, lambda: app[SERVICES].store, settings)
    if settings.sandbox.enabled:
        from refbot.sandbox.mount import mount_sandbox

        mount_sandbox(app, settings)
    return app


async def build_services(
    settings: Settings, channel: Channel | None = None, sources: Sequence[Source] | None = None
) -> Services:
    """Open the store and build the channel, sources, desk and (not yet started) worker."""
    if settings.worker.mode not in WORKER_MODES:
        raise ConfigError("worker.mode", f"must be one of {', '.join(WORKER_MODES)}, not {settings.worker.mode!r}")
    store = await Store.open(settings.path(settings.store.path))
    journal = WebhookJournal(journal_path(settings.path(settings.store.path)))
    session = aiohttp.ClientSession()
    if channel is None:
        from connectors.whatsapp import WhatsAppChannel

        s = settings.secrets
        channel = WhatsAppChannel(settings.whatsapp, s.whatsapp_token, s.whatsapp_app_secret, session)
    zotero = _zotero(settings, store)
    if sources is None:
        sources = default_sources(settings, store) + ([zotero.source] if zotero else [])
    exports = ExportService(store, settings.path(settings.store.path).parent / "exports", settings.language.default)
    services = [exports, *desk_services(settings, store, session, library_system(settings, session))]
    desk = Desk(store, sources, settings, detect=LanguageDetector(), services=services)
    worker = Worker(store, desk, channel, settings, journal, zotero=zotero)
    return Services(settings, store, channel, sources, desk, worker, session, journal)


def _zotero(settings: Settings, store: Store) -> ZoteroParts | None:
    if not settings.zotero.enabled:
        return None
    from connectors.zotero import zotero_parts

    return zotero_parts(settings.zotero, settings.secrets.zotero_api_key, store)


def library_system(settings: Settings, session: aiohttp.ClientSession) -> LibrarySystem:
    """Koha when configured; otherwise a library system that says circulation is unavailable."""
    if not settings.koha.enabled:
        return NoLibrarySystem()
    from connectors.koha import KohaLibrary

    s = settings.secrets
    return KohaLibrary(settings.koha, s.koha_client_id, s.koha_client_secret, session)


def default_sources(settings: Settings, store: Store) -> list[Source]:
    """The catalog, and Crossref (with its answers cached in the store) when enabled."""
    from connectors.crossref import CrossrefSource
    from refbot.catalog.search import CatalogIndex, CatalogSource

    found: list[Source] = [
        CatalogSource(CatalogIndex(settings.path(settings.catalog.index_dir)), timeout=settings.catalog.timeout)
    ]
    if settings.crossref.enabled:
        found.append(CrossrefSource(settings.crossref, cache=SourceCache(store, "crossref")))
    return found


class _LazyWebhook:
    """Routes added before startup that reach the handler built at startup."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._handler: WebhookHandler | None = None

    def _get(self) -> WebhookHandler:
        if self._handler is None:
            services = self._app[SERVICES]
            self._handler = WebhookHandler(
                services.journal,
                services.channel,
                services.settings.secrets.whatsapp_verify_token.get(),
                on_inbound=services.worker.journal_ready.set,
            )
        return self._handler

    async def verify(self, request: web.Request) -> web.StreamResponse:
        return await self._get().verify(request)

    async def receive(self, request: web.Request) -> web.StreamResponse:
        return await self._get().receive(request)


async def _health(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    inbox = await services.store.inbox_counts()
    waiting = await services.worker.applier.waiting()
    return web.json_response(
        {"status": "ok", "inbox": inbox, "webhooks_waiting": waiting, "sources": [s.name for s in services.sources]}
    )


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400 or not request.path.startswith(("/webhook", "/healthz")):
            raise
        return error_response(e.status, e.reason.lower().replace(" ", "_"), e.reason)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "refbot hit an unexpected error; it has been logged")


def _with_sandbox(settings: Settings) -> Settings:
    """Point the channel and Crossref at the in-process stand-ins mounted under /sandbox."""
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
    )
    base = settings.public_url
    return replace(
        settings,
        secrets=filled,
        whatsapp=replace(settings.whatsapp, graph_api_base=f"{base}/sandbox/graph",
                         phone_number_id=settings.whatsapp.phone_number_id or "100000000000001"),
        crossref=replace(settings.crossref, base_url=f"{base}/sandbox/crossref"),
        koha=replace(settings.koha, enabled=True, base_url=f"{base}/sandbox/koha"),
        zotero=replace(settings.zotero, enabled=True, api_base=f"{base}/sandbox/zotero",
                       library_id=settings.zotero.library_id or "2501"),
    )
