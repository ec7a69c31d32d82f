"""Indonesian and English names for the same library subject, so either finds the other.

A patron writes "temu kembali informasi"; the catalog holds "Information retrieval: a
practical guide". The pairs below are the vocabulary of library and information science and
of the fields academic libraries are asked about most, with English spelling variants. They
are matched on analysed words (stems, stop words dropped), so "perpustakaan" also meets
"kepustakaan"'s root and "libraries" meets "library".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Set

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

_LONGEST = 4


@functools.cache
def _analyzer() -> Analyzer:
    return catalog_analyzer()


@functools.cache
def _table() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Analysed words of each name → the other names of the same subject."""
    analyzer = _analyzer()
    table: dict[tuple[str, ...], list[str]] = {}
    for a, b in PAIRS:
        for source, target in ((a, b), (b, a)):
            key = tuple(analyze(analyzer, source))
            if key and tuple(analyze(analyzer, target)) != key:
                table.setdefault(key, []).append(target)
    return {key: tuple(dict.fromkeys(targets)) for key, targets in table.items()}


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
