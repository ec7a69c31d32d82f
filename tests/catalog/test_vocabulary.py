"""The Indonesian ↔ English subject vocabulary: what it translates, what it leaves alone, where it came from."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from refbot.catalog.analysis import analyze
from refbot.catalog.vocabulary import PAIRS, PROBE_EVERY, _analyzer, _rows, _table, entries, provenance, translations

ROOT = Path(__file__).resolve().parents[2]


def others(text: str) -> list[str]:
    """Every other name the vocabulary gives for subjects in ``text``."""
    return [target for _, target in translations(text)]


def test_the_vocabulary_names_its_sources_licences_and_build_script() -> None:
    shipped = provenance()
    assert any("Wordnet Bahasa" in s and "v2.0" in s and "sha256" in s for s in shipped.sources)
    assert any("WordNet 3.0" in s for s in shipped.sources)
    assert shipped.licences[0].startswith("MIT") and "WordNet 3.0 licence" in shipped.licences[1]
    assert (ROOT / shipped.built_by).is_file()
    data = resources.files("refbot.catalog") / "data"
    for name in ("LICENSE-wordnet-bahasa.txt", "LICENSE-wordnet.txt", "PROVENANCE.txt"):
        assert (data / name).is_file(), name
    assert "Permission is hereby granted" in (data / "LICENSE-wordnet-bahasa.txt").read_text(encoding="utf-8")


def test_the_header_counts_the_names_the_file_holds() -> None:
    names = list(entries())
    assert provenance().rows == len(names)
    assert len(names) > 100 * len(PAIRS)  # far beyond the hand-written pairs
    assert all(re.fullmatch(r"\d{8}-n", synset) for entry in names for synset in entry.synsets)


@pytest.mark.parametrize(
    ("need", "other"),
    [
        ("tekanan darah tinggi pada lansia", "hypertension"),
        ("hypertension in the elderly", "hipertensi"),
        ("pengelolaan daerah aliran sungai", "catchment area"),
        ("climate change", "perubahan iklim"),
        ("perubahan iklim", "climate change"),
        ("dengue fever", "demam berdarah"),
        ("jaringan komputer kampus", "computer network"),
        ("kekurangan gizi pada balita", "malnutrition"),
        ("tuberculosis", "tuberkulosis"),
        ("temu kembali informasi", "information retrieval"),  # a hand-written pair
    ],
)
def test_a_subject_reaches_its_name_in_the_other_language(need: str, other: str) -> None:
    assert other in others(need)


def test_a_phrase_is_translated_whole_not_word_by_word() -> None:
    found = translations("tekanan darah tinggi")
    assert {words for words, _ in found} == {("tekan", "darah", "tinggi")}


def test_the_hand_written_pairs_come_first() -> None:
    assert others("temu kembali informasi")[0] == "information retrieval"
    assert others("cataloguing")[0] == "cataloging"


@pytest.mark.parametrize(
    "word",
    ["pengaruh", "peran", "analisis", "sistem", "metode", "penerapan", "dampak",
     "analysis", "system", "role", "method", "effect", "study", "data", "model"],
)  # fmt: skip
def test_a_generic_word_is_not_expanded(word: str) -> None:
    assert others(word) == []
    assert others(f"pengaruh {word} terhadap hipertensi") == others("hipertensi")


def test_only_the_patrons_content_words_are_translated() -> None:
    assert others("tolong carikan buku tentang hipertensi") == others("hipertensi") != []
    assert translations("hipertensi", within={"lain"}) == []


def test_the_shipped_names_are_analysed_as_refbot_analyses_today() -> None:
    # When this fails, refbot's analyzer has changed since the data file was built: searches
    # still work (the names are analysed again when loaded, which costs seconds), but the
    # file should be rebuilt: .venv/bin/python tools/build_vocabulary.py --wordnet-bahasa …
    analyzer = _analyzer()
    stale = [row[0] for row in _rows()[::PROBE_EVERY] if analyze(analyzer, row[0]) != row[1].split(" ")]
    assert stale == []


def test_every_loaded_name_is_keyed_by_the_words_refbot_makes_of_it() -> None:
    # Holds even when the file is stale (the loader analyses the names again then).
    table = _table()
    analyzer = _analyzer()
    sample = _rows()[7::PROBE_EVERY]
    assert all(tuple(analyze(analyzer, row[0])) in table for row in sample)
