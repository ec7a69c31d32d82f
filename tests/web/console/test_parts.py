"""The console's small parts on their own: passwords, sessions, charts, texts, formatting (throttling: test_throttle.py)."""

from __future__ import annotations

import base64
import hashlib

from argon2 import PasswordHasher

from refbot.models import Candidate, Kind
from refbot.texts import console_texts
from refbot.web.console import charts, formatting, passwords
from refbot.web.console.routes_login import safe_next
from refbot.web.console.sessions import SessionSigner


def test_passwords_are_salted_argon2id_hashes_at_owasp_cost() -> None:
    first, second = passwords.hash_password("kata-sandi-rahasia"), passwords.hash_password("kata-sandi-rahasia")
    assert first != second and first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify_password("kata-sandi-rahasia", first)
    assert not passwords.verify_password("kata-sandi-rahasiA", first)
    assert not passwords.verify_password("anything", "plain-text-not-a-hash")
    assert not passwords.verify_password("anything", "$argon2id$v=19$m=19456,t=2,p=1$broken")
    assert not passwords.verify_password("anything", passwords.dummy_hash())
    assert not passwords.needs_rehash(first)


def test_older_hashes_still_verify_and_ask_to_be_replaced() -> None:
    # A hash written before Argon2 (scrypt, 16 MiB) and one at a cheaper Argon2 cost than today's.
    scrypt = "scrypt$16384$8$1$c2FsdC1zYWx0LXNhbHQtIQ==$" + _scrypt_key("kata-sandi-lama", b"salt-salt-salt-!")
    cheap = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("kata-sandi-lama")
    for stored in (scrypt, cheap):
        assert passwords.verify_password("kata-sandi-lama", stored)
        assert not passwords.verify_password("kata-sandi-baru", stored)
        assert passwords.needs_rehash(stored)


def _scrypt_key(password: str, salt: bytes) -> str:
    key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    return base64.b64encode(key).decode()


def test_password_rules() -> None:
    assert passwords.password_problem("pendek") and passwords.password_problem(" spasi-di-depan ")
    assert passwords.password_problem("cukup-panjang") is None


def test_session_cookies_are_signed_and_expire() -> None:
    now = [1_000_000.0]
    signer = SessionSigner("secret", lifetime=3600, clock=lambda: now[0])
    cookie = signer.issue(7, 2)
    session = signer.read(cookie)
    assert session is not None and (session.account_id, session.epoch) == (7, 2)
    assert SessionSigner("other secret", clock=lambda: now[0]).read(cookie) is None
    assert signer.read(cookie.replace(".", "x.", 1)) is None
    assert signer.read("") is None and signer.read("garbage") is None
    now[0] += 3601
    assert signer.read(cookie) is None


def test_csrf_tokens_and_signed_values_are_bound_to_what_they_sign() -> None:
    signer = SessionSigner("secret")
    token = signer.csrf_token("nonce-a")
    assert signer.csrf_ok("nonce-a", token)
    assert not signer.csrf_ok("nonce-b", token) and not signer.csrf_ok("", signer.csrf_token(""))
    assert signer.value_ok("value", signer.sign_value("value")) and not signer.value_ok("value2", signer.sign_value("value"))
    assert token != signer.sign_value("nonce-a")  # one key per purpose


def test_only_http_links_are_ever_links() -> None:
    assert formatting.safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for hostile in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "vbscript:x", "//evil", "http://"):
        assert formatting.safe_url(hostile) == ""
    assert formatting.doi_url('10.5555/x"><script>') == "https://doi.org/10.5555/x%22%3E%3Cscript%3E"
    evil = Candidate("catalog", "1", Kind.BOOK, "t", url="javascript:alert(1)")
    assert formatting.candidate_link(evil) == ""


def test_durations_read_like_a_person_would_say_them() -> None:
    texts = console_texts()
    assert formatting.duration(45, texts["id"]) == "45 dtk"
    assert formatting.duration(3 * 3600 + 5 * 60 + 7, texts["id"]) == "3 j 5 mnt"
    assert formatting.duration(2 * 86400 + 3600, texts["en"]) == "2 d 1 h"
    assert formatting.window_left(None, 0) is None
    assert formatting.window_left(1000.0, 1000.0 + 3600) == 23 * 3600


def test_sign_in_only_returns_to_console_pages() -> None:
    assert safe_next("/console/drafts/3?q=x") == "/console/drafts/3?q=x"
    for evil in ("https://evil.example/console/", "//evil.example", "/sandbox/", "/console\\@evil", "javascript:x", "",
                 "/console/\r\nSet-Cookie: a=b", "/console/\x00", "/console/\udcff", "/console/../sandbox/",
                 "/console/%2E%2E/verify/x"):
        assert safe_next(evil) == "/console/", evil
    assert safe_next("/console/search?q=kitáb ilmu") == "/console/search?q=kit%C3%A1b%20ilmu"


def test_chart_scales_are_round_and_columns_fit() -> None:
    assert [charts.nice_step(v) for v in (0, 0.5, 3, 9, 12, 37, 240, 1234)] == [1, 1, 1, 2, 5, 10, 50, 500]
    chart = charts.column_chart([("a", 3), ("b", 9), ("c", 0)], width=300, height=100)
    assert [g.value for g in chart.gridlines] == [0, 2, 4, 6, 8, 10]
    tallest = max(chart.columns, key=lambda c: c.height)
    assert tallest.label == "b" and 0 < tallest.height < 100 - charts.PAD_TOP - charts.PAD_BOTTOM + 0.01
    assert all(c.x + c.width <= 300 for c in chart.columns)
    segments = charts.share_bar([("unchanged", 3), ("edited", 1), ("rejected", 0)], width=400)
    assert [s.percent for s in segments] == [75.0, 25.0, 0.0] and segments[1].x == 300
    assert charts.share_bar([("unchanged", 0)])[0].width == 0
