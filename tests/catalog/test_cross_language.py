"""A patron's Indonesian words find the library's English books, and the reverse.

The catalog is built with ``refbot index build`` from a small CSV export and searched with
``refbot index search``, as a cataloger would try it: each record below can only be reached
through the subject vocabulary (:mod:`refbot.catalog.vocabulary`), since it shares no word
with the need.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from refbot.config import CatalogSettings, Settings
from tests.catalog.conftest import csv_rows, write
from tests.catalog.test_cli import run

CATALOG = (
    'e1,Hypertension in older adults,"Rahman, A.",2020,Springer,,,Hypertension,Blood pressure control in people over 65.,616.132 RAH h,eng,book,1,1,Lantai 3,',
    'e2,Managing a river catchment area,"Smith, J.",2018,Routledge,,,Catchment areas,Land use and erosion upstream.,333.91 SMI m,eng,book,1,1,Lantai 3,',
    'e3,The librarian\'s role in the digital age,"Evans, G.",2015,ALA,,,Librarians,Skills for a changing profession.,020.92 EVA l,eng,book,1,1,Lantai 2,',
    'i1,Perubahan iklim dan ketahanan pangan,"Sutanto, B.",2021,Gramedia,,,Perubahan iklim,Dampak bagi petani padi.,577.22 SUT p,ind,buku,1,1,Lantai 3,',
    'i2,Kecerdasan buatan untuk pendidikan,"Wijaya, C.",2022,Andi,,,Kecerdasan buatan,Penerapan di sekolah.,006.3 WIJ k,ind,buku,1,1,Lantai 2,',
    'i3,Penanggulangan tuberkulosis paru,"Lestari, D.",2019,EGC,,,Tuberkulosis,Kepatuhan pasien berobat.,616.995 LES p,ind,buku,1,1,Lantai 3,',
    'x1,Sejarah pers di Indonesia,"Hasan, E.",2010,Kompas,,,Pers,Surat kabar sejak masa kolonial.,079.598 HAS s,ind,buku,1,1,Lantai 1,',
)  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings whose index folder and store live in tmp_path, with the catalog above built."""
    built = Settings(catalog=CatalogSettings(index_dir="indexes/catalog", keep_generations=2), base_dir=str(tmp_path))
    assert run(["index", "build", str(write(tmp_path / "katalog.csv", csv_rows(*CATALOG)))], built) == 0
    return built


def search(text: str, settings: Settings, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines `refbot index search` prints for the results, best first."""
    capsys.readouterr()
    assert run(["index", "search", text, "--limit", "3"], settings) == 0
    return capsys.readouterr().out.splitlines()[1:]


@pytest.mark.parametrize(
    ("need", "title"),
    [
        ("tolong carikan buku tentang tekanan darah tinggi", "Hypertension in older adults"),
        ("ada referensi pengelolaan daerah aliran sungai?", "Managing a river catchment area"),
        ("saya cari buku hipertensi", "Hypertension in older adults"),
    ],
)
def test_an_indonesian_need_finds_english_books(
    need: str, title: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert title in search(need, settings, capsys)[0]


@pytest.mark.parametrize(
    ("need", "title"),
    [
        ("any books on climate change?", "Perubahan iklim dan ketahanan pangan"),
        ("I need something about artificial intelligence", "Kecerdasan buatan untuk pendidikan"),
        ("tuberculosis", "Penanggulangan tuberkulosis paru"),
    ],
)
def test_an_english_need_finds_indonesian_books(
    need: str, title: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert title in search(need, settings, capsys)[0]


def test_a_generic_word_reaches_no_book_in_the_other_language(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # "peran" (role) is a word of every other thesis title: translated, it would bring up
    # any English book with "role" in it. The wordnets even give it a wrong sense (garret).
    lines = search("buku tentang peran", settings, capsys)
    assert not any("role" in line for line in lines)
