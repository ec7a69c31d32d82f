"""Telling Indonesian from English, for needs that carry no clear marker words."""

from __future__ import annotations

from lingua import Language, LanguageDetectorBuilder

_CODES = {Language.INDONESIAN: "id", Language.ENGLISH: "en"}


class LanguageDetector:
    """lingua restricted to Indonesian and English: small, fast, and sure of itself."""

    def __init__(self, min_confidence: float = 0.6) -> None:
        self._detector = LanguageDetectorBuilder.from_languages(*_CODES).build()
        self._min = min_confidence

    def __call__(self, text: str) -> str | None:
        """"id" or "en" when the detector is confident enough, else None."""
        values = self._detector.compute_language_confidence_values(text)
        if not values or values[0].value < self._min:
            return None
        return _CODES.get(values[0].language)
