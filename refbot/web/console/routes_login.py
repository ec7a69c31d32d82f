"""Signing in and out: throttled, audited, with a CSRF token even on the login form."""

from __future__ import annotations

import logging
import math
import secrets
import urllib.parse

from aiohttp import web

from refbot.web.console import accounts
from refbot.web.console.sessions import LOGIN_COOKIE, SESSION_COOKIE
from refbot.web.console.state import LOGIN_CSRF, PREFIX, console, current_account, redirect, render, services

log = logging.getLogger(__name__)


async def login_page(request: web.Request) -> web.Response:
    """The sign-in form."""
    return _form(request, status=200, next_path=safe_next(request.query.get("next", "")))


async def login(request: web.Request) -> web.Response:
    """Check the password (unless this username or address has failed too often) and start a session."""
    state = console(request)
    assert state.signer is not None
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    next_path = safe_next(str(form.get("next", "")))
    if not state.signer.csrf_ok(request.cookies.get(LOGIN_COOKIE, ""), str(form.get("csrf", ""))):
        raise web.HTTPForbidden(text="csrf")
    keys = (f"user:{username}", f"ip:{request.remote}")
    wait = state.throttle.wait(keys)
    store = services(request).store
    if wait > 0:
        return _form(request, status=429, next_path=next_path, username=username, error_key="login_throttled",
                     minutes=math.ceil(wait / 60))
    account = await accounts.authenticate(store, username, str(form.get("password", "")))
    if account is None:
        state.throttle.failed(keys)
        await store.record_failed_login(username, request.remote or "")
        log.info("console: failed sign-in for %r from %s", username, request.remote)
        return _form(request, status=401, next_path=next_path, username=username, error_key="login_failed")
    state.throttle.succeeded(keys)
    await store.record_login(account, request.remote or "")
    response = redirect(next_path)
    response.set_cookie(SESSION_COOKIE, state.signer.issue(account.id, account.session_epoch), path=PREFIX,
                        max_age=int(state.signer.lifetime), httponly=True, samesite="Lax", secure=state.secure_cookies)
    response.del_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


async def logout(request: web.Request) -> web.Response:
    """End the account's sessions (everywhere) and go back to the sign-in form."""
    await accounts.end_sessions(services(request).store, current_account(request))
    response = redirect(f"{PREFIX}/login")
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def safe_next(value: str) -> str:
    """Where to go after signing in: a console page, never another site."""
    parts = urllib.parse.urlsplit(value)
    inside = parts.path == PREFIX or parts.path.startswith(PREFIX + "/")
    if parts.scheme or parts.netloc or not inside or "\\" in value or value.startswith("//"):
        return f"{PREFIX}/"
    return value


def _form(request: web.Request, *, status: int, next_path: str, username: str = "", error_key: str = "",
          minutes: int = 0) -> web.Response:
    state = console(request)
    assert state.signer is not None
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    request[LOGIN_CSRF] = state.signer.csrf_token(nonce)
    response = render(request, "login.html", status=status, next=next_path, username=username,
                      error_key=error_key, minutes=minutes)
    response.set_cookie(LOGIN_COOKIE, nonce, path=PREFIX, max_age=3600, httponly=True, samesite="Lax",
                        secure=state.secure_cookies)
    return response
