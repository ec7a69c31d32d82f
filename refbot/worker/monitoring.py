"""Serving Prometheus's scrape: the store's figures for each library, and a listener of its own.

Both kinds of process answer scrapes: the web process (at ``/metrics`` with the token, or on
its own listener) and a worker that runs apart (``refbot worker`` with ``metrics.port`` set).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from refbot.config import MetricsSettings
from refbot.metrics import CONTENT_TYPE, Metrics, StoreFigures, exposition
from refbot.ports import Journal
from refbot.store import Store

log = logging.getLogger(__name__)

Scrape = Callable[[], Awaitable[web.Response]]


async def store_figures(library: str, store: Store, journal: Journal) -> StoreFigures:
    """What waits in one library's store now."""
    backlog = await store.backlog()
    waiting, _ = await journal.waiting()
    oldest = backlog.oldest_pending_inbox
    return StoreFigures(library, waiting, backlog.inbox_pending, max(0.0, store.clock() - oldest) if oldest else 0.0,
                        backlog.outbox_due, backlog.sends_in_doubt, await store.held_messages())


async def scrape(metrics: Metrics, libraries: Mapping[str, tuple[Store, Journal]],
                 folder: str | None = None) -> web.Response:
    """The answer to one scrape (the files are read in a thread: the event loop keeps taking webhooks)."""
    figures = [await store_figures(library, store, journal) for library, (store, journal) in libraries.items()]
    body = await asyncio.to_thread(exposition, metrics, figures, folder)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def serve_metrics(settings: MetricsSettings, answer: Scrape) -> web.AppRunner:
    """A listener of its own on ``metrics.host:metrics.port``, without a token (the address is the guard)."""
    app = web.Application()

    async def metrics(_request: web.Request) -> web.Response:
        return await answer()

    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError:
        await runner.cleanup()
        raise
    log.info("metrics served at http://%s:%d/metrics", settings.host, settings.port)
    return runner
