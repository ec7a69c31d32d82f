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
        ("buku literasi dari tahun 2015 sampai sekarang", 2015, None),
        ("reading habits since 2015 until now", 2015, None),
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


def test_a_bare_identifier_is_answered_in_the_librarys_language(detect: LanguageDetector) -> None:
    # "ISSN 1907-4239" says nothing of a language: the detector must not be asked to guess from it.
    for bare in ("ISSN 1907-4239", "isbn 978-602-03-1234-5", "10.1016/j.lisr.2020.101234"):
        assert parse_need(bare, "id", current_year=NOW, detect=detect).language == "id", bare
        assert parse_need(bare, "en", current_year=NOW, detect=detect).language == "en", bare
    assert parse_need("journal ISSN 1907-4239 indexed in Scopus?", "id", current_year=NOW, detect=detect).language == "en"


# -- more real-style phrasings ------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # Indonesian: greetings, apologies, forms of address, particles and request verbs go
        ("Selamat pagi kak, mohon maaf mengganggu, mau tanya ada buku tentang manajemen arsip elektronik?",
         ["manajemen", "arsip", "elektronik"]),
        ("min ada jurnal ttg literasi digital gak? yg open access aja", ["literasi", "digital"]),
        ("Permisi bu, saya butuh referensi buku metodologi penelitian kualitatif terbitan 2015 ke atas",
         ["metodologi", "penelitian", "kualitatif"]),
        ("tolong carikan artikel ilmiah mengenai perpustakaan sekolah dasar dong, makasih kak",
         ["perpustakaan", "sekolah", "dasar"]),
        ("Assalamualaikum, saya sedang mengerjakan tugas akhir tentang sistem informasi perpustakaan, bisa dibantu?",
         ["sistem", "informasi", "perpustakaan"]),
        ("min, minta tolong carikan bahan tentang layanan referensi virtual di perpustakaan perguruan tinggi ya",
         ["layanan", "referensi", "virtual", "perpustakaan", "perguruan", "tinggi"]),
        ("ada buku referensi tentang katalogisasi?", ["katalogisasi"]),
        ("halo min, ada info tentang beasiswa?", ["beasiswa"]),
        ("buku karangan Sulistyo-Basuki tentang pengantar ilmu perpustakaan",
         ["sulistyo-basuki", "pengantar", "ilmu", "perpustakaan"]),
        ("kak cari buku pembelajaran bahasa inggris untuk anak", ["pembelajaran", "bahasa", "inggris", "anak"]),
        # English: greetings, thanks, "I would be grateful", "could you help me find" go
        ("Hi! Could you help me find books about the history of libraries in Southeast Asia? Thank you so much.",
         ["history", "libraries", "southeast", "asia"]),
        ("Do you have any theses on library anxiety among first-year students?",
         ["library", "anxiety", "first-year", "students"]),
        ("Can you recommend a textbook on statistics for social sciences?", ["statistics", "social", "sciences"]),
        ("Dear librarian, I would be grateful for any open access papers on research data management.",
         ["research", "data", "management"]),
        ("Good afternoon, I'm writing my dissertation on citation analysis of Indonesian journals; any literature?",
         ["citation", "analysis", "indonesian", "journals"]),
        ("Good evening, do you have anything about research methods in library science?",
         ["research", "methods", "library", "science"]),
        ("I am seeking information on the use of data processing in libraries", ["use", "data", "processing", "libraries"]),
        ("materials on teaching information literacy to undergraduates",
         ["teaching", "information", "literacy", "undergraduates"]),
        # request words that are part of a topic after a content word stay
        ("information seeking behaviour of graduate students", ["information", "seeking", "behaviour", "graduate", "students"]),
        ("information needs of rural communities", ["information", "needs", "rural", "communities"]),
        ("I need books", []),
    ],
)
def test_content_terms_in_many_phrasings(text: str, terms: list[str]) -> None:
    assert [t.text for t in parse_need(text, current_year=NOW).terms] == terms


@pytest.mark.parametrize(
    ("text", "year_from", "year_to"),
    [
        ("buku layanan sirkulasi dalam 3 tahun terakhir", 2024, None),
        ("jurnal literasi digital sepuluh tahun terakhir", 2017, None),
        ("artikel terbitan tahun ini tentang kecerdasan buatan", 2026, 2026),
        ("metodologi penelitian 2015 ke atas", 2015, None),
        ("jurnal literasi media 2019 ke bawah", None, 2019),
        ("skripsi perpustakaan sekolah mulai tahun 2017", 2017, None),
        ("buku perpustakaan digital, 2018-2023", 2018, 2023),
        ("referensi literasi informasi antara 2010 dan 2020", 2010, 2020),
        ("buku katalogisasi tahun 1990-an", 1990, 1999),
        ("jurnal bibliometrika dekade terakhir", 2017, None),
        ("buku terbaru tentang perpustakaan digital", 2022, None),
        ("papers on bibliometrics newer than 2019", 2020, None),
        ("books published before 1990 on library history", None, 1989),
        ("open access repositories from 2015 onwards", 2015, None),
        ("citation analysis over the past decade", 2017, None),
        ("studies of library anxiety in the last three years", 2024, None),
        ("the latest research on reading habits", 2022, None),
        ("library automation in the 1980s", 1980, 1989),
    ],
)
def test_more_year_constraints(text: str, year_from: int | None, year_to: int | None) -> None:
    need = parse_need(text, current_year=NOW)
    assert (need.year_from, need.year_to) == (year_from, year_to)
    assert all(not t.text.isdigit() and t.text not in ("onwards", "terakhir", "decade") for t in need.terms)


@pytest.mark.parametrize(
    ("text", "kinds", "terms"),
    [
        # a kind word where the request starts is a wish …
        ("buku manajemen perpustakaan", {Kind.BOOK}, ["manajemen", "perpustakaan"]),
        ("ada jurnal ttg literasi digital?", {Kind.ARTICLE}, ["literasi", "digital"]),
        ("cari skripsi tentang kepuasan pemustaka", {Kind.THESIS}, ["kepuasan", "pemustaka"]),
        ("ada e-book metode penelitian kualitatif?", {Kind.EBOOK}, ["metode", "penelitian", "kualitatif"]),
        ("prosiding seminar nasional perpustakaan", {Kind.PROCEEDINGS}, ["seminar", "nasional", "perpustakaan"]),
        ("any peer-reviewed articles on library anxiety", {Kind.ARTICLE}, ["library", "anxiety"]),
        ("I need a handbook of cataloging", {Kind.BOOK}, ["cataloging"]),
        ("do you have theses or dissertations about archives", {Kind.THESIS}, ["archives"]),
        # … but after a content word or a preposition it is part of the topic
        ("distribution of scientific journals", set(), ["distribution", "scientific", "journals"]),
        ("minat baca buku pada anak", set(), ["minat", "baca", "buku", "anak"]),
        ("use of books in libraries", set(), ["use", "books", "libraries"]),
        ("retrieving articles from approximate titles", set(), ["retrieving", "articles", "approximate", "titles"]),
        ("saya sedang menyusun skripsi tentang minat baca", set(), ["minat", "baca"]),
        ("Writing my thesis on open access mandates", set(), ["open", "access", "mandates"]),
    ],
)
def test_a_kind_word_is_a_wish_or_a_topic_by_its_neighbours(text: str, kinds: set[Kind], terms: list[str]) -> None:
    need = parse_need(text, current_year=NOW)
    assert set(need.kinds) == kinds
    assert [t.text for t in need.terms] == terms


@pytest.mark.parametrize(
    ("text", "languages", "open_access", "terms"),
    [
        ("butuh jurnal bahasa indonesia tentang pengembangan koleksi", {"id"}, False, ["pengembangan", "koleksi"]),
        ("e-book tentang kecerdasan buatan dalam bahasa inggris", {"en"}, False, ["kecerdasan", "buatan"]),
        ("kak cari buku pembelajaran bahasa inggris", set(), False, ["pembelajaran", "bahasa", "inggris"]),
        ("Looking for something on rare books, preferably in Indonesian", {"id"}, False, ["rare", "books"]),
        ("I need recent journal articles about digital preservation, English only please", {"en"}, False,
         ["digital", "preservation"]),
        ("English literature of the romantic period", set(), False, ["english", "literature", "romantic", "period"]),
        ("saya cari buku literasi keuangan, kalau bisa yang gratis", set(), True, ["literasi", "keuangan"]),
        ("any free ebooks on python programming?", set(), True, ["python", "programming"]),
        ("artikel full text tentang literasi kesehatan", set(), True, ["literasi", "kesehatan"]),
        ("jurnal akses terbuka tentang pendidikan", set(), True, ["pendidikan"]),
        # "free" and "open access" in a topic are not a wish
        ("books on free and open source software for libraries", set(), False,
         ["free", "open", "source", "software", "libraries"]),
        ("artikel tentang open access publishing di Indonesia", set(), False, ["open", "access", "publishing", "indonesia"]),
        ("free text searching in online catalogs", set(), False, ["free", "text", "searching", "online", "catalogs"]),
    ],
)
def test_more_language_and_open_access_wishes(text: str, languages: set[str], open_access: bool, terms: list[str]) -> None:
    need = parse_need(text, current_year=NOW)
    assert (set(need.languages), need.open_access) == (languages, open_access)
    assert [t.text for t in need.terms] == terms


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("kak, ada buku tentang perpustakaan digital?", "id"),
        ("min cari jurnal literasi informasi dong", "id"),
        ("Hello, do you have any books about digital libraries?", "en"),
        ("I would be grateful for readings on bibliometrics", "en"),
        ("kak saya cari articles about information literacy yang terbaru", "mixed"),
        ("Hi kak, ada books tentang cataloging?", "mixed"),
    ],
)
def test_reply_language(text: str, language: str, detect: LanguageDetector) -> None:
    assert parse_need(text, current_year=NOW, detect=detect).language == language


@pytest.mark.parametrize(
    ("text", "heaviest"),
    [
        # repeated words carry the need: they weigh more (BM25's query term frequency)
        ("descriptive titles; retrieving articles from approximate titles; relevance of articles to their titles",
         "titles"),
        ("literasi informasi mahasiswa: bagaimana literasi informasi diajarkan", "literasi"),
        # otherwise the first words, which usually name the topic
        ("perpustakaan digital untuk sekolah", "perpustakaan"),
    ],
)
def test_weights_follow_repetition_then_order(text: str, heaviest: str) -> None:
    terms = parse_need(text, current_year=NOW).terms
    assert terms[0].text == heaviest
    assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)


def test_quoted_phrase_first_then_neighbours() -> None:
    need = parse_need('"temu kembali informasi" buat tugas kuliah', current_year=NOW)
    assert need.phrases[0] == "temu kembali informasi"
    assert [t.text for t in need.terms] == ["temu", "kembali", "informasi"]
