"""Every text refbot shows a person, in Indonesian (the default) and English, kept in data files.

Two catalogues share one loader and one rule:

- ``{id,en}.yaml`` — what patrons and librarians read on WhatsApp (the desk and its services);
- ``console/{id,en}.yaml`` — the librarians' web console.

Each catalogue may grow by area: ``parts/<area>.{id,en}.yaml`` beside its main file (e.g.
``parts/journals.id.yaml``) is read with it, so a service keeps its texts together; a key
written in two files is an error, not a silent override.

The rule for a missing text: a key missing in English falls back to Indonesian (every key is
written in Indonesian first); a key missing in Indonesian too is a programming error and
raises ``KeyError`` (tests check that every key the code uses exists).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

LANGUAGES = ("id", "en")
"""The languages refbot speaks; the first is the default."""
TEXT_LIMIT = 4096
"""The most characters WhatsApp takes in one text message."""


def catalogue_files(catalogue: str, language: str) -> list[Traversable]:
    """The files that make up ``catalogue`` in ``language``: its main file, then its parts by name."""
    folder = resources.files("refbot.texts")
    if catalogue:
        folder = folder / catalogue
    parts = folder / "parts"
    suffix = f".{language}.yaml"
    extra = (
        sorted((entry for entry in parts.iterdir() if entry.name.endswith(suffix)), key=lambda e: e.name)
        if parts.is_dir()
        else []
    )
    return [folder / f"{language}.yaml", *extra]


def read_catalogue(catalogue: str, language: str) -> dict[str, Any]:
    """Every raw text of ``catalogue`` in ``language``; a key in two of its files raises ``ValueError``."""
    table: dict[str, Any] = {}
    for entry in catalogue_files(catalogue, language):
        data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
        twice = table.keys() & data.keys()
        if twice:
            raise ValueError(f"texts {sorted(twice)} are written twice ({entry.name})")
        table.update(data)
    return table


@functools.cache
def _table(catalogue: str, language: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in read_catalogue(catalogue, language).items()}


def known_language(language: str, default: str = "id") -> str:
    """``language`` when refbot speaks it, else ``default`` (else Indonesian)."""
    if language in LANGUAGES:
        return language
    return default if default in LANGUAGES else LANGUAGES[0]


def lookup(catalogue: str, language: str, key: str) -> str:
    """The raw text ``key`` of ``catalogue`` in ``language``, by the one missing-key rule."""
    table = _table(catalogue, known_language(language))
    if key in table:
        return table[key]
    return _table(catalogue, LANGUAGES[0])[key]


def has(key: str, catalogue: str = "") -> bool:
    """Whether a text exists (in Indonesian, the language every key is written in first)."""
    return key in _table(catalogue, LANGUAGES[0])


def t(language: str, key: str, **values: Any) -> str:
    """The WhatsApp text ``key`` in ``language``, filled with ``values``."""
    return lookup("", language, key).format(**values)


@dataclass(frozen=True)
class Texts:
    """One language's console texts; calling it fills a text with values (which stay plain text)."""

    language: str

    def __call__(self, key: str, **values: Any) -> str:
        text = lookup("console", self.language, key)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether a console text exists for ``key``."""
        return has(key, "console")


def console_texts() -> dict[str, Texts]:
    """The console's texts in each language."""
    return {language: Texts(language) for language in LANGUAGES}
