"""Understanding a need: courtesy and request phrasing out, constraints lifted, content kept."""

from __future__ import annotations

import pytest

from refbot.models import Kind
from refbot.pipeline.language import LanguageDetector
from refbot.pipeline.parse import parse_need

NOW = 2026


@pytest.fixture(scope="module")
def detect() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "terms", "language"),
    [
        ("kak, saya cari referensi tentang literasi informasi untuk skripsi", ["literasi", "informasi"], "id"),
        ("Assalamualaikum min, mohon bantuannya carikan buku tentang minat baca remaja ya", ["minat", "baca", "remaja"], "id"),
        ("I am interested in studies of why people do not use libraries", ["people", "use", "libraries"], "en"),
        ("Hi, could you please recommend sources on information retrieval evaluation? Thanks!",
         ["information", "retrieval", "evaluation"], "en"),
        ("skripsi tentang layanan referensi virtual", ["layanan", "referensi", "virtual"], "id"),
        ("I would be grateful for readings about virtual reference services", ["virtual", "reference", "services"], "en"),
        ("permisi pak, ada bahan tentang pengelolaan arsip dinamis?", ["pengelolaan", "arsip", "dinamis"], "id"),
    ],
)
def test_content_terms_without_courtesy(text: str, terms: list[str], language: str, detect: LanguageDetector) -> None:
    need = parse_need(text, current_year=NOW, detect=detect)
    assert [t.text for t in need.terms] == terms
    assert need.language == language
    assert need.raw == text


@pytest.mark.parametrize(
    ("text", "year_from", "year_to"),
    [
        ("referensi literasi informasi yang 5 tahun terakhir", 2022, None),
        ("buku manajemen perpustakaan terbitan 2020", 2020, 2020),
        ("jurnal perpustakaan digital setelah 2015", 2016, None),
        ("artikel minat baca sejak 2018", 2018, None),
        ("studies of library anxiety since 2010", 2010, None),
        ("papers on bibliometrics published in the last 10 years", 2017, None),
        ("sejarah perpustakaan sebelum 2000", None, 1999),
        ("information seeking behaviour between 2005 and 2012", 2005, 2012),
        ("katalogisasi 2010-2015", 2010, 2015),
        ("literasi digital", None, None),
    ],
)
def test_year_constraints(text: str, year_from: int | None, year_to: int | None) -> None:
    need = parse_need(text, current_year=NOW)
    assert (need.year_from, need.year_to) == (year_from, year_to)
    assert all(not t.text.isdigit() for t in need.terms)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("buku tentang katalogisasi", {Kind.BOOK}),
        ("jurnal atau artikel tentang literasi media", {Kind.ARTICLE}),
        ("skripsi tentang layanan perpustakaan sekolah", {Kind.THESIS}),
        ("saya sedang menyusun skripsi tentang minat baca", set()),  # writing a thesis, not wanting one
        ("e-book research methods", {Kind.EBOOK}),
        ("journal articles on open access publishing", {Kind.ARTICLE}),
    ],
)
def test_wanted_kinds(text: str, kinds: set[Kind]) -> None:
    assert set(parse_need(text, current_year=NOW).kinds) == kinds


@pytest.mark.parametrize(
    ("text", "languages", "open_access"),
    [
        ("buku literasi informasi bahasa Indonesia saja", {"id"}, False),
        ("artikel tentang perpustakaan digital dalam bahasa Inggris", {"en"}, False),
        ("open access articles on scholarly communication in English", {"en"}, True),
        ("jurnal gratis tentang literasi kesehatan", set(), True),
    ],
)
def test_language_and_open_access_wishes(text: str, languages: set[str], open_access: bool) -> None:
    need = parse_need(text, current_year=NOW)
    assert set(need.languages) == languages
    assert need.open_access is open_access
    assert "bahasa" not in need.query_text and "english" not in need.query_text


def test_phrases_follow_what_the_patron_wrote_together() -> None:
    need = parse_need('cari "sistem temu kembali informasi" dan literasi digital', current_year=NOW)
    assert need.phrases[0] == "sistem temu kembali informasi"
    assert "literasi digital" in need.phrases
    assert "informasi literasi" not in need.phrases  # words split by removed noise are not a phrase


def test_mixed_language_and_unclear_fall_back() -> None:
    assert parse_need("buku information retrieval dong", current_year=NOW).language == "id"
    assert parse_need("saya cari books about cataloging", current_year=NOW).language == "mixed"
    assert parse_need("bibliometrik", "en", current_year=NOW).language == "en"
