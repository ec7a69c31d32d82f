"""The librarian console: a web desk for working the queue of drafts, under ``/console``.

Pages are rendered on the server (Jinja2, autoescaped) with a local stylesheet and no script.
Librarians sign in with a password (Argon2id); the session lives in a signed, expiring cookie
keyed by ``REFBOT_CONSOLE_SECRET``; every form that changes something carries a CSRF token.
Drafts change only through :mod:`refbot.decisions.drafts`, with the version the librarian saw, so a
colleague's change is never silently overwritten.

A deployment with ``libraries:`` (a consortium) has one console per library at
``/console/<id>``, each over that library's own store with session keys of its own, and at
``/console`` the list of libraries with, for consortium admins, the consortium's figures.

    setup_console(app, settings)     mount the console(s) on refbot's web application
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from aiohttp import web

from refbot.config import Library, Settings
from refbot.texts import console_texts
from refbot.web.addresses import trusted_networks
from refbot.web.console import consortium
from refbot.web.console.guard import interface_language, security_headers, signed_in
from refbot.web.console.routes_admin import accounts_page, add_account, audit_page, remove_account
from refbot.web.console.routes_consortium import CONSORTIUM, Consortium, Member, consortium_page
from refbot.web.console.routes_drafts import draft_action, draft_page, history_page
from refbot.web.console.routes_history import conversation_json, conversation_pdf
from refbot.web.console.routes_login import login, login_page, logout
from refbot.web.console.routes_queue import queue_page
from refbot.web.console.routes_requests import request_action, request_page, requests_list
from refbot.web.console.routes_search import search_page
from refbot.web.console.routes_similarity import similarity_action, similarity_file, similarity_list, similarity_page
from refbot.web.console.routes_stats import stats_csv, stats_page
from refbot.web.console.sessions import SessionSigner
from refbot.web.console.state import CONSOLE, PREFIX, Console, build_templates, console_prefix, redirect
from refbot.web.keys import DEPLOYMENT

log = logging.getLogger(__name__)

SANDBOX_ACCOUNT = "pustakawan"


def setup_console(app: web.Application, settings: Settings) -> None:
    """Serve the console on ``app`` (built by :func:`refbot.web.server.create_app`).

    Without ``libraries:``, one console at ``/console``, as always. With ``libraries:``, each
    library's console at ``/console/<id>`` and the consortium's page at ``/console``.
    """
    secret = settings.secrets.console_secret.get()
    if not secret and settings.sandbox.enabled:
        secret = secrets.token_urlsafe(32)  # the sandbox's sessions need not outlive the run
        app.on_startup.append(_sandbox_account)
    if not secret:
        log.warning("console: REFBOT_CONSOLE_SECRET is not set; /console stays closed until it is")
    base = Console(settings=settings, templates=build_templates(), texts=console_texts(), signer=None,
                   trusted_proxies=trusted_networks(settings.server.trusted_proxies))
    states = [_library_console(base, library, secret) for library in settings.each_library()]
    for state in states:
        _mount(app, state.prefix, create_console_app(state))
    if settings.libraries:
        members = Consortium(tuple(Member(s.library_id, s.library_name, s.prefix, s.consortium_pass) for s in states))
        page = Console(settings=settings, templates=base.templates, texts=base.texts, signer=None,
                       trusted_proxies=base.trusted_proxies, library_id="", static=states[0].static_prefix)
        _mount(app, PREFIX, create_consortium_app(page, members))


def create_console_app(state: Console) -> web.Application:
    """The console's own application, to mount under ``/console``."""
    console_app = web.Application(middlewares=[security_headers, interface_language, signed_in])
    console_app[CONSOLE] = state
    r = console_app.router
    r.add_get("/", queue_page)
    r.add_get("/login", login_page)
    r.add_post("/login", login)
    r.add_post("/logout", logout)
    r.add_get(r"/drafts/{id:[0-9]{1,30}}", draft_page)
    r.add_get(r"/drafts/{id:[0-9]{1,30}}/history", history_page)
    r.add_get(r"/drafts/{id:[0-9]{1,30}}/history.pdf", conversation_pdf)
    r.add_get(r"/drafts/{id:[0-9]{1,30}}/history.json", conversation_json)
    r.add_post(r"/drafts/{id:[0-9]{1,30}}/{action:[a-z]+}", draft_action)
    r.add_get("/search", search_page)
    r.add_get("/requests", requests_list)
    r.add_get(r"/requests/{id:[0-9]{1,30}}", request_page)
    r.add_post(r"/requests/{id:[0-9]{1,30}}/{action:[a-z]+}", request_action)
    r.add_get("/similarity", similarity_list)
    r.add_get(r"/similarity/{id:[0-9]{1,30}}", similarity_page)
    r.add_get(r"/similarity/{id:[0-9]{1,30}}/{file:manuscript|report}", similarity_file)
    r.add_post(r"/similarity/{id:[0-9]{1,30}}/{action:[a-z]+}", similarity_action)
    r.add_get("/stats", stats_page)
    r.add_get("/stats.csv", stats_csv)
    r.add_get("/admin/accounts", accounts_page)
    r.add_post("/admin/accounts", add_account)
    r.add_post("/admin/accounts/{username}/remove", remove_account)
    r.add_get("/admin/audit", audit_page)
    r.add_static("/static/", _static_dir(), append_version=False)
    return console_app


def create_consortium_app(state: Console, members: Consortium) -> web.Application:
    """The consortium's page, to mount under ``/console`` beside each library's console."""
    page_app = web.Application(middlewares=[security_headers, interface_language])
    page_app[CONSOLE] = state
    page_app[CONSORTIUM] = members
    page_app.router.add_get("/", consortium_page)
    return page_app


def draft_url(settings: Settings, draft_id: int) -> str:
    """The console page of one draft (of the library ``settings`` are for), for links sent to librarians."""
    return f"{settings.public_url}{console_prefix(settings)}/drafts/{draft_id}"


def _library_console(base: Console, library: Library, secret: str) -> Console:
    """One library's console: alone at ``/console``; under ``libraries:`` at ``/console/<id>`` with keys of its own."""
    def signer(scope: str) -> SessionSigner | None:
        return SessionSigner(secret, scope=scope) if secret else None

    listed = bool(library.settings.library_id)  # under libraries:
    return Console(
        settings=library.settings, templates=base.templates, texts=base.texts, trusted_proxies=base.trusted_proxies,
        signer=signer(f"library:{library.id}" if listed else ""),
        prefix=console_prefix(library.settings), library_id=library.id,
        library_name=library.name if listed else "",
        consortium_pass=signer(f"consortium:{library.id}") if listed else None,
    )


def _mount(app: web.Application, prefix: str, sub_app: web.Application) -> None:
    app.router.add_get(prefix, _to(f"{prefix}/"))  # /console → /console/
    app.add_subapp(prefix, sub_app)


def _to(location: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def go(request: web.Request) -> web.Response:
        return redirect(location)

    return go


async def _sandbox_account(app: web.Application) -> None:
    """In the sandbox, a librarian account to sign in with, its password shown once in the log.

    In a consortium the account is a consortium admin: one password in every library's store.
    """
    deployment = app[DEPLOYMENT]
    password = secrets.token_urlsafe(9)
    stores = [s.store for s in deployment.libraries.values()]
    if not await consortium.share_password(stores, SANDBOX_ACCOUNT, password, name="Pustakawan Sandbox",
                                           actor="sandbox"):
        return  # the libraries made their own accounts; leave them be
    print(f"refbot sandbox: console at {deployment.first.settings.public_url}{PREFIX}/ — "
          f"sign in as {SANDBOX_ACCOUNT} / {password}", flush=True)


def _static_dir() -> Path:
    return Path(str(resources.files("refbot.web.console") / "static"))


__all__ = ["create_console_app", "create_consortium_app", "draft_url", "setup_console"]
