"""Signing in and out: throttled, audited, with a CSRF token even on the login form."""

from __future__ import annotations

import logging
import math
import secrets
import urllib.parse

from aiohttp import web

from refbot.web.console import accounts
from refbot.web.console.routes_consortium import PASS_COOKIE, hand_pass
from refbot.web.console.sessions import LOGIN_COOKIE, SESSION_COOKIE
from refbot.web.console.state import (
    LOGIN_CSRF,
    PREFIX,
    console,
    current_account,
    deployment,
    redirect,
    remote,
    render,
    services,
)

log = logging.getLogger(__name__)


async def login_page(request: web.Request) -> web.Response:
    """The sign-in form."""
    return _form(request, status=200, next_path=safe_next(request.query.get("next", ""), console(request).prefix))


async def login(request: web.Request) -> web.Response:
    """Check the password (unless this username or address has failed too often) and start a session."""
    state = console(request)
    assert state.signer is not None
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    next_path = safe_next(str(form.get("next", "")), state.prefix)
    if not state.signer.csrf_ok(request.cookies.get(LOGIN_COOKIE, ""), str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text="csrf")
    address = remote(request)
    keys = (f"user:{username}", f"ip:{address}")
    # Checked and counted in one step, before the password is: parallel attempts, on any node, cannot all get through.
    store = services(request).store
    attempt = await state.throttle.begin(store, keys)
    if not attempt.allowed:
        return _form(request, status=429, next_path=next_path, username=username, error_key="login_throttled",
                     minutes=math.ceil(attempt.wait / 60))
    others = [each.store for each in deployment(request).libraries.values()]
    account = await accounts.authenticate(store, username, str(form.get("password", "")), alike=others)
    if account is None:
        await store.record_failed_login(username, address)
        log.info("console: failed sign-in for %r from %s", username, address)
        return _form(request, status=401, next_path=next_path, username=username, error_key="login_failed")
    await state.throttle.succeeded(store, attempt)
    await store.record_login(account, address)
    response = redirect(next_path)
    response.set_cookie(SESSION_COOKIE, state.signer.issue(account.id, account.session_epoch), path=state.prefix,
                        max_age=int(state.signer.lifetime), httponly=True, samesite="Lax", secure=state.secure_cookies(request))
    response.del_cookie(LOGIN_COOKIE, path=state.prefix)
    await hand_pass(request, response, account)
    return response


async def logout(request: web.Request) -> web.Response:
    """End the account's sessions (everywhere) and go back to the sign-in form."""
    await accounts.end_sessions(services(request).store, current_account(request))
    prefix = console(request).prefix
    response = redirect(f"{prefix}/login")
    response.del_cookie(SESSION_COOKIE, path=prefix)
    if console(request).consortium_pass is not None:
        response.del_cookie(PASS_COOKIE, path=PREFIX)
    return response


def safe_next(value: str, prefix: str = PREFIX) -> str:
    """Where to go after signing in: a page of this console, never another site, always a valid header value.

    Only a relative path under ``prefix`` (``/console``, or a consortium library's
    ``/console/<id>``) is followed; one with a control character (CR, LF, NUL: a header
    injection, which aiohttp refuses by dropping the connection) goes to the start page;
    anything else outside ASCII is percent-encoded.
    """
    if not value.isprintable():  # control characters, lone surrogates, unusual spaces
        return f"{prefix}/"
    parts = urllib.parse.urlsplit(value)
    inside = parts.path == prefix or parts.path.startswith(prefix + "/")
    segments = urllib.parse.unquote(parts.path).split("/")
    if parts.scheme or parts.netloc or not inside or "\\" in value or value.startswith("//") or (
        "." in segments or ".." in segments
    ):
        return f"{prefix}/"
    return urllib.parse.quote(value, safe="/?#&=;:@+$,%!*'()[]")


def _form(request: web.Request, *, status: int, next_path: str, username: str = "", error_key: str = "",
          minutes: int = 0) -> web.Response:
    state = console(request)
    assert state.signer is not None
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    request[LOGIN_CSRF] = state.signer.csrf_token(nonce)
    response = render(request, "login.html", status=status, next=next_path, username=username,
                      error_key=error_key, minutes=minutes)
    response.set_cookie(LOGIN_COOKIE, nonce, path=state.prefix, max_age=3600, httponly=True, samesite="Lax",
                        secure=state.secure_cookies(request))
    return response
