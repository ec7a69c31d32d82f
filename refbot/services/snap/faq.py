"""The FAQ of known portal problems, and matching a screenshot's text against it.

OCR text is noisy (``akses ditoIak``, broken lines, stray symbols), so each symptom is looked
for with rapidfuzz's ``partial_ratio``: the best-aligned stretch of the text, scored 0-100.
Short symptoms (five letters or fewer: ``403``, ``proxy``) would match noise that way, so they
must appear as whole words. An entry scores its best symptom; the best entry at or above the
threshold is proposed, with its score, so the librarian sees how sure refbot is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz

from refbot.errors import ConfigError

SHORT = 5
_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class FaqEntry:
    """One known problem: what its screen says, and what to tell the patron."""

    id: str
    title: dict[str, str]
    symptoms: tuple[str, ...]
    answer: dict[str, str]

    def answer_in(self, language: str) -> str:
        """The answer in ``language``, else Indonesian."""
        return self.answer.get(language) or self.answer.get("id") or next(iter(self.answer.values()), "")

    def title_in(self, language: str) -> str:
        """The title in ``language``, else Indonesian."""
        return self.title.get(language) or self.title.get("id") or self.id


@dataclass(frozen=True)
class FaqMatch:
    """The entry a text matched, how well, and on which symptom."""

    entry: FaqEntry
    score: float
    symptom: str


class Faq:
    """The library's FAQ of portal problems."""

    def __init__(self, entries: tuple[FaqEntry, ...]) -> None:
        self.entries = entries
        self._symptoms = [(e, s, normalise(s)) for e in entries for s in e.symptoms]

    @classmethod
    def load(cls, path: str | Path = "") -> Faq:
        """The FAQ from a YAML file, or the built-in one when ``path`` is empty.

        Raises:
            ConfigError: the file cannot be read or an entry lacks its parts.
        """
        where = str(path) or "refbot/services/snap/faq.yaml"
        try:
            text = Path(path).read_text(encoding="utf-8") if path else (
                resources.files("refbot.services.snap") / "faq.yaml").read_text(encoding="utf-8")
            data = yaml.safe_load(text)
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError("snap.faq_file", f"cannot read {where}: {e}") from e
        if not isinstance(data, list):
            raise ConfigError("snap.faq_file", f"{where} must hold a list of entries")
        return cls(tuple(_entry(item, where) for item in data))

    def match(self, text: str, threshold: float) -> FaqMatch | None:
        """The best entry for a screenshot's text, or None below ``threshold``."""
        haystack = normalise(text)
        if not haystack:
            return None
        words = f" {haystack} "
        best: FaqMatch | None = None
        for entry, symptom, needle in self._symptoms:
            if len(needle) <= SHORT:
                score = 100.0 if f" {needle} " in words else 0.0
            else:
                score = fuzz.partial_ratio(needle, haystack)
            if best is None or score > best.score:
                best = FaqMatch(entry, round(score, 1), symptom)
        return best if best is not None and best.score >= threshold else None


def normalise(text: str) -> str:
    """Lower case, words only, single spaces."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def _entry(item: Any, where: str) -> FaqEntry:
    if not isinstance(item, dict) or not item.get("id") or not item.get("symptoms") or not item.get("answer"):
        raise ConfigError("snap.faq_file", f"{where}: every entry needs id, symptoms and answer")
    title = item.get("title") or {}
    answer = item["answer"]
    if not isinstance(answer, dict) or not isinstance(title, dict):
        raise ConfigError("snap.faq_file", f"{where}: entry {item['id']}: title and answer map a language to text")
    return FaqEntry(
        id=str(item["id"]),
        title={str(k): str(v).strip() for k, v in title.items()},
        symptoms=tuple(str(s) for s in item["symptoms"]),
        answer={str(k): " ".join(str(v).split()) for k, v in answer.items()},
    )
