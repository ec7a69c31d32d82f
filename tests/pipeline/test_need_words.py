"""What librarians found when they tried real questions (issue 15): codes, question words,
two languages' stems, dictionary forms and broad words, from the patron's words to the catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from refbot.catalog.analysis import analyze, catalog_analyzer
from refbot.catalog.index import build_index
from refbot.catalog.search import CatalogIndex
from refbot.models import InformationNeed
from refbot.pipeline.parse import parse_need
from tests.catalog.conftest import csv_rows, write

NOW = 2026


def read(text: str) -> InformationNeed:
    return parse_need(text, current_year=NOW)


def words(need: InformationNeed) -> list[str]:
    return [t.text for t in need.terms]


@pytest.fixture(scope="module")
def index_terms() -> Callable[[str], list[str]]:
    analyzer = catalog_analyzer()
    return lambda text: analyze(analyzer, text)


# -- codes and acronyms ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Berapakah jumlah arsip B.A.P di S.A.S?", "Arsip B.A.P. dan S.A.S. kepolisian"),
        ("kak ada laporan tentang sistem peringatan dini Ina-TEWS?", "Evaluasi Ina-TEWS: sistem peringatan dini tsunami"),
        ("data vaksinasi COVID-19 dan e-KTP", "Integrasi data e-KTP untuk vaksinasi COVID-19"),
    ],
)
def test_codes_stay_whole_and_meet_the_catalog(text: str, title: str, index_terms: Callable[[str], list[str]]) -> None:
    need = read(text)
    searched = {w for t in need.terms for w in index_terms(t.text)}
    codes = {w for w in index_terms(title) if "." in w or "-" in w}
    assert codes and codes <= searched  # "b.a.p", "ina-tews", "covid-19", "e-ktp" themselves, not their letters


def test_a_code_in_a_message_written_in_capitals_is_still_searched(index_terms: Callable[[str], list[str]]) -> None:
    need = read("TESTS OF WAVE-GUIDE FILTERS IN THE X-15 AIRCRAFT")
    searched = {w for t in need.terms for w in index_terms(t.text)}
    assert {"wave", "guid", "x-15"} <= searched and "wave-guide" not in searched  # capitals mark nothing here; digits do


# -- question words and chat filler -------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Berapakah jumlah koleksi perpustakaan daerah?", ["jumlah", "koleksi", "perpustakaan", "daerah"]),
        ("Manakah buku statistik yang bagus?", ["statistik", "bagus"]),
        ("Dimanakah saya bisa baca arsip kolonial?", ["baca", "arsip", "kolonial"]),
        ("misal buku yang suka pakai rumus kalkulus dong", ["rumus", "kalkulus"]),
        ("apakah ada, gimana sih cara sitasi deh? tolong ya kak", ["cara", "sitasi"]),
        ("siapakah penulis sejarah Majapahit nih, kapankah terbitnya", ["sejarah", "majapahit", "terbitnya"]),
        ("bagaimanakah dan mengapa inflasi terjadi, dll", ["inflasi", "terjadi"]),
    ],
)
def test_question_words_and_filler_are_not_searched(text: str, terms: list[str]) -> None:
    assert words(read(text)) == terms


# -- one stemmer per word, by its language -------------------------------------------------

def test_an_english_word_does_not_fall_on_an_indonesian_one(index_terms: Callable[[str], list[str]]) -> None:
    assert not set(index_terms("mobile learning")) & set(index_terms("mobil listrik"))
    assert index_terms("mobiles") == index_terms("mobile")


def test_a_word_given_in_both_languages_counts_once() -> None:
    need = read("desain grafis (graphic design)")
    weight = {t.text: t.weight for t in need.terms}
    assert weight["desain"] + weight["design"] <= 1.0  # one word's weight, shared by its two spellings
    # one word in two forms ("parameter", a root in Sastrawi's dictionary; "parameters") is repetition
    assert all(t.weight > 0.9 for t in read("parameter estimation of parameters").terms)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("endokrinolog", "Endokrinologi anak"),  # Sastrawi's dictionary keeps the field whole, not the person
        ("endokrinologis", "Endokrinologi anak"),
        ("psikologi", "Tes psikologis"),
    ],
)
def test_forms_of_one_word_meet_whatever_the_dictionary_holds(
    query: str, title: str, index_terms: Callable[[str], list[str]]
) -> None:
    assert set(index_terms(query)) <= set(index_terms(title))


# -- broad words -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "broad", "specific"),
    [
        ("pengaruh media sosial terhadap minat baca remaja", "pengaruh", "remaja"),
        ("analisis kebijakan hukum lingkungan", "hukum", "lingkungan"),
        ("dampak dan manfaat peran perpustakaan desa", "dampak", "desa"),
    ],
)
def test_broad_words_weigh_less_than_specific_ones(text: str, broad: str, specific: str) -> None:
    weight = {t.text: t.weight for t in read(text).terms}
    assert weight[broad] < weight[specific]


# -- in the catalog ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CatalogIndex]:
    folder = tmp_path_factory.mktemp("need-words")
    rows = csv_rows(
        "c1,Evaluasi kinerja Ina-TEWS,,2019,,,,Tsunami; Sistem peringatan dini,,551.46,id,buku,1,1,,",
        "c2,Ina dan Tews,,2019,,,,Fiksi,,899.221,id,buku,1,1,,",
        "c3,Mobil listrik di Indonesia,,2022,,,,Mobil listrik,,629.22,id,buku,1,1,,",
        "c4,Mobile learning untuk sekolah dasar,,2022,,,,Pembelajaran,,371.33,id,buku,1,1,,",
        "c5,Endokrinologi anak,,2015,,,,Endokrinologi,,618.92,id,buku,1,1,,",
        "c6,Anak,,2015,,,,Anak,,305.23,id,buku,1,1,,",
        "c7,Pengaruh hukum,,2015,,,,Hukum; Pengaruh,,340,id,buku,1,1,,",
        "c8,Minat baca di perpustakaan sekolah,,2020,,,,Minat baca; Perpustakaan sekolah,,028.5,id,buku,1,1,,",
    )
    build_index([write(folder / "catalog.csv", rows)], folder / "ix")
    index = CatalogIndex(folder / "ix")
    yield index
    index.close()


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("kak, ada laporan tentang Ina-TEWS?", "Evaluasi kinerja Ina-TEWS"),  # not the novel "Ina dan Tews"
        ("referensi mobile learning dong", "Mobile learning untuk sekolah dasar"),
        ("buku tentang mobile", "Mobile learning untuk sekolah dasar"),  # not "Mobil listrik"
        ("manakah buku endokrinolog anak?", "Endokrinologi anak"),  # not any book about children
        ("pengaruh hukum terhadap minat baca", "Minat baca di perpustakaan sekolah"),
    ],
)
def test_the_patrons_question_finds_the_right_record_first(catalog: CatalogIndex, question: str, first: str) -> None:
    found = catalog.search(read(question), limit=3)
    assert found and found[0].title == first
