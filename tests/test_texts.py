"""The texts patrons and librarians read: both languages complete, one rule for a missing key."""

from __future__ import annotations

import string

import pytest

from refbot.texts import Texts, has, known_language, read_catalogue, t

CATALOGUES = ("", "console")


def _table(catalogue: str, language: str) -> dict[str, str]:
    return read_catalogue(catalogue, language)


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=["whatsapp", "console"])
def test_both_languages_have_every_text_with_the_same_blanks(catalogue: str) -> None:
    indonesian, english = _table(catalogue, "id"), _table(catalogue, "en")
    assert set(indonesian) == set(english)
    for key, text in indonesian.items():
        assert _fields(text) == _fields(english[key]), key
        if catalogue == "console":  # console texts are plain; its templates escape them
            assert "<" not in text and "<" not in english[key], key


def test_a_patron_in_an_unknown_language_reads_indonesian() -> None:
    assert t("fr", "rejected") == t("id", "rejected") != t("en", "rejected")
    assert known_language("fr") == "id" and known_language("fr", "en") == "en" and known_language("en") == "en"


def test_a_key_nobody_wrote_is_an_error_not_a_blank_message() -> None:
    with pytest.raises(KeyError):
        t("en", "no_such_text")
    with pytest.raises(KeyError):
        Texts("en")("no_such_text")
    assert not has("no_such_text") and has("rejected") and Texts("id").has("status_pending")
