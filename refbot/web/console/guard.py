"""The console's middlewares: language, sign-in, CSRF, and security headers on every answer.

Order matters: headers wrap everything (error pages included), the language is chosen before
any page renders, and only then is the visitor checked. Every request that changes something
(anything but GET and HEAD) must carry the CSRF token of its session and, when the browser
says where it comes from, come from this site.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Awaitable, Callable

from aiohttp import web

from refbot.web.console import accounts
from refbot.web.console.language import LANGUAGE_COOKIE, choose
from refbot.web.console.sessions import SESSION_COOKIE
from refbot.web.console.state import ACCOUNT, LANGUAGE, PREFIX, SESSION, console, render, services

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SAFE_METHODS = frozenset({"GET", "HEAD"})
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Strict headers on every answer, and a console page (not a bare text) for errors."""
    try:
        response = await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        response = _error_page(request, e.status, e.reason, e.text or "")
    except Exception:
        log.exception("console: unhandled error on %s %s", request.method, request.path)
        response = _error_page(request, 500, "Internal Server Error", "")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if not _is_static(request):
        response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def interface_language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pick the page's language; ``?lang=xx`` also remembers the choice in a cookie (for every console)."""
    state = console(request)
    request[LANGUAGE] = choose(request, state.settings.language.default)
    response = await handler(request)
    if request.query.get("lang") == request[LANGUAGE]:
        response.set_cookie(LANGUAGE_COOKIE, request[LANGUAGE], path=PREFIX, max_age=365 * 86400,
                            samesite="Lax", httponly=True, secure=state.secure_cookies(request))
    return response


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only signed-in accounts past this point; state-changing requests need their CSRF token.

    The session must be one this console's signer issued (in a consortium, each library's console
    has its own keys) for an account of this console's library's store.
    """
    state = console(request)
    if state.signer is None:
        raise web.HTTPServiceUnavailable(text="REFBOT_CONSOLE_SECRET is not set")
    if _is_static(request):
        return await handler(request)
    if request.method not in SAFE_METHODS and not _same_origin(request, state.settings.public_url):
        log.warning("console: %s %s refused, Origin %r", request.method, request.path, request.headers.get("Origin"))
        raise web.HTTPForbidden(text="cross-site request refused")
    if request.path == f"{state.prefix}/login":
        return await handler(request)
    session = state.signer.read(request.cookies.get(SESSION_COOKIE, ""))
    account = await accounts.get_account(services(request).store, session.account_id) if session else None
    if session is None or account is None or account.session_epoch != session.epoch:
        if request.method in SAFE_METHODS:
            return _to_login(request)
        raise web.HTTPForbidden(text="sign in first")
    if request.method not in SAFE_METHODS:
        # A signed-in librarian may upload a similarity report; everyone else keeps aiohttp's 1 MiB.
        request = request.clone(client_max_size=max(1024**2, state.settings.similarity.max_bytes + 256 * 1024))
    request[SESSION], request[ACCOUNT] = session, account
    if request.method not in SAFE_METHODS:
        form = await request.post()
        token = str(form.get("csrf") or request.headers.get("X-CSRF-Token", ""))
        if not state.signer.csrf_ok(session.nonce, token):
            log.warning("console: CSRF token missing or wrong on %s %s by %s", request.method, request.path,
                        account.username)
            raise web.HTTPForbidden(text="csrf")
    return await handler(request)


def _same_origin(request: web.Request, public_url: str) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # old browsers and scripts; the CSRF token still has to match
    netloc = urllib.parse.urlsplit(origin).netloc
    return bool(netloc) and netloc in (request.host, urllib.parse.urlsplit(public_url).netloc)


def _is_static(request: web.Request) -> bool:
    return request.path.startswith(console(request).static_prefix + "/")


def _to_login(request: web.Request) -> web.Response:
    target = urllib.parse.quote(request.path_qs, safe="")
    return web.Response(status=303, headers={"Location": f"{console(request).prefix}/login?next={target}"})


def _error_page(request: web.Request, status: int, reason: str, detail: str) -> web.Response:
    if LANGUAGE not in request:
        request[LANGUAGE] = "id"
    key = {401: "error_401", 403: "error_403", 404: "error_404", 429: "error_429", 503: "error_503"}.get(status)
    if detail == "csrf":
        key = "error_csrf"
    return render(request, "error.html", status=status, error_key=key or "error_other", reason=reason)
