"""What every console page shares: settings, templates, texts, the session signer, the services."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2
from aiohttp import web

from refbot.config import Settings
from refbot.web.console import formatting
from refbot.web.console.accounts import Account
from refbot.web.console.addresses import Network, client_address
from refbot.web.console.language import Texts
from refbot.web.console.sessions import Session, SessionSigner
from refbot.web.console.throttle import LoginThrottle
from refbot.web.keys import SERVICES
from refbot.wiring import Services

PREFIX = "/console"


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

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies carry ``Secure`` (the console is reached over HTTPS)."""
        return self.settings.public_url.startswith("https://")


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


def services(request: web.Request) -> Services:
    """The running refbot's store, sources, worker and settings."""
    found: Services = request.config_dict[SERVICES]
    return found


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
        "base": PREFIX,
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
    env.filters["local_time"] = formatting.local_time
    env.filters["safe_url"] = formatting.safe_url
    env.globals["candidate_link"] = formatting.candidate_link
    env.globals["duration"] = formatting.duration
    env.globals["shelf_location"] = formatting.shelf_location
    env.globals["window_left"] = formatting.window_left
    return env
