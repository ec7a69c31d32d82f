"""Live availability in real drafts: the Koha stand-in asked for the copies of what the catalog found."""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from refbot.catalog.index import build_index
from refbot.config import KohaSettings, Secret, Secrets
from refbot.models import Candidate, Holding, Kind
from refbot.pipeline.availability import reading, shelf_text
from refbot.sandbox.koha import KOHA_STATE, KohaState, create_koha_standin
from tests.conftest import APP_SECRET, LIBRARIAN, TOKEN, VERIFY_TOKEN, Desk, eventually, running_desk, serve

pytestmark = pytest.mark.slow
JAKARTA = datetime.timezone(datetime.timedelta(hours=7))
KOHA_ID, KOHA_SECRET = "refbot", "koha-secret"
# Two records exported when every copy was on the shelf; since then B0001 was checked out
# (the stand-in's seed: biblio 101 is on loan to a patron, 104 is not).
RECORDS = [("101", "Literasi informasi di perguruan tinggi", "B0001"),
           ("104", "Information literacy: a practical guide", "B0004")]


def marcxml(records: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"""<record><leader>00000nam a2200000 i 4500</leader>
<controlfield tag="001">{cn}</controlfield><controlfield tag="008">261120s2019    io            000 0 ind d</controlfield>
<datafield ind1="1" ind2="0" tag="245"><subfield code="a">{title}</subfield></datafield>
<datafield ind1=" " ind2=" " tag="650"><subfield code="a">Literasi informasi</subfield></datafield>
<datafield ind1=" " ind2=" " tag="942"><subfield code="c">BK</subfield></datafield>
<datafield ind1=" " ind2=" " tag="952"><subfield code="a">PUSAT</subfield><subfield code="b">PUSAT</subfield>
<subfield code="c">Koleksi Umum</subfield><subfield code="o">020 X</subfield><subfield code="p">{barcode}</subfield>
</datafield></record>"""
        for cn, title, barcode in records)
    return f'<?xml version="1.0" encoding="utf-8"?><collection xmlns="http://www.loc.gov/MARC21/slim">{body}</collection>'


@pytest.fixture
def exported_catalog(tmp_path: Path) -> Path:
    source = tmp_path / "export.xml"
    source.write_text(marcxml(RECORDS), encoding="utf-8")
    report = build_index([source], tmp_path / "index")
    assert report.indexed == 2
    return tmp_path / "index"


@contextlib.asynccontextmanager
async def koha_desk(tmp_path: Path, catalog: Path) -> AsyncIterator[tuple[Desk, KohaState, str]]:
    koha_app = create_koha_standin(KOHA_ID, KOHA_SECRET)
    koha_runner, koha_url = await serve(koha_app)
    secrets = Secrets(Secret(TOKEN), Secret(APP_SECRET), Secret(VERIFY_TOKEN),
                      koha_client_id=Secret(KOHA_ID), koha_client_secret=Secret(KOHA_SECRET))
    koha = KohaSettings(enabled=True, base_url=koha_url, timeout=10.0)
    try:
        async with running_desk(tmp_path, catalog, koha=koha, secrets=secrets) as desk:
            yield desk, koha_app[KOHA_STATE], koha_url
    finally:
        await koha_runner.cleanup()


async def draft_text(desk: Desk, after: int = 0) -> str:
    """The text of the next draft the first librarian received (the messages before its buttons)."""
    async def ready() -> str:
        sent = (await desk.sent_to(LIBRARIAN))[after:]
        ends = [n for n, m in enumerate(sent) if any(b["id"].startswith("approve:") for b in m["buttons"])]
        return "\n".join(m["text"] for m in sent[:ends[0]]) if ends else ""

    text: str = await eventually(ready, within=30, what="a draft to reach the librarian")
    return text


def item_line(draft: str, title: str) -> str:
    lines = draft.splitlines()
    at = next(n for n, line in enumerate(lines) if title in line)
    return lines[at + 1]


def minutes_around(before: datetime.datetime, after: datetime.datetime) -> set[str]:
    times, moment = set(), before.replace(second=0, microsecond=0)
    while moment <= after:
        times.add(moment.strftime("%H.%M"))
        moment += datetime.timedelta(minutes=1)
    return times


async def test_a_copy_checked_out_since_the_export_shows_as_on_loan_now(tmp_path: Path, exported_catalog: Path) -> None:
    async with koha_desk(tmp_path, exported_catalog) as (desk, koha, _url):
        before = datetime.datetime.now(JAKARTA)
        await desk.patron_says("buku literasi informasi")
        draft = await draft_text(desk)
        after = datetime.datetime.now(JAKARTA)
        on_loan = item_line(draft, "Literasi informasi di perguruan tinggi")
        due = koha.checkouts[11].due_date.astimezone(JAKARTA)
        assert "satu-satunya eksemplar sedang dipinjam, kembali" in on_loan, on_loan  # one copy: no "paling cepat"
        assert re.search(rf"kembali {due.day} \w+ \(dicek (\d\d\.\d\d)\)", on_loan)
        checked = re.search(r"dicek (\d\d\.\d\d)", on_loan)
        assert checked and checked[1] in minutes_around(before, after)
        shelf = item_line(draft, "Information literacy")
        assert "1 dari 1 eksemplar tersedia di rak sekarang (dicek" in shelf
        assert any("/api/v1/items" in call for call in koha.calls)


async def test_a_slow_library_system_leaves_the_exports_figure_marked_and_the_draft_on_time(
    tmp_path: Path, exported_catalog: Path,
) -> None:
    async with koha_desk(tmp_path, exported_catalog) as (desk, _koha, url):
        async with aiohttp.ClientSession() as http, http.post(f"{url}/_control", json={"delay": 8}) as resp:
            assert resp.status == 200
        built = datetime.datetime.now(JAKARTA)  # the index was built moments ago
        await desk.patron_says("buku literasi informasi")
        draft = await draft_text(desk)
        line = item_line(draft, "Literasi informasi di perguruan tinggi")
        months = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
        assert f"1 dari 1 eksemplar tersedia di rak (per data katalog {built.day} {months[built.month - 1]})" in line
        assert "dicek" not in draft


async def test_a_second_draft_within_minutes_asks_the_library_system_nothing(
    tmp_path: Path, exported_catalog: Path,
) -> None:
    async with koha_desk(tmp_path, exported_catalog) as (desk, koha, _url):
        await desk.patron_says("buku literasi informasi")
        first = await draft_text(desk)
        seen = len(await desk.sent_to(LIBRARIAN))
        koha.calls.clear()
        await desk.patron_says("information literacy guide", sender="6281200000077")
        second = await draft_text(desk, after=seen)
        assert not any("/items" in call for call in koha.calls), koha.calls
        assert "sekarang (dicek" in second and "sekarang (dicek" in first


def test_figures_are_worded_in_the_patrons_language() -> None:
    checked = "on loan, due 2026-12-05 | checked@2026-12-01T10:42+07:00"
    c = Candidate("catalog", "101", Kind.BOOK, "Buku", holdings=(Holding(barcode="B1", available=False, status=checked),
                                                               Holding(barcode="B2", available=True,
                                                                       status=" | checked@2026-12-01T10:42+07:00")))
    assert reading(c) is not None
    assert shelf_text(c, "en") == "1 of 2 copies on the shelf now (checked 10:42)"
    assert shelf_text(c, "id") == "1 dari 2 eksemplar tersedia di rak sekarang (dicek 10.42)"
    exported = Candidate("catalog", "101", Kind.BOOK, "Buku", holdings=(Holding(status=" | catalog@2026-12-01"),))
    assert shelf_text(exported, "id") == "1 dari 1 eksemplar tersedia di rak (per data katalog 1 Des)"
    assert shelf_text(exported, "en") == "1 of 1 copy on the shelf (as of the catalog data of 1 Dec)"
    plain = Candidate("catalog", "101", Kind.BOOK, "Buku", holdings=(Holding(),))
    assert reading(plain) is None and shelf_text(plain, "en") == "1 of 1 copy on the shelf"
