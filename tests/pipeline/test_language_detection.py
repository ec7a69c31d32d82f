"""Patrons are answered in the language they wrote in, short WhatsApp messages included.

The messages are the held-out part (split ``test``) of ``tests/fixtures/language/patron_messages.tsv``,
written like patrons write to a library's WhatsApp desk; the rest of the table chose the detector
and its confidence gate (``bench/language_detection.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from refbot.config import LanguageSettings
from refbot.pipeline.language import LanguageDetector
from refbot.pipeline.parse import parse_need, reply_language
from tests.conftest import PATRON, eventually, running_desk

TABLE = Path(__file__).resolve().parents[1] / "fixtures" / "language" / "patron_messages.tsv"
NOW = 2026


def held_out() -> list[tuple[str, str]]:
    """(language, message) for the held-out messages whose language is clear (id or en)."""
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "lang\t")):
            lang, split, text = line.split("\t", 2)
            if split == "test" and lang in ("id", "en"):
                rows.append((lang, text))
    return rows


def answered_in(text: str, default: str, detect: LanguageDetector) -> str:
    return reply_language(parse_need(text, default, current_year=NOW, detect=detect), default)


def undecided_by_markers(text: str) -> bool:
    return parse_need(text, current_year=NOW, detect=lambda _text: "?").language == "?"


def share(hits: list[bool]) -> float:
    return sum(hits) / len(hits)


@pytest.fixture(scope="module")
def detect() -> LanguageDetector:
    return LanguageDetector()


def test_the_held_out_table_has_both_languages_and_short_messages() -> None:
    rows = held_out()
    assert sum(lang == "id" for lang, _ in rows) >= 30 and sum(lang == "en" for lang, _ in rows) >= 30
    assert sum(undecided_by_markers(text) for _, text in rows) >= 15


@pytest.mark.parametrize("default", ["id", "en"])
def test_patrons_are_answered_in_their_language(default: str, detect: LanguageDetector) -> None:
    rows = held_out()
    wrong = [text for lang, text in rows if answered_in(text, default, detect) != lang]
    assert 1 - len(wrong) / len(rows) >= 0.95, wrong


def test_messages_without_marker_words_are_told_apart_by_the_detector(detect: LanguageDetector) -> None:
    # "Filsafat Ilmu", "still open?", "bye": marker words tie, so only the detector can tell
    rows = [(lang, text) for lang, text in held_out() if undecided_by_markers(text)]
    for default in ("id", "en"):
        wrong = [text for lang, text in rows if answered_in(text, default, detect) != lang]
        assert 1 - len(wrong) / len(rows) >= 0.85, (default, wrong)


def test_the_detector_is_rarely_sure_and_wrong(detect: LanguageDetector) -> None:
    answers = [(lang, detect(text)) for lang, text in held_out()]
    assert share([got == lang for lang, got in answers]) >= 0.9
    assert share([got not in (None, lang) for lang, got in answers]) <= 0.03
    assert detect("") is None and detect("👍") is None


@pytest.mark.parametrize(
    ("default", "message", "ack"),
    [
        # a title alone, in the other language than the library's default
        ("id", "Artificial Intelligence: A Modern Approach", "Thank you, we have received your question."),
        ("en", "Filsafat Ilmu", "Terima kasih, pertanyaan Anda sudah kami terima."),
    ],
)
async def test_the_desk_acknowledges_in_the_patrons_language(
    tmp_path: Path, catalog_dir: Path, default: str, message: str, ack: str
) -> None:
    async with running_desk(tmp_path, catalog_dir, language=LanguageSettings(default=default)) as desk:
        await desk.patron_says(message)

        async def first_reply() -> str | None:
            sent = await desk.sent_to(PATRON)
            return str(sent[0]["text"]) if sent else None

        assert (await eventually(first_reply, what="the acknowledgement")).startswith(ack)
