"""The console's interface language: Indonesian or English, texts in ``texts/{id,en}.yaml``."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from aiohttp import web

LANGUAGES = ("id", "en")
LANGUAGE_COOKIE = "refbot_console_lang"


class Texts:
    """One language's interface texts; calling it fills a text with values (which stay plain text)."""

    def __init__(self, language: str, table: dict[str, str], fallback: dict[str, str]) -> None:
        self.language = language
        self._table = table
        self._fallback = fallback

    def __call__(self, key: str, **values: Any) -> str:
        text = self._table.get(key) or self._fallback.get(key)
        if text is None:
            return key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether a text exists for ``key``."""
        return key in self._table or key in self._fallback


def load_texts() -> dict[str, Texts]:
    """Both languages' texts; a key missing in English falls back to Indonesian."""
    folder = resources.files("refbot.web.console") / "texts"
    tables = {lang: _read(folder / f"{lang}.yaml") for lang in LANGUAGES}
    return {lang: Texts(lang, tables[lang], tables["id"]) for lang in LANGUAGES}


def choose(request: web.Request, default: str) -> str:
    """The language a page is shown in: ``?lang=``, else the cookie, else Accept-Language, else the default."""
    for given in (request.query.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if given in LANGUAGES:
            return given
    accepted = request.headers.get("Accept-Language", "").lower()
    if accepted[:2] in LANGUAGES:
        return accepted[:2]
    return default if default in LANGUAGES else "id"


def _read(entry: Any) -> dict[str, str]:
    data = yaml.safe_load(entry.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}
