"""Fixtures for the librarian console: refbot on loopback with accounts, and a signed-in HTTP client."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from refbot.catalog.search import CatalogIndex, CatalogSource
from refbot.config import Secret, Secrets
from refbot.models import Draft
from refbot.ports import Source
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.graph import create_graph_standin
from refbot.sandbox.payloads import BusinessNumber
from refbot.web.console import accounts
from refbot.web.server import SERVICES, WORKER, create_app
from tests.conftest import (
    APP_SECRET,
    PATRON,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    Desk,
    eventually,
    free_port,
    make_settings,
    serve,
)
from tests.web.console.browser import CHROMIUM_ARGS, chromium_path

CONSOLE_SECRET = "test-console-secret-0123456789"
PASSWORD = "kata-sandi-rahasia"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Page:
    """One answer from the console."""

    status: int
    text: str
    url: str
    headers: Any

    @property
    def csrf(self) -> str:
        found = _CSRF.search(self.text)
        assert found, f"no CSRF token on {self.url}"
        return html.unescape(found[1])


class Librarian:
    """An HTTP client with its own cookies, acting as one person at the console."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.username = username
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, **params: str) -> Page:
        async with self.http.get(self.base + path, params=params, allow_redirects=False) as resp:
            return Page(resp.status, await resp.text(), str(resp.url), resp.headers)

    async def follow(self, path: str) -> Page:
        async with self.http.get(self.base + path) as resp:
            return Page(resp.status, await resp.text(), str(resp.url), resp.headers)

    async def post(self, path: str, data: dict[str, Any], *, csrf: str | None = None, follow: bool = False,
                   headers: dict[str, str] | None = None) -> Page:
        form = dict(data)
        if csrf is not None:
            form["csrf"] = csrf
        async with self.http.post(self.base + path, data=form, allow_redirects=follow, headers=headers) as resp:
            return Page(resp.status, await resp.text(), str(resp.url), resp.headers)

    async def login(self, password: str = PASSWORD) -> Page:
        form = await self.get("/console/login")
        return await self.post("/console/login", {"username": self.username, "password": password}, csrf=form.csrf)

    def cookie(self, name: str) -> str:
        cookies = self.http.cookie_jar.filter_cookies(URL(self.base + "/console/"))
        return cookies[name].value if name in cookies else ""


@dataclass
class ConsoleDesk:
    """refbot with its console, the stand-ins, and three people who can sign in."""

    desk: Desk
    url: str

    @property
    def store(self) -> Any:
        return self.desk.services.store

    async def librarian(self, username: str = "dewi", *, login: bool = True) -> Librarian:
        person = Librarian(self.url, username)
        self._people.append(person)
        if login:
            page = await person.login()
            assert page.status == 303, page.text
        return person

    async def question(self, text: str, *, sender: str = PATRON) -> Draft:
        """A patron asks; wait for the draft and return it."""
        before = set(await self.store.draft_ids())
        await self.desk.patron_says(text, sender=sender)

        async def new_draft() -> int | None:
            ids = set(await self.store.draft_ids()) - before
            return min(ids) if ids else None

        draft_id = await eventually(new_draft, what="a new draft")
        draft = await self.store.get_draft(draft_id)
        assert draft is not None
        return draft

    def __post_init__(self) -> None:
        self._people: list[Librarian] = []


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Debian Chromium driven by Playwright, for one test (skipped when either is missing)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@contextlib.asynccontextmanager
async def running_console(
    tmp_path: Path, catalog_dir: Path, *, sources: Sequence[Source] | None = None,
    trusted_proxies: Sequence[str] = (),
) -> AsyncIterator[ConsoleDesk]:
    """refbot on loopback with REFBOT_CONSOLE_SECRET set and accounts dewi, budi (librarians) and admin.

    ``trusted_proxies`` (``server.trusted_proxies``): e.g. ``["127.0.0.1"]`` to play the reverse
    proxy, the test's own requests then naming the client in ``X-Forwarded-For``.
    """
    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph_app = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=f"http://127.0.0.1:{port}/webhook")
    graph_runner, graph_url = await serve(graph_app)
    settings = make_settings(tmp_path, catalog_dir, port=port, graph=graph_url, crossref=crossref_url)
    secrets = Secrets(Secret(TOKEN), Secret(APP_SECRET), Secret(VERIFY_TOKEN), Secret(CONSOLE_SECRET))
    settings = replace(settings, secrets=secrets,
                       server=replace(settings.server, trusted_proxies=tuple(trusted_proxies)))
    app = create_app(settings, sources=sources)
    runner, url = await serve(app, port)
    store = app[SERVICES].store
    await accounts.add_account(store, "dewi", PASSWORD, name="Dewi")
    await accounts.add_account(store, "budi", PASSWORD, name="Budi")
    await accounts.add_account(store, "admin", PASSWORD, name="Admin Perpustakaan", role="admin")
    try:
        async with aiohttp.ClientSession() as http:
            desk = Desk(url, graph_url, crossref_url, app[SERVICES], http, BusinessNumber(PHONE_NUMBER_ID), app.get(WORKER))
            found = ConsoleDesk(desk, url)
            try:
                yield found
            finally:
                for person in found._people:
                    await person.close()
    finally:
        await runner.cleanup()
        await graph_runner.cleanup()
        await crossref_runner.cleanup()


@pytest.fixture
async def console(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[ConsoleDesk]:
    """refbot with its console on loopback, the demo catalog and the Crossref stand-in as sources."""
    async with running_console(tmp_path, catalog_dir) as found:
        yield found


HOSTILE_MARC = """<?xml version='1.0' encoding='utf-8'?>
<collection xmlns="http://www.loc.gov/MARC21/slim">
  <record>
    <leader>00000nam a2200000 i 4500</leader>
    <controlfield tag="001">evil0001</controlfield>
    <controlfield tag="008">261120s2021    io            000 0 ind d</controlfield>
    <datafield ind1="0" ind2=" " tag="100"><subfield code="a">&lt;img src=x onerror=alert(1)&gt;Penulis,</subfield></datafield>
    <datafield ind1="1" ind2="0" tag="245"><subfield code="a">&lt;script&gt;alert("marc")&lt;/script&gt;Literasi &lt;b&gt;informasi&lt;/b&gt; berbahaya /</subfield></datafield>
    <datafield ind1=" " ind2="0" tag="650"><subfield code="a">&lt;iframe src="javascript:alert(2)"&gt;&lt;/iframe&gt;Literasi informasi</subfield></datafield>
    <datafield ind1="4" ind2="0" tag="856"><subfield code="u">javascript:alert(document.cookie)</subfield></datafield>
  </record>
</collection>
"""


@pytest.fixture(scope="session")
def hostile_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog index built from a MARCXML export whose fields carry HTML and a javascript: link."""
    from refbot.catalog.index import build_index

    folder = tmp_path_factory.mktemp("hostile")
    export = folder / "hostile.xml"
    export.write_text(HOSTILE_MARC, encoding="utf-8")
    report = build_index([export], folder / "index", max_reject_ratio=1.0)
    assert report.indexed == 1
    return folder / "index"


@pytest.fixture
async def hostile_console(tmp_path: Path, catalog_dir: Path, hostile_catalog: Path) -> AsyncIterator[ConsoleDesk]:
    """The console with the hostile catalog as its only source."""
    source = CatalogSource(CatalogIndex(hostile_catalog), timeout=3.0)
    async with running_console(tmp_path, catalog_dir, sources=[source]) as found:
        yield found
