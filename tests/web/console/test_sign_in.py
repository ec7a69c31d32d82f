"""Signing in under attack: parallel guesses, a reverse proxy in front, hostile ``next=`` values."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request

from refbot.errors import ConfigError
from refbot.web.addresses import client_address, trusted_networks
from refbot.web.console.sessions import SESSION_COOKIE
from tests.web.console.conftest import PASSWORD, ConsoleDesk, Librarian, running_console

WRONG = "salah-salah-salah"
PER_USER, PER_ADDRESS = 5, 20  # the console's limits (docs/console.md)


async def _failed_sign_ins(console: ConsoleDesk, username: str) -> int:
    return [e["kind"] for e in await console.store.events(f"account:{username}")].count("login_failed")


async def test_a_burst_of_parallel_guesses_checks_no_more_passwords_than_the_limit(console: ConsoleDesk) -> None:
    mallory = await console.librarian("dewi", login=False)
    csrf = (await mallory.get("/console/login")).csrf
    pages = await asyncio.gather(*(
        mallory.post("/console/login", {"username": "dewi", "password": WRONG}, csrf=csrf) for _ in range(30)
    ))
    statuses = sorted(p.status for p in pages)
    # Only as many passwords were checked as the limit allows; every other guess waited.
    assert statuses.count(401) == PER_USER, statuses
    assert statuses.count(429) == 30 - PER_USER, statuses
    assert await _failed_sign_ins(console, "dewi") == PER_USER
    # While Dewi's account is locked, even the right password does not get in.
    page = await mallory.post("/console/login", {"username": "dewi", "password": PASSWORD}, csrf=csrf)
    assert page.status == 429
    assert "Terlalu banyak percobaan" in page.text
    assert not mallory.cookie(SESSION_COOKIE)


async def test_right_password_in_the_middle_of_a_burst_keeps_the_count_honest(console: ConsoleDesk) -> None:
    # Dewi signs in while someone guesses in parallel: she counts as no failure, the guesses do.
    mallory = await console.librarian("dewi", login=False)
    csrf = (await mallory.get("/console/login")).csrf
    dewi = await console.librarian("dewi", login=False)
    dewi_csrf = (await dewi.get("/console/login")).csrf
    forms = [({"username": "dewi", "password": WRONG}, mallory, csrf)] * 3
    forms.insert(1, ({"username": "dewi", "password": PASSWORD}, dewi, dewi_csrf))
    pages = await asyncio.gather(*(who.post("/console/login", form, csrf=token) for form, who, token in forms))
    assert sorted(p.status for p in pages) == [303, 401, 401, 401]
    assert dewi.cookie(SESSION_COOKIE)


async def test_an_old_password_hash_is_upgraded_at_the_next_sign_in(console: ConsoleDesk) -> None:
    # Dewi's account was made when refbot hashed with scrypt; she signs in as always and stays signed in.
    await console.librarian("dewi", login=False)
    scrypt = "scrypt$16384$8$1$c2FsdC1zYWx0LXNhbHQtIQ==$" + _scrypt_key(PASSWORD, b"salt-salt-salt-!")
    await console.store.replace_password_hash("dewi", scrypt, actor="cli")
    dewi = await console.librarian("dewi", login=False)
    page = await dewi.login()
    assert page.status == 303 and dewi.cookie(SESSION_COOKIE)
    _, stored = await console.store.account_with_hash("dewi")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "password_rehashed" in [e["kind"] for e in await console.store.events("account:dewi")]
    # The same password still works against the new hash, and her session was not ended by the upgrade.
    assert (await dewi.get("/console/")).status == 200
    again = await console.librarian("dewi", login=False)
    assert (await again.login()).status == 303 and again.cookie(SESSION_COOKIE)


def _scrypt_key(password: str, salt: bytes) -> str:
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    return base64.b64encode(key).decode()


@pytest.fixture
async def proxied(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[ConsoleDesk]:
    """The console behind a reverse proxy on 127.0.0.1 (the tests' own address)."""
    async with running_console(tmp_path, catalog_dir, trusted_proxies=["127.0.0.1", "10.0.0.0/8"]) as found:
        yield found


async def _sign_in(person: Librarian, username: str, password: str, forwarded: str) -> int:
    form = await person.get("/console/login")
    page = await person.post("/console/login", {"username": username, "password": password}, csrf=form.csrf,
                             headers={"X-Forwarded-For": forwarded})
    return page.status


async def test_behind_the_proxy_each_librarian_is_throttled_by_their_own_address(proxied: ConsoleDesk) -> None:
    # Someone at 198.51.100.7 guesses passwords for many accounts, through the library's proxy.
    mallory = await proxied.librarian("dewi", login=False)
    for n in range(PER_ADDRESS):
        # The client may prepend anything; the proxy appends the address it really came from.
        assert await _sign_in(mallory, f"tebakan{n}", WRONG, f"203.0.113.{n}, 198.51.100.7") == 401
    assert await _sign_in(mallory, "budi", PASSWORD, "192.0.2.1, 198.51.100.7") == 429
    # Budi, at his own desk behind the same proxy, is not locked out by that.
    budi = await proxied.librarian("budi", login=False)
    assert await _sign_in(budi, "budi", PASSWORD, "198.51.100.8") == 303
    assert (await budi.get("/console/")).status == 200
    # Wrong passwords for Dewi's account lock Dewi's account, not Budi's.
    for _ in range(PER_USER):
        assert await _sign_in(mallory, "dewi", WRONG, "198.51.100.9") == 401
    assert await _sign_in(mallory, "dewi", PASSWORD, "198.51.100.10") == 429
    admin = await proxied.librarian("admin", login=False)
    assert await _sign_in(admin, "admin", PASSWORD, "198.51.100.11") == 303
    # The audit trail names where each attempt really came from.
    failed = [e for e in await proxied.store.events("account:tebakan0") if e["kind"] == "login_failed"]
    assert '"198.51.100.7"' in failed[0]["detail"]


async def test_a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(console: ConsoleDesk) -> None:
    # No proxy is trusted here: X-Forwarded-For is the client's own claim and is ignored.
    mallory = await console.librarian("dewi", login=False)
    for n in range(PER_ADDRESS):
        assert await _sign_in(mallory, f"tebakan{n}", WRONG, f"198.51.100.{n}") == 401
    assert await _sign_in(mallory, "budi", PASSWORD, "192.0.2.99") == 429


async def test_session_cookies_are_secure_when_the_trusted_proxy_says_https(proxied: ConsoleDesk) -> None:
    # The library's nginx ends TLS and says so; server.public_url was left empty.
    dewi = await proxied.librarian("dewi", login=False)
    csrf = (await dewi.get("/console/login")).csrf
    page = await dewi.post("/console/login", {"username": "dewi", "password": PASSWORD}, csrf=csrf,
                           headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
    assert page.status == 303 and "Secure" in " ".join(page.headers.getall("Set-Cookie", []))


async def test_a_client_that_is_not_a_trusted_proxy_cannot_claim_https(console: ConsoleDesk) -> None:
    budi = await console.librarian("budi", login=False)
    csrf = (await budi.get("/console/login")).csrf
    page = await budi.post("/console/login", {"username": "budi", "password": PASSWORD}, csrf=csrf,
                           headers={"X-Forwarded-Proto": "https"})
    assert page.status == 303 and "Secure" not in " ".join(page.headers.getall("Set-Cookie", []))


def test_forwarded_for_is_read_only_from_trusted_proxies() -> None:
    trusted = trusted_networks(["10.0.0.0/8", "::1"])

    def address(peer: str, *forwarded: str) -> str:
        headers = [("X-Forwarded-For", f) for f in forwarded]
        request = make_mocked_request("GET", "/", headers=headers, transport=_Transport(peer))
        return client_address(request, trusted)

    assert address("10.1.2.3", "198.51.100.7") == "198.51.100.7"
    assert address("10.1.2.3", "1.1.1.1, 198.51.100.7, 10.9.9.9") == "198.51.100.7"
    assert address("10.1.2.3", "1.1.1.1", "198.51.100.7") == "198.51.100.7"
    assert address("::1", "::ffff:198.51.100.7") == "198.51.100.7"
    assert address("10.1.2.3") == "10.1.2.3"
    assert address("10.1.2.3", "not-an-address") == "10.1.2.3"
    assert address("192.0.2.50", "198.51.100.7") == "192.0.2.50"
    assert client_address(make_mocked_request("GET", "/", headers=[("X-Forwarded-For", "198.51.100.7")],
                                              transport=_Transport("127.0.0.1")), ()) == "127.0.0.1"
    with pytest.raises(ConfigError, match=r"server\.trusted_proxies"):
        trusted_networks(["nginx.local"])


class _Transport:
    def __init__(self, peer: str) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: object = None) -> object:
        return (self.peer, 40000) if name == "peername" else default

    def is_closing(self) -> bool:
        return False


@pytest.mark.parametrize("evil", [
    "/console/\r\nSet-Cookie: refbot_console_session=x",
    "/console/drafts/1\nLocation: https://evil.example/",
    "/console/\x00",
    "/console/stats\r",
])
async def test_next_with_control_characters_goes_to_the_start_page(console: ConsoleDesk, evil: str) -> None:
    person = await console.librarian("dewi", login=False)
    form = await person.get("/console/login", next=evil)
    assert form.status == 200
    page = await person.post("/console/login", {"username": "dewi", "password": PASSWORD, "next": evil},
                             csrf=form.csrf)
    assert page.status == 303
    assert page.headers["Location"] == "/console/"
    assert "evil" not in page.headers.get("Set-Cookie", "")
    assert (await person.get("/console/")).status == 200


async def test_next_stays_a_same_site_path(console: ConsoleDesk) -> None:
    person = await console.librarian("dewi", login=False)
    for wanted, location in (("/console/search?q=literasi informasi", "/console/search?q=literasi%20informasi"),
                             ("/console/../sandbox/", "/console/"), ("/console/%2e%2e/sandbox/", "/console/")):
        form = await person.get("/console/login")
        page = await person.post("/console/login", {"username": "dewi", "password": PASSWORD, "next": wanted},
                                 csrf=form.csrf)
        assert page.status == 303
        assert page.headers["Location"] == location, wanted


