"""The web server: webhook, health, console, verification page and (in the sandbox) the stand-ins.

``create_app(settings)`` builds the application; its startup builds the services
(:func:`refbot.wiring.build_services`) and starts the worker where ``worker.mode`` says: in
this process (``inline``), in a child process (``process``, the default), or nowhere
(``none``: ``refbot worker`` runs elsewhere). The web process builds a worker only when it
runs one.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from refbot.config import Settings
from refbot.intake.applier import keep_journal_tidy
from refbot.metrics import Metrics, authorized, check_metrics_settings
from refbot.ports import Channel, Source
from refbot.web.addresses import trusted_networks
from refbot.web.console import setup_console
from refbot.web.errors import error_response
from refbot.web.keys import DEPLOYMENT, SERVICES, SETTINGS
from refbot.web.verify import setup_verify
from refbot.web.webhook import WebhookHandler
from refbot.wiring import Deployment, Services, build_deployment, with_sandbox
from refbot.worker.health import judge
from refbot.worker.loops import Worker, stop_tasks
from refbot.worker.monitoring import scrape, serve_metrics
from refbot.worker.process import Supervisor

log = logging.getLogger(__name__)

WORKER = web.AppKey("worker", Worker)
"""The worker running in this process (``worker.mode: inline`` only)."""
SUPERVISOR = web.AppKey("supervisor", Supervisor)
"""What keeps the worker child running (``worker.mode: process``)."""
STALE_AFTER = 30.0
"""Seconds without a heartbeat after which ``/healthz`` says a worker loop has stopped."""
JOURNAL_TRIM_EVERY = 10.0
"""Seconds between deletions of applied webhook journal entries (in the web process)."""
METRICS = web.AppKey("metrics", Metrics)
"""What this process counts for Prometheus (nothing unless ``metrics.enabled``)."""
METRICS_FOLDER = web.AppKey("metrics_folder", str)
"""Where the worker child writes its counters (``worker.mode: process`` with metrics on)."""

__all__ = ["SERVICES", "SETTINGS", "WORKER", "Services", "create_app"]


def create_app(
    settings: Settings,
    *,
    channel: Channel | None = None,
    sources: Sequence[Source] | None = None,
    run_worker: bool = True,
) -> web.Application:
    """Build the web application; its startup opens the store and starts the worker."""
    if settings.sandbox.enabled:
        settings = with_sandbox(settings)
    check_metrics_settings(settings)
    app = web.Application(middlewares=[_errors])
    app[SETTINGS] = settings
    app[METRICS] = Metrics(settings.metrics.enabled, [library.id for library in settings.each_library()])

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        deployment = app[DEPLOYMENT] = await build_deployment(settings, channel, sources)
        app[SERVICES] = deployment.first
        if settings.metrics.enabled and settings.worker.mode == "process" and run_worker:
            app[METRICS_FOLDER] = tempfile.mkdtemp(prefix="refbot-metrics-")
        stop_worker = await _start_worker(app, deployment, run_worker)
        tidying = [asyncio.create_task(keep_journal_tidy(s.journal, JOURNAL_TRIM_EVERY))
                   for s in deployment.libraries.values()]
        listener = None
        if settings.metrics.enabled and settings.metrics.port:
            listener = await serve_metrics(settings.metrics, lambda: _metrics(app))
        yield
        if listener is not None:
            await listener.cleanup()
        await stop_tasks(tidying, "journal trimming")
        await stop_worker()
        await deployment.close()
        if METRICS_FOLDER in app:
            shutil.rmtree(app[METRICS_FOLDER], ignore_errors=True)

    app.cleanup_ctx.append(lifecycle)
    webhook = _LazyWebhook(app)
    app.router.add_get("/webhook", webhook.verify)
    app.router.add_post("/webhook", webhook.receive)
    app.router.add_get("/healthz", _health)
    if settings.metrics.enabled and not settings.metrics.port:
        app.router.add_get("/metrics", _metrics_with_token)
    setup_console(app, settings)
    setup_verify(app, lambda: [(s.store, s.settings) for s in app[DEPLOYMENT].libraries.values()], settings)
    if settings.sandbox.enabled:
        from refbot.sandbox.mount import mount_sandbox

        mount_sandbox(app, settings)
    return app


async def _start_worker(app: web.Application, deployment: Deployment,
                        run_worker: bool) -> Callable[[], Awaitable[None]]:
    """Start the worker where ``worker.mode`` says (one per library); returns what stops them."""
    mode = deployment.settings.worker.mode
    if run_worker and mode == "inline":
        workers = []
        for library, services in deployment.libraries.items():
            worker = Worker.from_services(services, app[METRICS].library(library))
            services.wake = worker.wake
            await worker.start()
            workers.append(worker)
        app[WORKER] = workers[0]

        async def stop_all() -> None:
            for worker in workers:
                await worker.stop()

        return stop_all
    if run_worker and mode == "process":
        supervisor = app[SUPERVISOR] = Supervisor(deployment.settings, metrics_folder=app.get(METRICS_FOLDER))
        supervisor.start()
        watching = asyncio.create_task(supervisor.watch(), name="worker-supervisor")

        async def stop() -> None:
            await stop_tasks([watching], "worker supervisor")
            await supervisor.stop()

        return stop
    return _nothing_to_stop


async def _nothing_to_stop() -> None:
    return None


class _LazyWebhook:
    """Routes added before startup that reach the handler built at startup."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._handler: WebhookHandler | None = None

    def _get(self) -> WebhookHandler:
        if self._handler is None:
            deployment = self._app[DEPLOYMENT]
            first = deployment.first

            async def set_aside(numbers: list[str], body: bytes) -> None:
                async with first.store.tx() as db:
                    await first.store.add_event(db, "webhook", "webhook_unknown_number", f"numbers:{','.join(numbers)}",
                                                {"numbers": sorted(set(numbers)), "bytes": len(body)})

            self._handler = WebhookHandler(
                {library: s.journal for library, s in deployment.libraries.items()},
                first.channel,
                first.settings.secrets.whatsapp_verify_token.get(),
                numbers=deployment.numbers,
                on_inbound=lambda library: deployment.libraries[library].wake(),
                set_aside=set_aside,
                metrics=self._app[METRICS],
                trusted_proxies=trusted_networks(first.settings.server.trusted_proxies),
            )
        return self._handler

    async def verify(self, request: web.Request) -> web.StreamResponse:
        return await self._get().verify(request)

    async def receive(self, request: web.Request) -> web.StreamResponse:
        return await self._get().receive(request)


async def _health(request: web.Request) -> web.Response:
    """The desk's health: 200 and ``"ok"`` only when it can answer now; otherwise 503 with the reasons.

    With several libraries, every library's desk must be able to answer: the body has each
    library's figures under ``libraries``, and a reason names the library it is about.
    """
    app, deployment = request.app, request.app[DEPLOYMENT]
    if len(deployment.libraries) == 1:
        body = await _library_health(app, deployment.first)
    else:
        parts = {library: await _library_health(app, s) for library, s in deployment.libraries.items()}
        reasons = [f"{library}: {reason}" for library, part in parts.items() for reason in part["reasons"]]
        body = {"status": "ok" if not reasons else "failing", "reasons": reasons, "libraries": parts}
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


async def _library_health(app: web.Application, services: Services) -> dict[str, Any]:
    store, settings = services.store, services.settings
    now = store.clock()
    inbox = await store.inbox_counts()
    waiting, oldest = await services.journal.waiting()
    stale = STALE_AFTER + max(settings.worker.poll_interval, 1.0)
    verdict = judge(await store.heartbeats(now - 86400), await store.backlog(), now=now, stale_after=stale,
                    chore_interval=settings.worker.chore_interval, worker_alive=_worker_alive(app))
    reasons = list(verdict.reasons)
    if oldest is not None and now - oldest > stale:
        reasons.append(f"webhooks have waited {now - oldest:.0f} s to be applied")
    supervisor = app.get(SUPERVISOR)
    errors = await store.whatsapp_errors(now - 86400)
    return {
        "status": "ok" if not reasons else "failing",
        "reasons": reasons,
        "inbox": inbox,
        "webhooks_waiting": waiting,
        "oldest_waiting_webhook_seconds": round(now - oldest, 1) if oldest is not None else None,
        "resends_without_evidence_24h": await store.resends_without_evidence(now - 86400),
        "whatsapp_errors_24h": errors.count,
        "last_whatsapp_error": {"code": errors.last_code, "message": errors.last_message,
                                "seconds_ago": round(now - errors.last_at, 1)} if errors.last_at is not None else None,
        "worker": {**verdict.detail, "mode": settings.worker.mode,
                   "pid": supervisor.process.pid if supervisor and supervisor.process else None,
                   "restarts": supervisor.restarts if supervisor else 0},
        "sources": [s.name for s in services.sources],
    }


async def _metrics_with_token(request: web.Request) -> web.Response:
    """``/metrics`` on the web service's own port: only for a scraper with the token."""
    token = request.app[SETTINGS].secrets.metrics_token.get()
    if not authorized(request.headers.get("Authorization", ""), token):
        return web.Response(status=401, text="a metrics token is needed (Authorization: Bearer …)\n",
                            headers={"WWW-Authenticate": 'Bearer realm="refbot metrics"'})
    return await _metrics(request.app)


async def _metrics(app: web.Application) -> web.Response:
    """The scrape: what this process (and its worker child) counted, and what waits in each library's store."""
    libraries = {library: (s.store, s.journal) for library, s in app[DEPLOYMENT].libraries.items()}
    return await scrape(app[METRICS], libraries, app.get(METRICS_FOLDER))


def _worker_alive(app: web.Application) -> bool | None:
    """Whether the worker this process runs is alive; None when it runs none (the heartbeats tell)."""
    supervisor = app.get(SUPERVISOR)
    if supervisor is not None:
        return supervisor.alive
    worker = app.get(WORKER)
    return worker.alive if worker is not None else None


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
