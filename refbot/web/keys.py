"""The keys under which the web application keeps what every route reaches."""

from __future__ import annotations

from aiohttp import web

from refbot.config import Settings
from refbot.wiring import Services

SERVICES = web.AppKey("services", Services)
"""The running refbot's parts (store, channel, sources, desk), built at startup."""
SETTINGS = web.AppKey("settings", Settings)
"""The settings the application was created with (sandbox addresses filled in)."""
