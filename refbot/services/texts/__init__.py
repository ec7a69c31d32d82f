"""The desk services' texts for patrons and librarians, in Indonesian (default) and English."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("id", "en")


@functools.cache
def _table(language: str) -> dict[str, str]:
    text = (resources.files("refbot.services.texts") / f"{language}.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def t(language: str, key: str, **values: Any) -> str:
    """The text ``key`` in ``language`` (falling back to Indonesian), filled with ``values``."""
    table = _table(language if language in LANGUAGES else "id")
    return table[key].format(**values)


def has(key: str) -> bool:
    """Whether a text exists (in Indonesian, the language every key is written in first)."""
    return key in _table("id")
