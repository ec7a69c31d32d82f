"""What every console page shares: settings, templates, texts, the session signer, the services.

A deployment without ``libraries:`` has one console at ``/console``. With ``libraries:`` each
library has a console of its own at ``/console/<id>`` (:func:`console_prefix`), working on that
library's services only, and ``/console`` lists them (:mod:`refbot.web.console.routes_consortium`).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from aiohttp import web

from refbot.config import DEFAULT_LIBRARY, Settings
from refbot.services.dates import library_zone
from refbot.web.addresses import Network, client_address, reached_over_https
from refbot.web.console import formatting
from refbot.web.console.accounts import Account
from refbot.web.console.language import Texts
from refbot.web.console.sessions import Session, SessionSigner
from refbot.web.console.throttle import LoginThrottle
from refbot.web.keys import DEPLOYMENT
from refbot.wiring import Deployment, Services

PREFIX = "/console"
"""Where the console lives: the one library's console, or in a consortium the list of libraries."""


def console_prefix(settings: Settings) -> str:
    """The path of a library's console: ``/console``, or ``/console/<id>`` for a library under ``libraries:``."""
    return f"{PREFIX}/{settings.library_id}" if settings.library_id else PREFIX


@dataclass
class Console:
    """The console's own parts; the store, sources and worker come from the app's services."""

    settings: Settings
    templates: jinja2.Environment
    texts: dict[str, Texts]
    signer: SessionSigner | None  # None: no REFBOT_CONSOLE_SECRET, the console stays shut
    throttle: LoginThrottle = field(default_factory=LoginThrottle)  # the limits; the counts live in the store
    trusted_proxies: tuple[Network, ...] = ()  # from server.trusted_proxies
    clock: Callable[[], float] = time.time
    prefix: str = PREFIX
    """Where this console is mounted: every link, redirect and cookie path starts with it."""
    library_id: str = DEFAULT_LIBRARY
    """The library (of ``app[DEPLOYMENT]``) whose services this console works on."""
    library_name: str = ""
    """Shown in the page header; empty for the one library of a deployment without ``libraries:``."""
    static: str = ""
    """Where the stylesheet is served (default ``<prefix>/static``)."""
    consortium_pass: SessionSigner | None = None
    """In a consortium: signs the pass that shows a consortium admin the consortium's figures at ``/console``."""

    @property
    def static_prefix(self) -> str:
        """The path the stylesheet and icon are served under."""
        return self.static or f"{self.prefix}/static"

    @property
    def zone(self) -> datetime.tzinfo:
        """The library's time zone (``desk.timezone``): every time a librarian reads is in it."""
        return library_zone(self.settings)

    @property
    def in_consortium(self) -> bool:
        """Whether this is one of several libraries' consoles (mounted below ``/console``)."""
        return self.prefix != PREFIX

    def secure_cookies(self, request: web.Request) -> bool:
        """Whether cookies carry ``Secure``: the console's address is https://, or this request came over HTTPS
        (to refbot, or to a trusted reverse proxy that says so in ``X-Forwarded-Proto``)."""
        return self.settings.public_url.startswith("https://") or reached_over_https(request, self.trusted_proxies)


CONSOLE = web.AppKey("console", Console)


def _request_key(name: str, kind: type) -> Any:
    # aiohttp 3.14 wants typed keys for per-request values (and warns about strings);
    # older releases have no RequestKey and take the plain name.
    maker = getattr(web, "RequestKey", None)
    return maker(name, kind) if maker is not None else name


LANGUAGE = _request_key("console_language", str)
ACCOUNT = _request_key("console_account", Account)
SESSION = _request_key("console_session", Session)
LOGIN_CSRF = _request_key("console_login_csrf", str)


def console(request: web.Request) -> Console:
    """The console state of the app serving ``request``."""
    return request.config_dict[CONSOLE]


def remote(request: web.Request) -> str:
    """The client's address, as the trusted reverse proxies in front of refbot report it."""
    return client_address(request, console(request).trusted_proxies)


def deployment(request: web.Request) -> Deployment:
    """Every library's services."""
    found: Deployment = request.config_dict[DEPLOYMENT]
    return found


def services(request: web.Request) -> Services:
    """This console's library's store, sources, worker and settings (never another library's)."""
    return deployment(request).libraries[console(request).library_id]


def current_account(request: web.Request) -> Account:
    """The signed-in account (the guard has checked there is one)."""
    account: Account = request[ACCOUNT]
    return account


def texts(request: web.Request) -> Texts:
    """The interface texts in the language this page is shown in."""
    return console(request).texts[request.get(LANGUAGE, "id")]


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """Render a page with the values every template may use."""
    state = console(request)
    session = request.get(SESSION)
    signer = state.signer
    values = {
        "_": texts(request),
        "lang": request.get(LANGUAGE, "id"),
        "account": request.get(ACCOUNT),
        "csrf": signer.csrf_token(session.nonce) if signer and session else request.get(LOGIN_CSRF, ""),
        "path": request.path,
        "method": request.method,
        "query": request.query_string,
        "now": state.clock(),
        "zone": state.zone,
        "base": state.prefix,
        "static": state.static_prefix,
        "library_name": state.library_name,
        "consortium_url": f"{PREFIX}/" if state.in_consortium else "",
        **context,
    }
    html = state.templates.get_template(template).render(values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    """A 303 to a page of the console (after a form post, so reload does not post again)."""
    return web.Response(status=303, headers={"Location": location})


def build_templates() -> jinja2.Environment:
    """The template environment: autoescaping everything, failing loudly on undefined names."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("refbot.web.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = _local_time
    env.filters["safe_url"] = formatting.safe_url
    env.globals["candidate_link"] = formatting.candidate_link
    env.globals["duration"] = formatting.duration
    env.globals["shelf_location"] = formatting.shelf_location
    env.globals["window_left"] = formatting.window_left
    return env


@jinja2.pass_context
def _local_time(context: jinja2.runtime.Context, timestamp: float | None) -> str:
    # Every page gets the library's zone from render(), so templates just write |local_time.
    return formatting.local_time(timestamp, context.get("zone"))
