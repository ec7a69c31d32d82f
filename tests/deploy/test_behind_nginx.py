"""refbot behind the nginx example, both for real on loopback: what Meta and librarians reach, and who refbot
believes the client is.

The client talks from 127.0.0.7, nginx talks to refbot from 127.0.0.1. With nginx among
``server.trusted_proxies`` refbot sees the client's own address (and not one the client wrote
into X-Forwarded-For itself); without it, refbot sees nginx.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import yaml

from refbot.sandbox.payloads import SIGNATURE_HEADER, sign
from refbot.sandbox.postgres import free_port
from tests.deploy import nginx

pytestmark = pytest.mark.slow

APP_SECRET = "deploy-test-app-secret"
VERIFY_TOKEN = "deploy-test-verify-token"
CLIENT = "127.0.0.7"
DEADLINE = 60.0
_UNVERIFIED = ssl._create_unverified_context()  # the test's own self-signed certificate


@contextmanager
def running(args: list[str], log: Path, **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    """A process that is stopped (and waited for) however the test ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def refbot(folder: Path, port: int, https_port: int, trusted: list[str]) -> list[str]:
    config = {
        "server": {"host": "127.0.0.1", "port": port, "public_url": f"https://localhost:{https_port}",
                   "trusted_proxies": trusted},
        "store": {"path": str(folder / "state" / "refbot.sqlite3")},
        "catalog": {"index_dir": str(folder / "state" / "indexes")},
        "crossref": {"enabled": False},
        "whatsapp": {"graph_api_base": f"http://127.0.0.1:{free_port()}"},  # nobody there: nothing leaves
        "worker": {"mode": "inline"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return [sys.executable, "-m", "refbot.cli", "--config", str(path), "serve"]


@dataclass
class Desk:
    """refbot with the nginx example in front: nginx's HTTPS URL, refbot's own URL, refbot's log."""

    proxied: str
    direct: str
    log: Path


@contextmanager
def desk_behind_nginx(folder: Path, trusted: list[str]) -> Iterator[Desk]:
    """refbot and nginx running, both answering."""
    port, http_port, https_port = free_port(), free_port(), free_port()
    env = {"REFBOT_WHATSAPP_TOKEN": "deploy-test-token", "REFBOT_WHATSAPP_APP_SECRET": APP_SECRET,
           "REFBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "REFBOT_CONSOLE_SECRET": "deploy-test-console-secret-0123456789",
           "PATH": "/usr/bin:/bin"}
    config = nginx.main_config(folder, nginx.site(folder, http_port=http_port, https_port=https_port, refbot_port=port))
    desk = Desk(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{port}", folder / "refbot.log")
    with running(refbot(folder, port, https_port, trusted), desk.log, env=env, cwd=folder) as server, \
            running(nginx.command(config, "-g", "daemon off;"), folder / "nginx.log") as proxy:
        wait_until_up(f"{desk.direct}/healthz", server, desk.log)
        wait_until_up(f"{desk.proxied}/healthz", proxy, folder / "nginx.log")
        yield desk


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` until it answers at all (a failing health check is an answer)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(url, timeout=5, context=_UNVERIFIED):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {DEADLINE:.0f} s:\n{log.read_text(errors='replace')}")


async def wait_for_line(log: Path, pattern: str) -> str:
    """The first line of ``log`` matching ``pattern``, waiting for it to be written."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = re.search(pattern, _text(log))
        if found:
            return found.group(0)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no line matching {pattern!r} in:\n{_text(log)}")


def _text(log: Path) -> str:
    return log.read_text(errors="replace")


def client() -> aiohttp.ClientSession:
    """A client on its own loopback address, trusting the test's self-signed certificate."""
    # unsafe: keep cookies from an address (127.0.0.1) as a browser does from a host name
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(CLIENT, 0), ssl=False),
                                 cookie_jar=aiohttp.CookieJar(unsafe=True))


async def failed_sign_in(desk: Desk, username: str, forwarded_for: str | None = None) -> str:
    """Try to sign in to the console with a wrong password; returns the cookie the form set."""
    async with client() as session:
        async with session.get(f"{desk.proxied}/console/login") as page:
            assert page.status == 200, await page.text()
            cookie = page.headers.get("Set-Cookie", "")
            csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert csrf is not None
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        form = {"username": username, "password": "not the password", "csrf": csrf.group(1)}
        async with session.post(f"{desk.proxied}/console/login", data=form, headers=headers,
                                allow_redirects=False) as response:
            assert response.status == 401, await response.text()
    return cookie


async def test_meta_and_the_health_check_get_through_with_bodies_intact(tmp_path: Path) -> None:
    with desk_behind_nginx(tmp_path, ["127.0.0.1/32"]) as desk:
        async with client() as session:
            async with session.get(f"{desk.direct}/healthz") as own, session.get(f"{desk.proxied}/healthz") as proxied:
                assert proxied.status == own.status
                assert (await proxied.json())["status"] == (await own.json())["status"]
            challenge = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
            async with session.get(f"{desk.proxied}/webhook", params=challenge) as response:
                assert response.status == 200 and await response.text() == "1158201444"
            # A 4 MB batch: over nginx's default 1 MB, within Meta's documented 3 MB and refbot's 8 MiB.
            body = json.dumps({"object": "whatsapp_business_account", "entry": [], "padding": "x" * 4_000_000}).encode()
            signed = {SIGNATURE_HEADER: sign(body, APP_SECRET), "Content-Type": "application/json"}
            async with session.post(f"{desk.proxied}/webhook", data=io.BytesIO(body), headers=signed) as response:
                assert response.status == 200, await response.text()
            forged = {SIGNATURE_HEADER: sign(body + b" ", APP_SECRET), "Content-Type": "application/json"}
            async with session.post(f"{desk.proxied}/webhook", data=io.BytesIO(body), headers=forged) as response:
                assert response.status == 401
            async with session.get(f"{desk.proxied}/sandbox/") as response:
                assert response.status == 404, "the sandbox must not be reachable through the proxy"


async def test_behind_a_trusted_nginx_refbot_sees_the_client_and_marks_cookies_secure(tmp_path: Path) -> None:
    with desk_behind_nginx(tmp_path, ["127.0.0.1/32"]) as desk:
        cookie = await failed_sign_in(desk, "siti")
        await wait_for_line(desk.log, rf"failed sign-in for 'siti' from {re.escape(CLIENT)}\b")
        assert "; secure" in cookie.lower(), cookie
        # A client cannot pass itself off as another address: nginx adds the real one after its claim.
        await failed_sign_in(desk, "joko", forwarded_for="203.0.113.9")
        line = await wait_for_line(desk.log, r"failed sign-in for 'joko' from \S+")
        assert line.endswith(f"from {CLIENT}"), line


async def test_behind_an_untrusted_proxy_refbot_counts_the_proxy_not_what_it_forwards(tmp_path: Path) -> None:
    with desk_behind_nginx(tmp_path, []) as desk:
        await failed_sign_in(desk, "siti")
        line = await wait_for_line(desk.log, r"failed sign-in for 'siti' from \S+")
        assert line.endswith("from 127.0.0.1"), line
