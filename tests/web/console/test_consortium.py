"""A consortium's consoles: each library's console at /console/<id> over its own store only,
sessions that open no other library's console, and consortium admins who see the whole."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import io
import random
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from yarl import URL

from refbot.cli import main
from refbot.config import load_settings
from refbot.decisions import drafts
from refbot.models import DraftStatus
from refbot.store import Store
from refbot.texts import Texts
from refbot.web.console import accounts, consortium, draft_url
from refbot.web.console.formatting import duration
from refbot.web.console.routes_consortium import PASS_COOKIE
from refbot.web.console.sessions import SESSION_COOKIE, SessionSigner
from refbot.web.keys import DEPLOYMENT
from refbot.web.server import create_app
from refbot.wiring import Deployment
from tests.conftest import APP_SECRET, TOKEN, VERIFY_TOKEN, free_port, serve
from tests.web.console import seed
from tests.web.console.conftest import CONSOLE_SECRET, PASSWORD, SCREENSHOTS, ConsoleDesk, Librarian, Page

UNDIP, UNNES = "UPT Perpustakaan UNDIP", "UPT Perpustakaan UNNES"
CONSORTIUM_PASSWORD = "sandi-konsorsium-jateng"


class Person(Librarian):
    """Someone at one library's console (``prefix`` ``/console/<id>``)."""

    def __init__(self, base: str, username: str, prefix: str) -> None:
        super().__init__(base, username)
        self.prefix = prefix

    async def login(self, password: str = PASSWORD) -> Page:
        form = await self.get(f"{self.prefix}/login")
        return await self.post(f"{self.prefix}/login", {"username": self.username, "password": password},
                               csrf=form.csrf)

    def cookie(self, name: str) -> str:
        cookies = self.http.cookie_jar.filter_cookies(URL(f"{self.base}{self.prefix}/"))
        return cookies[name].value if name in cookies else ""


@dataclass
class Consortium:
    url: str
    deployment: Deployment
    questions: dict[str, list[str]]
    """Each library's seeded questions, as the patrons wrote them."""

    def __post_init__(self) -> None:
        self._people: list[Person] = []

    def store(self, library: str) -> Store:
        return self.deployment.libraries[library].store

    async def person(self, username: str, library: str, *, password: str = PASSWORD, login: bool = True) -> Person:
        someone = Person(self.url, username, f"/console/{library}")
        self._people.append(someone)
        if login:
            page = await someone.login(password)
            assert page.status == 303, page.text
        return someone


def _question(n: int) -> str:
    return seed.FRAMES[(n * 7) % len(seed.FRAMES)].format(t=seed.TOPICS[n % len(seed.TOPICS)])


async def _answered(store: Store, n: int, *, minutes: float, edit: bool = False, reject: bool = False) -> None:
    """A question asked two hours ago, decided a minute later, its answer out ``minutes`` after the question."""
    asked = time.time() - 7200
    real_clock = store.clock
    try:
        store.clock = lambda: asked  # type: ignore[method-assign]
        draft_id = await seed.ask(store, random.Random(n), n)
        store.clock = lambda: asked + 60  # type: ignore[method-assign]
        if reject:
            await drafts.reject(store, draft_id, "console:sari", reply="Baik kak, saya hubungi langsung ya.")
        else:
            if edit:
                await drafts.edit(store, draft_id, "console:sari", remove=[1])
            await drafts.approve(store, draft_id, "console:sari")
        store.clock = lambda: asked + minutes * 60  # type: ignore[method-assign]
        for row in await store.claim_outbox(20):
            await store.mark_sent(row, f"wamid.out.{row.id}")
    finally:
        store.clock = real_clock  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def two_libraries(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Consortium]:
    """UNDIP and UNNES in one deployment, SQLite stores in ``tmp_path``, each seeded with drafts.

    UNDIP: two waiting, one sent unchanged after 10 minutes, one rejected. UNNES: one waiting,
    one sent unchanged after 30 minutes, one edited and sent after 50. Both have a draft #1.
    Accounts: at UNDIP dewi (id 1) and kepala (a local admin); at UNNES sari (id 1) and another
    dewi (id 2, another password); and the consortium admin ``konsorsium`` at both.
    """
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "server": {"port": port},
        "store": {"path": str(tmp_path / "refbot.sqlite3")},
        "crossref": {"enabled": False},
        "catalog": {"index_dir": str(catalog_dir)},
        "worker": {"mode": "none"},
        "libraries": [
            {"id": "undip", "name": UNDIP, "whatsapp": {"phone_number_id": "111000000000001"}},
            {"id": "unnes", "name": UNNES, "whatsapp": {"phone_number_id": "222000000000002"}},
        ],
    }), encoding="utf-8")
    settings = load_settings(config, env={
        "REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": APP_SECRET,
        "REFBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "REFBOT_CONSOLE_SECRET": CONSOLE_SECRET,
    })
    app = create_app(settings, run_worker=False)
    runner, url = await serve(app, port)
    try:
        deployment = app[DEPLOYMENT]
        undip, unnes = deployment.libraries["undip"].store, deployment.libraries["unnes"].store
        await accounts.add_account(undip, "dewi", PASSWORD, name="Dewi UNDIP")
        await accounts.add_account(unnes, "sari", PASSWORD, name="Sari UNNES")
        await accounts.add_account(unnes, "dewi", "sandi-dewi-unnes", name="Dewi UNNES")
        await accounts.add_account(undip, "kepala", PASSWORD, name="Kepala UNDIP", role="admin")
        await consortium.add_account({"undip": undip, "unnes": unnes}, "konsorsium", CONSORTIUM_PASSWORD,
                                     name="Admin Konsorsium", role="admin", actor="test")
        rng = random.Random(5)
        await seed.ask(undip, rng, 0)
        await seed.ask(undip, rng, 1)
        await _answered(undip, 2, minutes=10)
        await _answered(undip, 3, minutes=0, reject=True)
        await seed.ask(unnes, rng, 7)
        await _answered(unnes, 8, minutes=30)
        await _answered(unnes, 9, minutes=50, edit=True)
        found = Consortium(url, deployment, {"undip": [_question(n) for n in range(4)],
                                             "unnes": [_question(n) for n in (7, 8, 9)]})
        try:
            yield found
        finally:
            for person in found._people:
                await person.close()
    finally:
        await runner.cleanup()


@pytest.fixture
async def libraries(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Consortium]:
    async with two_libraries(tmp_path, catalog_dir) as found:
        yield found


def _shows(page: Page, question: str) -> bool:
    return html.escape(question, quote=False) in page.text


async def test_each_library_has_its_own_console_with_only_its_own_drafts(libraries: Consortium) -> None:
    undip, unnes = libraries.questions["undip"], libraries.questions["unnes"]
    dewi = await libraries.person("dewi", "undip")
    sari = await libraries.person("sari", "unnes")

    queue = await dewi.get("/console/undip/")
    assert queue.status == 200 and UNDIP in queue.text and UNNES not in queue.text
    assert all(_shows(queue, q) for q in undip) and not any(_shows(queue, q) for q in unnes)
    queue = await sari.get("/console/unnes/")
    assert queue.status == 200 and UNNES in queue.text and UNDIP not in queue.text
    assert all(_shows(queue, q) for q in unnes) and not any(_shows(queue, q) for q in undip)

    # Draft #1 is in both stores: each console opens its own.
    assert _shows(await dewi.get("/console/undip/drafts/1"), undip[0])
    page = await sari.get("/console/unnes/drafts/1")
    assert _shows(page, unnes[0]) and not _shows(page, undip[0])
    # Links, forms and the stylesheet stay inside the library's console.
    assert 'action="/console/unnes/drafts/1/approve"' in page.text
    assert 'href="/console/unnes/static/console.css"' in page.text
    assert all(p.startswith(("/console/unnes/", "/console/?")) or p == "/console/"
               for p in re.findall(r'(?:href|action)="(/[^"]*)"', page.text))

    # Statistics and the CSV count the library's own questions only.
    stats = await sari.get("/console/unnes/stats", days="7")
    assert re.search(r'<span class="big">3</span><span>pertanyaan</span>', stats.text)
    csv_rows = (await sari.get("/console/unnes/stats.csv", days="7")).text.strip().splitlines()
    assert len(csv_rows) == 1 + 3
    # Accounts and audit trail are the library's own too.
    kepala = await libraries.person("kepala", "undip")
    accounts_page = await kepala.get("/console/undip/admin/accounts")
    assert ">kepala<" in accounts_page.text and ">sari<" not in accounts_page.text

    # /console lists every library, with a link to each console.
    listing = await dewi.get("/console/")
    assert listing.status == 200
    assert 'href="/console/undip/"' in listing.text and 'href="/console/unnes/"' in listing.text
    assert UNDIP in listing.text and UNNES in listing.text
    assert not any(_shows(listing, q) for q in undip + unnes)
    assert (await dewi.get("/console")).headers["Location"] == "/console/"
    assert (await dewi.get("/console/unnes")).headers["Location"] == "/console/unnes/"
    # The old single-library paths are not a way around the library's console.
    assert (await dewi.get("/console/drafts/1")).status == 404


async def test_a_librarian_cannot_open_or_act_on_another_librarys_drafts(libraries: Consortium) -> None:
    dewi = await libraries.person("dewi", "undip")  # account id 1 at UNDIP; at UNNES id 1 is sari
    page = await dewi.get("/console/undip/drafts/1")
    token, cookie = page.csrf, dewi.cookie(SESSION_COOKIE)
    assert cookie and page.status == 200

    # Guessing the other library's URLs: the browser does not even send the cookie there.
    guessed = await dewi.get("/console/unnes/drafts/1")
    assert guessed.status == 303 and guessed.headers["Location"].startswith("/console/unnes/login?next=")
    login = await dewi.follow("/console/unnes/drafts/1")
    assert "/console/unnes/login" in login.url and not _shows(login, libraries.questions["unnes"][0])

    # Sending UNDIP's cookie to UNNES on purpose: another library's keys, so it opens nothing.
    thief = await libraries.person("dewi", "unnes", login=False)
    thief.http.cookie_jar.update_cookies({SESSION_COOKIE: cookie})
    for path in ("/console/unnes/", "/console/unnes/drafts/1", "/console/unnes/drafts/1/history",
                 "/console/unnes/stats", "/console/unnes/stats.csv", "/console/unnes/admin/accounts"):
        page = await thief.get(path)
        assert page.status == 303 and page.headers["Location"].startswith("/console/unnes/login"), path
    for action in ("approve", "reject", "remove", "take"):
        page = await thief.post(f"/console/unnes/drafts/1/{action}", {"version": "1", "position": "1"}, csrf=token)
        assert page.status == 403, action
    page = await dewi.post("/console/unnes/drafts/1/approve", {"version": "1"}, csrf=token)
    assert page.status == 403
    draft = await libraries.store("unnes").get_draft(1)
    assert draft is not None and draft.status is DraftStatus.PENDING and draft.version == 1
    # Nor does UNDIP's password open UNNES's dewi, a different person with the same username.
    assert (await (await libraries.person("dewi", "unnes", login=False)).login()).status == 401

    # The control: a cookie made with UNNES's own key for its account 1 does open UNNES.
    made = SessionSigner(CONSOLE_SECRET, scope="library:unnes").issue(1, 0)
    insider = await libraries.person("sari", "unnes", login=False)
    insider.http.cookie_jar.update_cookies({SESSION_COOKIE: made})
    assert (await insider.get("/console/unnes/drafts/1")).status == 200
    # ... and UNDIP's console is where dewi's cookie still works.
    assert (await dewi.get("/console/undip/")).status == 200


def _figures(page: Page) -> dict[str, list[str]]:
    """The consortium table: library (or the total) → questions, unchanged, edited, rejected, median, waiting."""
    rows = re.findall(r'<tr(?: class="total")?>\s*<td>((?:(?!</td>).)*)</td>((?:\s*<td class="num">[^<]*</td>)+)', page.text,
                      re.S)
    return {re.sub(r"<[^>]+>", "", name).strip(): re.findall(r'<td class="num">(.*?)</td>', cells)
            for name, cells in rows}


async def test_a_consortium_admin_signs_in_anywhere_and_sees_the_consortiums_figures(libraries: Consortium) -> None:
    t = Texts("id")
    listing = await (await libraries.person("dewi", "undip")).get("/console/")
    assert t("consortium_locked") in listing.text and not _figures(listing)

    admin = await libraries.person("konsorsium", "undip", password=CONSORTIUM_PASSWORD)
    assert admin.cookie(PASS_COOKIE).startswith("undip:")
    assert (await admin.get("/console/undip/")).status == 200
    page = await admin.get("/console/", days="7")
    assert page.status == 200 and t("consortium_locked") not in page.text
    figures = _figures(page)
    # questions, sent unchanged, edited, rejected, median question → list sent, waiting
    assert figures[UNDIP] == ["4", "1", "0", "1", duration(600, t), "2"]
    assert figures[UNNES] == ["3", "1", "1", "0", duration(2400, t), "1"]
    # The total adds the counts up and takes the median over every answer (10, 30, 50 minutes), not of medians.
    assert figures[t("consortium_total")] == ["7", "2", "1", "1", duration(1800, t), "3"]
    assert re.search(r'<span class="big">7</span><span>pertanyaan</span>', page.text)

    # One password for every library's console; UNNES's accounts page knows the consortium admin.
    elsewhere = await libraries.person("konsorsium", "unnes", password=CONSORTIUM_PASSWORD)
    accounts_page = await elsewhere.get("/console/unnes/admin/accounts")
    assert t("role_consortium") in accounts_page.text

    # A library's own admin is not a consortium admin, and a pass cannot be moved to another library.
    local = await libraries.person("kepala", "undip")
    assert not local.cookie(PASS_COOKIE) and t("consortium_locked") in (await local.get("/console/")).text
    moved = await libraries.person("x", "unnes", login=False)
    moved.http.cookie_jar.update_cookies({PASS_COOKIE: "unnes:" + admin.cookie(PASS_COOKIE).partition(":")[2]})
    assert not _figures(await moved.get("/console/"))
    # Nor is a pass a session: it opens no library's console.
    moved.http.cookie_jar.update_cookies({SESSION_COOKIE: admin.cookie(PASS_COOKIE).partition(":")[2]})
    assert (await moved.get("/console/undip/")).status == 303

    # Signing out where the pass came from ends it.
    await admin.post("/console/undip/logout", {}, csrf=(await admin.get("/console/undip/")).csrf)
    assert not _figures(await admin.get("/console/"))

    # A library has the last word: a password changed for UNNES alone ends the consortium admin's figures.
    admin = await libraries.person("konsorsium", "undip", password=CONSORTIUM_PASSWORD)
    assert _figures(await admin.get("/console/"))
    await accounts.set_password(libraries.store("unnes"), "konsorsium", "sandi-khusus-unnes", actor="test")
    assert not _figures(await admin.get("/console/"))


async def test_a_consortium_admin_with_an_old_hash_stays_one_account_after_the_upgrade(libraries: Consortium) -> None:
    # The consortium account was made when refbot hashed with scrypt: the same old hash in both stores.
    old = "scrypt$16384$8$1$c2FsdC1zYWx0LXNhbHQtIQ==$" + base64.b64encode(hashlib.scrypt(
        CONSORTIUM_PASSWORD.encode(), salt=b"salt-salt-salt-!", n=2**14, r=8, p=1, maxmem=64 * 2**20, dklen=32)).decode()
    for library in ("undip", "unnes"):
        await libraries.store(library).replace_password_hash("konsorsium", old, actor="test")
    # A library's own dewi at UNNES keeps her own hash whatever happens at UNDIP.
    _, dewi_unnes = await libraries.store("unnes").account_with_hash("dewi")

    admin = await libraries.person("konsorsium", "undip", password=CONSORTIUM_PASSWORD)
    hashes = {(await libraries.store(lib).account_with_hash("konsorsium"))[1] for lib in ("undip", "unnes")}
    assert len(hashes) == 1 and hashes.pop().startswith("$argon2id$")
    # Still the consortium admin: the figures of every library stay open, from either console.
    assert _figures(await admin.get("/console/"))
    assert admin.cookie(PASS_COOKIE).startswith("undip:")
    assert (await libraries.store("unnes").account_with_hash("dewi"))[1] == dewi_unnes


async def test_in_a_browser_a_session_stays_in_its_librarys_console(libraries: Consortium, browser: Any) -> None:
    """Chromium keeps each library's cookie on its own path; the consortium admin's pass opens /console."""
    page = await (await browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(f"{libraries.url}/console/undip/")
    await page.get_by_label("Nama pengguna").fill("konsorsium")
    await page.get_by_label("Kata sandi").fill(CONSORTIUM_PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_url("**/console/undip/")
    assert UNDIP in await page.locator("header").inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "consortium-queue.png"))
    await page.get_by_role("link", name="Semua perpustakaan").click()
    await page.wait_for_url("**/console/")
    assert "Angka konsorsium" in await page.locator("main").inner_text()
    await page.screenshot(path=str(SCREENSHOTS / "consortium.png"), full_page=True)
    # UNNES's console asks for its own sign-in: UNDIP's session cookie is not sent there.
    await page.get_by_role("link", name="/console/unnes/").click()
    await page.wait_for_url("**/console/unnes/login**")


async def test_the_single_library_console_stays_at_console(console: ConsoleDesk) -> None:
    t = Texts("id")
    dewi = await console.librarian("dewi")
    page = await dewi.get("/console/")
    assert page.status == 200 and t("all_libraries") not in page.text and 'class="library"' not in page.text
    assert 'href="/console/static/console.css"' in page.text
    assert draft_url(console.desk.services.settings, 12).endswith("/console/drafts/12")


def test_draft_links_name_the_library(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"libraries": [
        {"id": "undip", "whatsapp": {"phone_number_id": "1"}}, {"id": "unnes", "whatsapp": {"phone_number_id": "2"}},
    ]}), encoding="utf-8")
    settings = load_settings(config, env={})
    assert draft_url(settings.library("unnes"), 5).endswith("/console/unnes/drafts/5")


def test_librarian_consortium_makes_one_account_in_every_librarys_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"store": {"path": str(tmp_path / "refbot.sqlite3")}, "libraries": [
        {"id": "undip", "whatsapp": {"phone_number_id": "1"}}, {"id": "unnes", "whatsapp": {"phone_number_id": "2"}},
    ]}), encoding="utf-8")

    def run(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(["librarian", *args, "--config", str(config)])

    assert run("add", "kepala", "--admin", "--consortium", stdin=f"{CONSORTIUM_PASSWORD}\n") == 0
    assert "Added admin 'kepala' at undip, unnes" in capsys.readouterr().out
    first = _accounts(config, "kepala")
    assert set(first) == {"undip", "unnes"} and len({h for _a, h in first.values()}) == 1
    assert all(account.is_admin for account, _h in first.values())

    # One library's account: --library names it; without it the command says which there are.
    assert run("add", "dewi", stdin=f"{PASSWORD}\n") == 2
    assert "undip, unnes" in capsys.readouterr().err
    assert run("add", "dewi", "--library", "unnes", stdin=f"{PASSWORD}\n") == 0
    assert set(_accounts(config, "dewi")) == {"unnes"}
    assert run("add", "dewi", "--consortium", stdin=f"{PASSWORD}\n") == 1  # taken at unnes: nothing made at undip
    assert "already an account 'dewi' at unnes" in capsys.readouterr().err
    assert set(_accounts(config, "dewi")) == {"unnes"}
    assert run("add", "budi", "--consortium", "--library", "undip", stdin=f"{PASSWORD}\n") == 2

    # A new password for every library keeps the consortium admin one; removal takes them from every store.
    assert run("password", "kepala", "--consortium", stdin="sandi-baru-konsorsium\n") == 0
    again = _accounts(config, "kepala")
    assert len({h for _a, h in again.values()}) == 1 and again["undip"][1] != first["undip"][1]
    assert run("remove", "kepala", "--consortium") == 0
    assert "Removed 'kepala' from undip, unnes" in capsys.readouterr().out
    assert _accounts(config, "kepala") == {}


def _accounts(config: Path, username: str) -> dict[str, tuple[accounts.Account, str]]:
    """Library id → the account and its password hash, where the library's store has one."""
    settings = load_settings(config, env={})

    async def read() -> dict[str, tuple[accounts.Account, str]]:
        found = {}
        for library in settings.each_library():
            store = await Store.open(library.settings.store_location)
            try:
                if (row := await store.account_with_hash(username)) is not None:
                    found[library.id] = row
            finally:
                await store.close()
        return found

    return asyncio.run(read())
