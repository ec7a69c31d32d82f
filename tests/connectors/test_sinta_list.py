"""The library's SINTA list: what a librarian's CSV gives, and what a bad row tells them."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import aiohttp
import pytest

from refbot.catalog.journals.accreditation import Reading, answer, item_marks, labels
from refbot.catalog.journals.sinta import DEMO_LIST, SintaFile, parse_list, read_list
from refbot.config import load_settings
from refbot.errors import ConfigError
from refbot.models import Candidate, Kind
from refbot.store import Store
from refbot.wiring import accredited

GOOD = """issn,eissn,title,sinta_rank,decree,valid_until
1907-4239,2503-1864,Berkala Literasi Informasi,2,105/E/KPT/2022,2029-12-31
,2548-771X,Jurnal Kepustakawanan Nusantara,SINTA 3,79/E/KPT/2023,30/06/2028
2355-9020,,Jurnal Minat Baca dan Budaya Literasi,s4,204/E/KPT/2022,
"""
TODAY = datetime.date(2026, 12, 3)


def test_a_good_list_gives_each_journal_by_either_issn() -> None:
    found = parse_list(GOOD, TODAY)
    assert found.problems == ()
    assert [(e.title, e.rank) for e in found.entries] == [
        ("Berkala Literasi Informasi", 2), ("Jurnal Kepustakawanan Nusantara", 3),
        ("Jurnal Minat Baca dan Budaya Literasi", 4)]
    entry = found.find(["2503-1864"])
    assert entry is not None and entry.decree == "105/E/KPT/2022" and entry.valid_until == datetime.date(2029, 12, 31)
    assert found.find(["2548771x"]) is not None  # written without the hyphen, lower-case x
    assert found.find(["2088-6306"]) is None


def test_excel_saves_with_semicolons_a_byte_order_mark_and_capitalised_headers(tmp_path: Path) -> None:
    path = tmp_path / "sinta.csv"
    text = "\ufeffISSN;EISSN;Title;SINTA_Rank;Decree;Valid_Until\n1907-4239;;Berkala Literasi Informasi;2;105/E/KPT/2022;31-12-2029\n"
    path.write_bytes(text.encode("utf-8"))
    found = read_list(path)
    assert found.problems == () and found.find(["1907-4239"]) is not None
    assert found.updated == datetime.date.fromtimestamp(os.stat(path).st_mtime)


def test_each_bad_row_is_left_out_with_its_line_and_what_is_wrong() -> None:
    text = GOOD + "\n".join([
        "# a librarian's note is not a row",
        "1907-4238,,Typo Journal,2,1/E/KPT/2024,2029-01-01",      # line 6: wrong check digit
        "2088-6306,,Jurnal Dokumentasi,7,164/E/KPT/2021,2027-01-01",  # line 7: no such rank
        "2187-445X,,,3,,next year",                                 # line 8: three things at once
        "1544-7189,2503-1864,Copied Twice,2,9/E/KPT/2024,",         # line 9: an ISSN already on line 2
        ",,No ISSN,2,9/E/KPT/2024,",                                # line 10
    ]) + "\n"
    found = parse_list(text, TODAY)
    assert len(found.entries) == 3
    assert found.problems == (
        "line 6: issn '1907-4238' has a wrong check digit (a typo?)",
        "line 7: sinta_rank '7' is not 1–6",
        "line 8: title is empty; decree is empty (the number of the Director General's decree);"
        " valid_until 'next year' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        "line 9: ISSN 2503-1864 is already on line 2",
        "line 10: no issn or eissn",
    )
    # A journal whose row was left out is "unknown" on the list, never "not on it".
    assert found.unsure(["2088-6306"]) and found.unsure(["1544-7189"]) and not found.unsure(["2049-6036"])
    assert labels(None, found, ("2088-6306",), TODAY, doaj_asked=False) == ("SINTA unknown",)


@pytest.mark.parametrize(("text", "said"), [
    ("", "is empty"),
    ("issn,title,decree\n1907-4239,X,1/E/KPT/2024\n", "the header lacks sinta_rank"),
    ("title,sinta_rank,decree\nX,2,1/E\n", "the header lacks issn or eissn"),
])
def test_a_list_that_cannot_be_used_stops_start_up_naming_the_setting(text: str, said: str) -> None:
    with pytest.raises(ConfigError, match=r"journals\.sinta_csv") as raised:
        parse_list(text, TODAY)
    assert said in str(raised.value)


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"journals\.sinta_csv.*cannot read"):
        SintaFile(tmp_path / "nowhere.csv").load()


async def test_a_saved_new_version_is_read_without_a_restart_and_a_broken_one_keeps_the_last(tmp_path: Path) -> None:
    path = tmp_path / "sinta.csv"
    path.write_text(GOOD, encoding="utf-8")
    sinta = SintaFile(path)
    sinta.load()
    path.write_text(GOOD.replace("Berkala Literasi Informasi,2,", "Berkala Literasi Informasi,1,"), encoding="utf-8")
    os.utime(path, (1_900_000_000, 1_900_000_000))  # a later save, whatever the file system's clock resolution
    now = await sinta.current()
    assert now is not None and (entry := now.find(["1907-4239"])) is not None and entry.rank == 1
    path.write_text("no header here\n", encoding="utf-8")
    os.utime(path, (1_900_000_100, 1_900_000_100))
    kept = await sinta.current()
    assert kept is not None and (entry := kept.find(["1907-4239"])) is not None and entry.rank == 1


def test_the_demo_list_is_marked_as_demo_data_and_reads_cleanly() -> None:
    text = DEMO_LIST.read_text(encoding="utf-8")
    assert text.startswith("# DEMO DATA, NOT A REAL SINTA LIST")
    found = read_list(DEMO_LIST)
    assert found.problems == () and all("(demo)" in e.decree for e in found.entries)
    assert found.find(["1907-4239"]) is not None


def test_item_lines_show_only_what_vets_an_article_and_the_journal_gets_the_whole_answer() -> None:
    sinta = parse_list(GOOD, datetime.date(2026, 11, 1))
    listed = labels(True, sinta, ("1907-4239", "2503-1864"), TODAY, doaj_asked=True)
    article = Candidate("crossref", "10.5555/x", Kind.ARTICLE, "A", issn=("1907-4239",), accreditation=listed)
    assert item_marks(article, "id") == ["DOAJ ✓", "SINTA 2"]
    journal = Candidate("crossref", "issn:1907-4239", Kind.JOURNAL, "Berkala", accreditation=listed)
    assert item_marks(journal, "en") == [
        "Accreditation: SINTA 2 (Director General's decree no. 105/E/KPT/2022, valid until 31 Dec 2029); listed in DOAJ"]

    nowhere = labels(False, sinta, ("1544-7189",), TODAY, doaj_asked=True)
    assert nowhere == ("not in DOAJ", "not in SINTA list 2026-11-01")
    assert answer(Reading.of(nowhere), "en") == (
        "Accreditation: not in the library's SINTA list (updated 1 Nov 2026); not in DOAJ")
    unvetted = Candidate("crossref", "10.5555/y", Kind.ARTICLE, "B", issn=("1544-7189",), accreditation=nowhere)
    assert item_marks(unvetted, "id") == []  # an article line does not list what a journal is not


def test_an_accreditation_past_its_end_is_not_shown_as_a_rank() -> None:
    expired = parse_list(GOOD.replace("2029-12-31", "2025-06-30"), TODAY)
    found = labels(None, expired, ("1907-4239",), TODAY, doaj_asked=True)
    assert found[:2] == ("DOAJ unknown", "SINTA 2 expired 2025-06-30")
    article = Candidate("crossref", "10.5555/x", Kind.ARTICLE, "A", issn=("1907-4239",), accreditation=found)
    assert item_marks(article, "id") == []
    assert "berakhir 30 Jun 2025" in answer(Reading.of(found), "id")


async def test_a_configured_list_that_is_missing_stops_the_desk_naming_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("journals:\n  sinta_csv: lists/sinta.csv\n", encoding="utf-8")
    settings = load_settings(config, env={})
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(ConfigError, match=r"journals\.sinta_csv.*lists/sinta\.csv"):
                accredited(settings, store, session, [])
            (tmp_path / "lists").mkdir()
            (tmp_path / "lists" / "sinta.csv").write_text(GOOD, encoding="utf-8")  # relative to config.yaml
            assert accredited(settings, store, session, []) == []
    finally:
        await store.close()


def test_a_doaj_address_that_is_no_url_is_refused_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("journals:\n  doaj: true\n  doaj_base_url: doaj.org/api\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"journals\.doaj_base_url"):
        load_settings(config, env={})
