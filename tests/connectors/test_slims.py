"""SLiMS as the library system, against a real MariaDB holding SLiMS 9's schema (read with a read-only account)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from connectors.slims.library import SlimsLibrary, biblio_id, phone_numbers
from refbot.config import Secret, SlimsSettings
from refbot.errors import LibraryUnavailable
from refbot.ports import BY_LIBRARIAN
from refbot.sandbox.postgres import free_port
from tests.connectors.slims_data import ANDI, BUDI, MAYA, SITI, TODAY, seed
from tests.mariadb import READER, READER_PASSWORD, MariaDB, SlimsDatabase, mariadb  # noqa: F401

pytestmark = pytest.mark.slow
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


@pytest.fixture
def slims_db(mariadb: MariaDB) -> SlimsDatabase:  # noqa: F811
    db = mariadb.fresh_slims()
    seed(db)
    return db


def library(db: SlimsDatabase, *, password: str = READER_PASSWORD, port: int = 0, timeout: float = 5.0) -> SlimsLibrary:
    settings = SlimsSettings(enabled=True, host=db.host, port=port or db.port, database=db.name, user=READER,
                             timeout=timeout)
    return SlimsLibrary(settings, Secret(password), JAKARTA)


async def test_loans_are_the_open_ones_with_titles_and_due_dates_soonest_first(slims_db: SlimsDatabase) -> None:
    loans = await library(slims_db).loans(SITI)
    assert [(loan.barcode, loan.title) for loan in loans] == [
        ("S0003", "Pengantar ilmu perpustakaan"), ("S0001", "Literasi informasi di perguruan tinggi")]
    overdue, due_soon = loans
    now = datetime.datetime.now(JAKARTA)
    assert overdue.overdue(now) and not due_soon.overdue(now)
    assert due_soon.due is not None and due_soon.due.date() == TODAY + datetime.timedelta(days=5)
    assert due_soon.due.hour == 23  # due by the end of the day, as SLiMS means it
    assert overdue.renewals == 1
    assert await library(slims_db).loans(ANDI) == []


async def test_fines_are_what_the_ledger_still_owes(slims_db: SlimsDatabase) -> None:
    siti = await library(slims_db).account(SITI)
    assert siti.balance == 4000
    assert [(f.description, f.amount) for f in siti.fines] == [("Keterlambatan S0002", 3000), ("denda 2025-11-20", 1000)]
    andi = await library(slims_db).account(ANDI)
    assert andi.balance == 0 and andi.fines == ()  # paid in full


@pytest.mark.parametrize(("whatsapp", "member"), [
    ("6281200000001", SITI),   # stored 0812-0000-0001
    ("6281200000002", ANDI),   # stored +62 812 0000 0002
    ("6281200000004", MAYA),   # the second of two numbers, written with dots
])
async def test_a_member_is_found_by_their_whatsapp_number_however_it_was_typed(
    slims_db: SlimsDatabase, whatsapp: str, member: str,
) -> None:
    found = await library(slims_db).patrons_by_phone(whatsapp)
    assert [p.cardnumber for p in found] == [member]


async def test_a_member_without_a_phone_is_found_by_card_only(slims_db: SlimsDatabase) -> None:
    slims = library(slims_db)
    budi = await slims.patron_by_card(BUDI)
    assert budi is not None and budi.name == "Budi Santoso" and budi.phones == ()
    assert await slims.patrons_by_phone("6281299999999") == []
    assert await slims.patron_by_card("M9999999") is None


async def test_renewing_is_left_to_a_librarian(slims_db: SlimsDatabase) -> None:
    slims = library(slims_db)
    loan = (await slims.loans(SITI))[0]
    renewal = await slims.renew(loan)
    assert not renewal.renewed and renewal.reason == BY_LIBRARIAN
    assert (await slims.loans(SITI))[0].due == loan.due  # nothing written


async def test_shelf_status_of_each_copy(slims_db: SlimsDatabase) -> None:
    copies = await library(slims_db).copies(["1", "oai:slims/4", "oai:perpus.example:slims-3", "77", "abc"])
    assert set(copies) == {"1", "oai:slims/4", "oai:perpus.example:slims-3"}
    first = {h.barcode: h for h in copies["1"]}
    assert not first["S0001"].available and first["S0001"].status == f"on loan, due {TODAY + datetime.timedelta(days=5)}"
    assert first["S0004"].available and first["S0004"].location == "Sirkulasi Lt. 2"
    fourth = {h.barcode: h for h in copies["oai:slims/4"]}
    assert fourth["S0005"].available and fourth["S0005"].status == "in-library use only"
    assert not fourth["S0006"].available and fourth["S0006"].status == "missing"


async def test_a_database_that_is_down_or_refuses_is_unavailable_not_a_crash(slims_db: SlimsDatabase) -> None:
    with pytest.raises(LibraryUnavailable, match=r"cannot reach|refused"):
        await library(slims_db, port=free_port()).loans(SITI)
    with pytest.raises(LibraryUnavailable, match="refused"):
        await library(slims_db, password="salah").patrons_by_phone("6281200000001")


def test_record_ids_and_phone_fields_are_read_as_slims_writes_them() -> None:
    assert biblio_id("12") == 12 and biblio_id("oai:slims/12") == 12 and biblio_id("oai:x.ac.id:slims-12") == 12
    assert biblio_id("demo000001") is None
    assert phone_numbers("0274 512345 / 0812.0000.0004") == ("0274 512345", "0812.0000.0004")
    assert phone_numbers("") == ()
