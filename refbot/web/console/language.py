"""The console's interface language: Indonesian or English (texts in :mod:`refbot.texts`)."""

from __future__ import annotations

from aiohttp import web

from refbot.texts import LANGUAGES, Texts, known_language

LANGUAGE_COOKIE = "refbot_console_lang"

__all__ = ["LANGUAGE_COOKIE", "Texts", "choose"]


def choose(request: web.Request, default: str) -> str:
    """The language a page is shown in: ``?lang=``, else the cookie, else Accept-Language, else the default."""
    for given in (request.query.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if given in LANGUAGES:
            return given
    accepted = request.headers.get("Accept-Language", "").lower()
    return known_language(accepted[:2], default)
