"""The keys under which the web application keeps what every route reaches."""

from __future__ import annotations

from aiohttp import web

from refbot.config import Settings
from refbot.wiring import Deployment, Services

SERVICES = web.AppKey("services", Services)
"""The running refbot's parts (store, channel, sources, desk), built at startup: the first library's."""
DEPLOYMENT = web.AppKey("deployment", Deployment)
"""Every library's parts (one, without ``libraries:``), built at startup."""
SETTINGS = web.AppKey("settings", Settings)
"""The settings the application was created with (sandbox addresses filled in)."""
