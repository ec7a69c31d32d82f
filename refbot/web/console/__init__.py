"""The librarian console: a web desk for working the queue of drafts, under ``/console``.

Pages are rendered on the server (Jinja2, autoescaped) with a local stylesheet and no script.
Librarians sign in with a password (scrypt); the session lives in a signed, expiring cookie
keyed by ``REFBOT_CONSOLE_SECRET``; every form that changes something carries a CSRF token.
Drafts change only through :mod:`refbot.decisions.drafts`, with the version the librarian saw, so a
colleague's change is never silently overwritten.

    setup_console(app, settings)     mount the console on refbot's web application
"""

from __future__ import annotations

import logging
import secrets
from importlib import resources
from pathlib import Path

from aiohttp import web

from refbot.config import Settings
from refbot.texts import console_texts
from refbot.web.console import accounts
from refbot.web.console.addresses import trusted_networks
from refbot.web.console.guard import interface_language, security_headers, signed_in
from refbot.web.console.routes_admin import accounts_page, add_account, audit_page, remove_account
from refbot.web.console.routes_drafts import draft_action, draft_page, history_page
from refbot.web.console.routes_login import login, login_page, logout
from refbot.web.console.routes_queue import queue_page
from refbot.web.console.routes_search import search_page
from refbot.web.console.routes_stats import stats_csv, stats_page
from refbot.web.console.sessions import SessionSigner
from refbot.web.console.state import CONSOLE, PREFIX, Console, build_templates, redirect
from refbot.web.keys import SERVICES

log = logging.getLogger(__name__)

SANDBOX_ACCOUNT = "pustakawan"


def setup_console(app: web.Application, settings: Settings) -> None:
    """Serve the console under ``/console`` on ``app`` (built by :func:`refbot.web.server.create_app`)."""
    secret = settings.secrets.console_secret.get()
    if not secret and settings.sandbox.enabled:
        secret = secrets.token_urlsafe(32)  # the sandbox's sessions need not outlive the run
        app.on_startup.append(_sandbox_account)
    if not secret:
        log.warning("console: REFBOT_CONSOLE_SECRET is not set; /console stays closed until it is")
    console_app = create_console_app(Console(
        settings=settings,
        templates=build_templates(),
        texts=console_texts(),
        signer=SessionSigner(secret) if secret else None,
        trusted_proxies=trusted_networks(settings.server.trusted_proxies),
    ))
    app.router.add_get(PREFIX, _to_queue)
    app.add_subapp(PREFIX, console_app)


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
    r.add_post(r"/drafts/{id:[0-9]{1,30}}/{action:[a-z]+}", draft_action)
    r.add_get("/search", search_page)
    r.add_get("/stats", stats_page)
    r.add_get("/stats.csv", stats_csv)
    r.add_get("/admin/accounts", accounts_page)
    r.add_post("/admin/accounts", add_account)
    r.add_post("/admin/accounts/{username}/remove", remove_account)
    r.add_get("/admin/audit", audit_page)
    r.add_static("/static/", _static_dir(), append_version=False)
    return console_app


def draft_url(settings: Settings, draft_id: int) -> str:
    """The console page of one draft, for links sent to librarians on WhatsApp."""
    return f"{settings.public_url}{PREFIX}/drafts/{draft_id}"


async def _to_queue(request: web.Request) -> web.Response:
    return redirect(f"{PREFIX}/")


async def _sandbox_account(app: web.Application) -> None:
    """In the sandbox, a librarian account to sign in with, its password shown once in the log."""
    store = app[SERVICES].store
    password = secrets.token_urlsafe(9)
    if await accounts.find_account(store, SANDBOX_ACCOUNT):
        await accounts.set_password(store, SANDBOX_ACCOUNT, password, actor="sandbox")
    elif not await accounts.list_accounts(store):
        await accounts.add_account(store, SANDBOX_ACCOUNT, password, name="Pustakawan Sandbox", role="admin",
                                   actor="sandbox")
    else:
        return  # the library made its own accounts; leave them be
    print(f"refbot sandbox: console at {app[SERVICES].settings.public_url}{PREFIX}/ — "
          f"sign in as {SANDBOX_ACCOUNT} / {password}", flush=True)


def _static_dir() -> Path:
    return Path(str(resources.files("refbot.web.console") / "static"))


__all__ = ["create_console_app", "draft_url", "setup_console"]
