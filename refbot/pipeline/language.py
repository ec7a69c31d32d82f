"""Telling Indonesian from English, for needs that carry no clear marker words.

``parse_need`` asks the detector only when marker words tie — mostly short messages with none
at all: "halo", "Filsafat Ilmu", "still open?", "bye". Those are where detectors differ, and
lingua, restricted to the two languages, is the one that gets them right:
``bench/language_detection.py`` measured it against py3langid, langid, langdetect, CLD2, CLD3,
fastText's bundled lite model and simplemma on hand-written patron messages
(``tests/fixtures/language/patron_messages.tsv``). The lighter ones answer "halo", "sip" or
"min" in English, or (CLD2, CLD3, which cannot be restricted) name a third language for many
short messages; py3langid matches lingua but brings numpy and takes more memory. lingua's
low-accuracy mode takes a seventh of the memory but misses about one marker-less message in
twenty more.
"""

from __future__ import annotations

from lingua import Language, LanguageDetectorBuilder

_CODES = {Language.INDONESIAN: "id", Language.ENGLISH: "en"}


class LanguageDetector:
    """lingua restricted to Indonesian and English: sure of itself even on two-word messages."""

    def __init__(self, min_confidence: float = 0.6) -> None:
        # 0.6 is where the bench found lingua best (0.5–0.65 are within a message or two); from
        # 0.7 on it abstains on short English such as "bye" and "just a moment".
        self._detector = LanguageDetectorBuilder.from_languages(*_CODES).build()
        self._min = min_confidence

    def __call__(self, text: str) -> str | None:
        """"id" or "en" when the detector is confident enough, else None."""
        values = self._detector.compute_language_confidence_values(text)
        if not values or values[0].value < self._min:
            return None
        return _CODES.get(values[0].language)
