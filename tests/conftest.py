"""Shared fixtures: refbot running for real on loopback, with local stand-ins for WhatsApp and Crossref."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from refbot.config import Librarian, Secret, Secrets, Settings, load_settings
from refbot.intake.applier import waiting_in_journal
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.graph import create_graph_standin
from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, button_reply, encode, sign, text_message
from refbot.sandbox.postgres import free_port
from refbot.web.server import SERVICES, WORKER, create_app
from refbot.wiring import Services
from refbot.worker.loops import Worker

pytest_plugins = ["tests.postgres"]

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEMO_CATALOG = REPO / "refbot" / "data" / "demo_catalog.xml"

TOKEN = "test-token"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PHONE_NUMBER_ID = "100000000000009"
LIBRARIAN = "6281300000001"
LIBRARIAN_2 = "6281300000002"
PATRON = "6281200000001"


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when that folder is not beside the repo."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared real-data folder sits beside the repo in CI)")
    return path


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    """Run an aiohttp app on loopback; returns the runner and its base URL."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    assert server is not None and server.sockets
    bound = server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{bound}"


@pytest.fixture(scope="session")
def catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Whoosh catalog index built once from the bundled demo catalog."""
    from refbot.catalog.index import build_index

    index_dir = tmp_path_factory.mktemp("catalog")
    report = build_index([DEMO_CATALOG], index_dir)
    assert report.indexed >= 200
    return index_dir


def make_settings(tmp_path: Path, catalog_dir: Path, *, port: int, graph: str, crossref: str, **over: Any) -> Settings:
    """Settings for a test service on loopback, pointed at the given stand-ins."""
    base = load_settings(None, env={})
    settings = replace(
        base,
        server=replace(base.server, port=port),
        store=replace(base.store, path=str(tmp_path / "refbot.sqlite3")),
        catalog=replace(base.catalog, index_dir=str(catalog_dir)),
        crossref=replace(base.crossref, base_url=crossref, timeout=2.0),
        whatsapp=replace(over.pop("whatsapp", base.whatsapp), graph_api_base=graph, phone_number_id=PHONE_NUMBER_ID,
                         max_attempts=6),
        librarians=(Librarian("Dewi", LIBRARIAN), Librarian("Budi", LIBRARIAN_2)),
        search=replace(base.search, deadline=4.0),
        worker=replace(base.worker, poll_interval=0.05, mode="inline"),
        # These desks run on the wall clock: a librarian's draft must not wait for a morning digest because the
        # suite happens to run at night (tests/delivery/test_digest.py and test_digest_flow.py cover quiet nights).
        desk=replace(base.desk, hold_librarian_notices=False),
        secrets=Secrets(Secret(TOKEN), Secret(APP_SECRET), Secret(VERIFY_TOKEN)),
    )
    return replace(settings, **over)


@dataclass
class Desk:
    """A running refbot and its stand-ins, with the moves a patron and a librarian make."""

    url: str
    graph_url: str
    crossref_url: str
    services: Services
    http: aiohttp.ClientSession
    business: BusinessNumber
    running: Worker | None = None
    """The worker in the service's own process (``worker.mode: inline``)."""

    @property
    def worker(self) -> Worker:
        assert self.running is not None, "this desk runs no worker in its process"
        return self.running

    async def post_webhook(self, payload: dict[str, Any], *, secret: str = APP_SECRET) -> aiohttp.ClientResponse:
        body = encode(payload)
        headers = {SIGNATURE_HEADER: sign(body, secret), "Content-Type": "application/json"}
        async with self.http.post(f"{self.url}/webhook", data=body, headers=headers) as resp:
            await resp.read()
        if resp.status == 200 and self.services.settings.worker.mode == "inline":
            await self.webhooks_applied()
        return resp

    async def webhooks_applied(self, within: float = 10.0) -> None:
        """Wait until the worker has applied every webhook written down so far (as a patron would, a moment)."""
        async def none_waiting() -> bool:
            return await waiting_in_journal(self.services.journal) == 0

        await eventually(none_waiting, within=within, what="the webhook journal to be applied")

    async def post_webhook_only(self, sender: str, text: str) -> aiohttp.ClientResponse:
        """A patron's message posted without waiting for the worker to apply it."""
        body = encode(text_message(self.business, sender, text))
        headers = {SIGNATURE_HEADER: sign(body, APP_SECRET), "Content-Type": "application/json"}
        async with self.http.post(f"{self.url}/webhook", data=body, headers=headers) as resp:
            await resp.read()
        return resp

    async def patron_says(self, text: str, *, sender: str = PATRON, wamid: str = "") -> aiohttp.ClientResponse:
        return await self.post_webhook(text_message(self.business, sender, text, wamid=wamid))

    async def press(self, button_id: str, *, sender: str = LIBRARIAN) -> aiohttp.ClientResponse:
        return await self.post_webhook(button_reply(self.business, sender, button_id, button_id.split(":")[0],
                                                    context_id="wamid.draft"))

    async def sent_to(self, phone: str) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.graph_url}/_sent", params={"to": phone}) as resp:
            data = await resp.json()
        return list(data["messages"] if isinstance(data, dict) else data)

    async def crossref_control(self, **fault: Any) -> None:
        async with self.http.post(f"{self.crossref_url}/_control", json=fault) as resp:
            assert resp.status == 200, await resp.text()


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 15.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g}s waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_desk(tmp_path: Path, catalog_dir: Path, **over: Any) -> AsyncIterator[Desk]:
    """refbot on loopback with the Graph API and Crossref stand-ins on their own ports.

    Keyword arguments replace whole settings sections (``desk=DeskSettings(...)``).
    """
    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph_app = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=f"http://127.0.0.1:{port}/webhook")
    graph_runner, graph_url = await serve(graph_app)
    settings = make_settings(tmp_path, catalog_dir, port=port, graph=graph_url, crossref=crossref_url, **over)
    app = create_app(settings)
    runner, url = await serve(app, port)
    try:
        async with aiohttp.ClientSession() as http:
            yield Desk(url, graph_url, crossref_url, app[SERVICES], http, BusinessNumber(PHONE_NUMBER_ID), app.get(WORKER))
    finally:
        await graph_runner.cleanup()
        await runner.cleanup()
        await crossref_runner.cleanup()


@pytest.fixture
async def desk(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Desk]:
    """refbot on loopback with the Graph API and Crossref stand-ins on their own ports."""
    async with running_desk(tmp_path, catalog_dir) as running:
        yield running
