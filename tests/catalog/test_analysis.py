"""One analyzer for Indonesian and English: morphology, stop words, accents, pickling."""

from __future__ import annotations

import pickle

import pytest

from refbot.catalog.analysis import (
    _NOT_INDONESIAN,
    BilingualStemFilter,
    analyze,
    catalog_analyzer,
    is_affixed,
    name_analyzer,
    pair_analyzer,
)


@pytest.fixture(scope="module")
def terms():
    analyzer = catalog_analyzer()
    return lambda text: analyze(analyzer, text)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("pengelolaan perpustakaan", "Mengelola perpustakaan"),
        ("managing libraries", "Library management"),
        ("pembelajaran", "Belajar dan pelajaran"),
        ("kebijakan pendidikan", "Kebijakan-kebijakan dalam pendidikan tinggi"),
        ("penelitian", "Meneliti dengan teliti"),
        ("menulis karya ilmiah", "Penulisan karya ilmiah"),
        ("layanan", "Pelayanan perpustakaan"),
        ("informasinya", "Informasi"),
        ("computing", "Computer programming"),
        ("bibliotheque", "Bibliothèque nationale"),
    ],
)
def test_forms_of_a_word_meet(terms, query: str, title: str) -> None:
    assert set(terms(query)) <= set(terms(title))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pengelolaan perpustakaan", ["kelola", "pustaka"]),
        ("Library management", ["librari", "manag"]),
        ("buku-buku pelajaran", ["buku", "buku", "ajar"]),
        ("kelas dan kelasnya", ["kelas", "kelas"]),
        ("IT governance in the U.S.", ["it", "govern", "u.s"]),
        ("Perpustakaan 2.0 tahun 2020", ["pustaka", "2.0", "tahun", "2020"]),
    ],
)
def test_index_terms(terms, text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "yang dan di ke dari untuk dengan pada dalam adalah ini itu atau oleh tentang",
        "the of and a an in on for to with by from is are was",
    ],
)
def test_stop_words_are_dropped(terms, text: str) -> None:
    assert terms(text) == []


@pytest.mark.parametrize(
    ("word", "english_stem"),
    [("seminars", "seminar"), ("lines", "line"), ("belong", "belong"), ("deleting", "delet"), ("designs", "design")],
)
def test_english_words_are_not_taken_apart_as_indonesian(terms, word: str, english_stem: str) -> None:
    assert terms(word) == [english_stem]


def test_affix_check() -> None:
    assert is_affixed("pengelolaan", "kelola")
    assert is_affixed("menulis", "tulis")
    assert is_affixed("bukunya", "buku")
    assert not is_affixed("seminars", "mars")


def test_names_are_folded_but_not_stemmed() -> None:
    assert analyze(name_analyzer(), "Müller, Hans; Pengelola") == ["muller", "hans", "pengelola"]


def test_non_latin_scripts_are_kept() -> None:
    assert analyze(catalog_analyzer(), "Библиотека") == ["библиотека"]


def test_analyzer_survives_pickling_after_use() -> None:
    analyzer = catalog_analyzer()
    before = analyze(analyzer, "pengelolaan perpustakaan")
    copy = pickle.loads(pickle.dumps(analyzer))
    assert analyze(copy, "pengelolaan perpustakaan") == before
    assert copy == analyzer


def test_stem_cache_is_per_instance_and_bounded() -> None:
    first, second = BilingualStemFilter(), BilingualStemFilter()
    assert first.normalizer()("perpustakaan") == "pustaka"
    assert first.normalizer().cache_info().currsize == 1  # type: ignore[attr-defined]
    assert second.normalizer().cache_info().currsize == 0  # type: ignore[attr-defined]
    assert first.normalizer().cache_info().maxsize  # type: ignore[attr-defined]


def test_word_pairs_join_neighbours_across_stop_words() -> None:
    pairs = pair_analyzer(catalog_analyzer())
    expected = ["kelola+layan", "layan+pustaka", "pustaka+digital"]
    assert analyze(pairs, "Pengelolaan dan layanan perpustakaan digital") == expected
    assert analyze(pickle.loads(pickle.dumps(pairs)), "Pengelolaan dan layanan perpustakaan digital") == expected
    assert analyze(pairs, "Jazz") == []


# -- codes, and one stemmer per word by its language ------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ina-TEWS", ["ina-tews"]),
        ("COVID-19 dan e-KTP", ["covid-19", "e-ktp"]),
        ("PDP-10", ["pdp-10"]),
        ("B.A.P. dan S.A.S.", ["b.a.p", "s.a.s"]),
        ("buku-buku", ["buku", "buku"]),  # not codes: their parts only
        ("Sulistyo-Basuki first-year", ["sulistyo", "basuki", "first", "year"]),
        ("PENGELOLAAN ARSIP DINAMIS-STATIS", ["kelola", "arsip", "dinamis", "statis"]),  # capitals everywhere mark nothing
    ],
)
def test_codes_are_kept_whole(terms, text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_a_code_is_indexed_whole_and_by_its_parts() -> None:
    # A record that writes it apart ("Ina TEWS") is found by a question that does too; a
    # question that writes it whole searches it whole, so its parts do not weigh it twice.
    analyzer = pickle.loads(pickle.dumps(catalog_analyzer()))
    assert [t.text for t in analyzer("Ina-TEWS 5-year", mode="index")] == ["ina-tews", "ina", "tew", "year"]
    assert analyze(analyzer, "Ina-TEWS") == ["ina-tews"]


@pytest.mark.parametrize(("word", "english_stem"), [("dining", "dine"), ("sealing", "seal"), ("mobile", "mobile")])
def test_english_words_are_not_cut_by_indonesian_rules(terms, word: str, english_stem: str) -> None:
    assert terms(word) == [english_stem]


@pytest.mark.parametrize("word", ["kelas", "tugas", "kucing", "mobil", "kualitas"])
def test_indonesian_words_are_not_cut_by_porter(terms, word: str) -> None:
    assert terms(word) == [word]
    assert terms(word + "nya") == [word]


@pytest.mark.parametrize(
    ("english", "indonesian"), [("mobile", "mobil"), ("mobility", "mobil"), ("days", "dai"), ("rays", "rai")]
)
def test_english_stems_do_not_fall_on_indonesian_words_of_another_meaning(terms, english: str, indonesian: str) -> None:
    assert terms(english) != terms(indonesian)


def test_every_root_in_sastrawis_dictionary_is_read_as_indonesian() -> None:
    # The English endings that make a word English must not catch an Indonesian root.
    reader = BilingualStemFilter()
    dictionary = reader._sastrawi().get_dictionary().words
    misread = [w for w in dictionary if w.isalpha() and w.isascii() and reader.language(w) == "en"
               and not _NOT_INDONESIAN.search(w)]
    assert misread == []
