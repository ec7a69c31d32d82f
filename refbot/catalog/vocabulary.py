"""Indonesian and English names for the same library subject, so either finds the other.

A patron writes "temu kembali informasi"; the catalog holds "Information retrieval: a
practical guide". A patron writes "tekanan darah tinggi"; the library's English books say
"hypertension". Two sources name the subjects:

- :data:`PAIRS`, written here: the vocabulary of library and information science and of
  the fields academic libraries are asked about most, with English spelling variants. They
  come first.
- ``data/subjects-id-en.txt``: some 23,000 names (10,000 of them phrases) from Wordnet Bahasa (MIT) joined with
  Princeton WordNet 3.0 over their shared synsets, filtered to subject phrases and specific
  words ("hipertensi" ↔ "hypertension", "daerah aliran sungai" ↔ "catchment area"; never
  "sistem" or "pengaruh"). ``tools/build_vocabulary.py`` rebuilds it; its header and
  ``data/PROVENANCE.txt`` say from what (:func:`provenance`).

Names are matched on analysed words (stems, stop words dropped), so "perpustakaan" also
meets "kepustakaan"'s root and "libraries" meets "library". The data file holds each name's
analysed words as refbot's analyzer made them when it was built, so loading it costs a read,
not 23,000 analyses (a sample is checked; when the analyzer has changed since, every name is
analysed again, with a warning, and ``tests/catalog/test_vocabulary.py`` fails until the
file is rebuilt).

Only what the patron wrote is looked up here; :mod:`refbot.catalog.query` decides which of
the other names are searched (specific words only, at half weight).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass
from importlib import resources

from whoosh.analysis import Analyzer

from refbot.catalog.analysis import analyze, catalog_analyzer

PAIRS: tuple[tuple[str, str], ...] = (
    # libraries and librarianship
    ("perpustakaan", "library"), ("pustakawan", "librarian"), ("kepustakawanan", "librarianship"),
    ("ilmu perpustakaan", "library science"), ("ilmu informasi", "information science"),
    ("perpustakaan digital", "digital library"), ("perpustakaan perguruan tinggi", "academic library"),
    ("perpustakaan sekolah", "school library"), ("perpustakaan umum", "public library"),
    ("perpustakaan khusus", "special library"), ("perpustakaan nasional", "national library"),
    ("jaringan perpustakaan", "library network"), ("kerja sama perpustakaan", "library cooperation"),
    ("otomasi perpustakaan", "library automation"), ("otomasi", "automation"),
    ("gedung perpustakaan", "library building"), ("pemasaran perpustakaan", "library marketing"),
    ("pemustaka", "library user"), ("pengguna perpustakaan", "library user"), ("pengguna", "user"),
    ("kepuasan pemustaka", "user satisfaction"), ("pendidikan pemakai", "user education"),
    ("kualitas layanan", "service quality"), ("layanan perpustakaan", "library service"),
    ("layanan referensi", "reference service"), ("layanan referensi virtual", "virtual reference service"),
    ("sirkulasi", "circulation"), ("peminjaman antarperpustakaan", "interlibrary loan"),
    ("pengembangan koleksi", "collection development"), ("pengadaan", "acquisition"),
    ("terbitan berseri", "serials"), ("majalah", "periodical"), ("surat kabar", "newspaper"),
    ("naskah kuno", "manuscript"), ("buku langka", "rare book"),
    # organising knowledge
    ("katalogisasi", "cataloging"), ("klasifikasi", "classification"), ("pengindeksan", "indexing"),
    ("tajuk subjek", "subject heading"), ("kosakata terkendali", "controlled vocabulary"),
    ("tesaurus", "thesaurus"), ("metadata", "metadata"), ("abstrak", "abstract"),
    ("temu kembali informasi", "information retrieval"),
    ("sistem temu kembali informasi", "information retrieval system"),
    ("penelusuran informasi", "information searching"), ("mesin pencari", "search engine"),
    ("basis data", "database"), ("pangkalan data", "database"),
    # information behaviour and literacy
    ("literasi informasi", "information literacy"), ("literasi digital", "digital literacy"),
    ("literasi media", "media literacy"), ("minat baca", "reading interest"),
    ("kebiasaan membaca", "reading habit"), ("budaya baca", "reading culture"),
    ("perilaku pencarian informasi", "information seeking behavior"),
    ("kebutuhan informasi", "information needs"), ("manajemen pengetahuan", "knowledge management"),
    # scholarly communication
    ("bibliometrika", "bibliometrics"), ("bibliometrik", "bibliometrics"), ("sitasi", "citation"),
    ("analisis sitasi", "citation analysis"), ("komunikasi ilmiah", "scholarly communication"),
    ("publikasi ilmiah", "scholarly publishing"), ("penerbitan", "publishing"),
    ("akses terbuka", "open access"), ("repositori institusi", "institutional repository"),
    ("jurnal elektronik", "electronic journal"), ("sumber daya elektronik", "electronic resources"),
    ("hak cipta", "copyright"), ("plagiarisme", "plagiarism"), ("etika informasi", "information ethics"),
    # archives and preservation
    ("arsip", "archives"), ("kearsipan", "archival"), ("manajemen arsip", "records management"),
    ("pelestarian", "preservation"), ("preservasi digital", "digital preservation"),
    ("digitalisasi", "digitization"),
    # technology
    ("teknologi informasi", "information technology"), ("sistem informasi", "information system"),
    ("kecerdasan buatan", "artificial intelligence"), ("pembelajaran mesin", "machine learning"),
    ("pemrosesan bahasa alami", "natural language processing"), ("bahasa alami", "natural language"),
    ("jaringan komputer", "computer network"), ("perangkat lunak", "software"),
    # research and common fields
    ("metode penelitian", "research methods"), ("penelitian kualitatif", "qualitative research"),
    ("penelitian kuantitatif", "quantitative research"), ("evaluasi", "evaluation"),
    ("kinerja", "performance"), ("anggaran", "budget"), ("pendidikan", "education"),
    ("kesehatan", "health"), ("kedokteran", "medicine"), ("ekonomi", "economics"), ("hukum", "law"),
    ("pertanian", "agriculture"), ("kimia", "chemistry"), ("anak", "children"), ("remaja", "adolescents"),
    ("mahasiswa", "university students"), ("siswa", "students"), ("pemerintah", "government"),
    # English spelling variants
    ("cataloging", "cataloguing"), ("behavior", "behaviour"), ("organization", "organisation"),
    ("digitization", "digitisation"), ("catalog", "catalogue"), ("program", "programme"),
)  # fmt: skip

DATA_FILE = "subjects-id-en.txt"
"""The built vocabulary, in ``refbot/catalog/data/``."""
PROBE_EVERY = 200
"""Every this many names of the data file are analysed again when it is loaded, to see that
refbot's analyzer still makes the words the file holds."""
_LONGEST = 4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One name from the data file: as written, as analysed at build time, its other names and their synsets."""

    name: str
    words: tuple[str, ...]
    others: tuple[str, ...]
    synsets: tuple[str, ...]


@dataclass(frozen=True)
class Provenance:
    """Where the data file came from, read from its header.

    Attributes:
        sources: each source with its release and checksum.
        licences: each source's licence, in the same order.
        built_by: the script that built the file.
        rows: how many names the file holds.
    """

    sources: tuple[str, ...]
    licences: tuple[str, ...]
    built_by: str
    rows: int


def _text() -> str:
    return (resources.files("refbot.catalog") / "data" / DATA_FILE).read_text(encoding="utf-8")


def provenance() -> Provenance:
    """The sources, licences and build script of the shipped vocabulary (its header)."""
    header: dict[str, list[str]] = {}
    for line in _text().splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(": ")
        header.setdefault(key, []).append(value)
    return Provenance(
        sources=tuple(header.get("source", ())),
        licences=tuple(header.get("source-licence", ())),
        built_by=header.get("built-by", [""])[0],
        rows=int(header.get("rows", ["0"])[0]),
    )


def entries() -> Iterator[Entry]:
    """The data file's names, in file order."""
    for name, words, others, synsets in _rows():
        yield Entry(name, tuple(words.split(" ")), tuple(others.split("|")), tuple(synsets.split("|")))


def _rows() -> list[list[str]]:
    return [line.split("\t") for line in _text().splitlines() if line and not line.startswith("#")]


@functools.cache
def _analyzer() -> Analyzer:
    return catalog_analyzer()


@functools.cache
def _table() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Analysed words of each name → the other names of the same subject (the hand-written pairs first)."""
    analyzer = _analyzer()
    table: dict[tuple[str, ...], list[str]] = {}
    for a, b in PAIRS:
        for source, target in ((a, b), (b, a)):
            key = tuple(analyze(analyzer, source))
            if key and tuple(analyze(analyzer, target)) != key:
                table.setdefault(key, []).append(target)
    for key, others in _data_names(analyzer):
        table.setdefault(key, []).extend(others.split("|"))
    return {key: tuple(dict.fromkeys(targets)) for key, targets in table.items()}


def _data_names(analyzer: Analyzer) -> Iterator[tuple[tuple[str, ...], str]]:
    """(analysed words, other names joined by |) of each name in the data file.

    The file's analysed words are used as they are when a sample of them still comes out
    of the analyzer alike; otherwise (refbot's analyzer changed since the file was built)
    every name is analysed again, which takes seconds, and a warning says to rebuild.
    """
    rows = _rows()
    stale = any(tuple(analyze(analyzer, row[0])) != tuple(row[1].split(" ")) for row in rows[::PROBE_EVERY])
    if stale:
        log.warning(
            "%s was built with another analyzer; analysing its names again (rebuild it with %s)",
            DATA_FILE,
            provenance().built_by,
        )
    for name, words, others, _ in rows:
        key = tuple(analyze(analyzer, name)) if stale else tuple(words.split(" "))
        if key:
            yield key, others


def translations(text: str, within: Set[str] = frozenset()) -> list[tuple[tuple[str, ...], str]]:
    """The other names of every subject named in ``text``, longest names first.

    Returns (the subject's analysed words as found, one other name) pairs.

    Args:
        text: the patron's words.
        within: when given, only subjects whose analysed words are all in it count (the
            need's content words, so a courtesy phrase never gets translated).

    A subject inside a longer one that matched ("informasi" in "literasi informasi") is not
    translated again on its own.
    """
    table = _table()
    found: list[tuple[tuple[str, ...], str]] = []
    for part in re.split(r"[.,;:!?()\[\]/\n]", text):
        words = analyze(_analyzer(), part)
        covered = [False] * len(words)
        for n in range(min(_LONGEST, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                targets = table.get(tuple(words[i : i + n]))
                if targets and not all(covered[i : i + n]) and (not within or set(words[i : i + n]) <= within):
                    found.extend((tuple(words[i : i + n]), target) for target in targets)
                    covered[i : i + n] = [True] * n
    return list(dict.fromkeys(found))
