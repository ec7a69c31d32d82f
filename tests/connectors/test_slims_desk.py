"""The desk on SLiMS, end to end: webhooks in, the worker, SLiMS's database (real MariaDB), WhatsApp out."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from refbot.config import Secret, Secrets, SlimsSettings
from refbot.sandbox.postgres import free_port
from tests.conftest import APP_SECRET, LIBRARIAN, LIBRARIAN_2, TOKEN, VERIFY_TOKEN, Desk, eventually, running_desk
from tests.connectors.slims_data import ANDI, SITI, TODAY, seed
from tests.mariadb import READER, READER_PASSWORD, MariaDB, SlimsDatabase, mariadb  # noqa: F401

pytestmark = pytest.mark.slow
SITI_WA = "6281200000001"   # SLiMS lists her as 0812-0000-0001
ANDI_WA = "6281200000002"   # +62 812 0000 0002: nothing on loan, fines paid


@contextlib.asynccontextmanager
async def slims_desk(tmp_path: Path, catalog_dir: Path, db: SlimsDatabase, *, port: int = 0) -> AsyncIterator[Desk]:
    """refbot serving webhooks, with circulation read from this SLiMS database."""
    slims = SlimsSettings(enabled=True, host=db.host, port=port or db.port, database=db.name, user=READER, timeout=3.0)
    secrets = Secrets(Secret(TOKEN), Secret(APP_SECRET), Secret(VERIFY_TOKEN), slims_password=Secret(READER_PASSWORD))
    async with running_desk(tmp_path, catalog_dir, slims=slims, secrets=secrets) as desk:
        yield desk


@pytest.fixture
def slims_db(mariadb: MariaDB) -> SlimsDatabase:  # noqa: F811
    db = mariadb.fresh_slims()
    seed(db)
    return db


async def texts_to(desk: Desk, phone: str) -> list[str]:
    return [m["text"] for m in await desk.sent_to(phone)]


async def message_with(desk: Desk, phone: str, fragment: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        return next((m for m in await desk.sent_to(phone) if fragment in m["text"]), None)

    message: dict[str, Any] = await eventually(found, within=30, what=f"{fragment!r} to reach {phone}")
    return message


async def test_renew_on_slims_goes_to_a_librarian_who_renews_in_slims(
    tmp_path: Path, catalog_dir: Path, slims_db: SlimsDatabase,
) -> None:
    async with slims_desk(tmp_path, catalog_dir, slims_db) as desk:
        await desk.patron_says("RENEW#S0001", sender=SITI_WA)
        told = await message_with(desk, SITI_WA, "SLiMS")
        assert "Literasi informasi di perguruan tinggi (S0001)" in told["text"] and "pustakawan" in told["text"]
        request = await message_with(desk, LIBRARIAN, "Perpanjangan #")
        assert "Siti Rahmawati" in request["text"] and "S0001" in request["text"]
        assert await message_with(desk, LIBRARIAN_2, "Perpanjangan #")  # in every librarian's queue
        done = next(b["id"] for b in request["buttons"] if b["id"].startswith("renew-done:"))

        # Pressed before the loan was extended in SLiMS: nothing is closed, the librarian is told.
        await desk.press(done)
        await message_with(desk, LIBRARIAN, "SLiMS belum menunjukkan perpanjangan")
        assert not any("Batas kembali yang baru" in text for text in await texts_to(desk, SITI_WA))

        # The librarian extends it in SLiMS (as extendItemLoan does), then confirms.
        new_due = TODAY + datetime.timedelta(days=12)
        slims_db.execute(f"UPDATE loan SET renewed = renewed + 1, due_date = '{new_due}' WHERE item_code = 'S0001'")
        await desk.press(done)
        renewed = await message_with(desk, SITI_WA, "Perpanjangan berhasil")
        assert f"{new_due.day} " in renewed["text"] and str(new_due.year) in renewed["text"]
        await message_with(desk, LIBRARIAN, "diberi tahu batas kembali yang baru")

        # The second librarian, a moment later, changes nothing.
        await desk.press(done, sender=LIBRARIAN_2)
        await message_with(desk, LIBRARIAN_2, "sudah")
        assert sum("Perpanjangan berhasil" in text for text in await texts_to(desk, SITI_WA)) == 1


async def test_loans_fines_and_a_refused_renewal_in_english(
    tmp_path: Path, catalog_dir: Path, slims_db: SlimsDatabase,
) -> None:
    async with slims_desk(tmp_path, catalog_dir, slims_db) as desk:
        await desk.patron_says("LOANS", sender=SITI_WA)
        loans = await message_with(desk, SITI_WA, "Your loans (2)")
        assert "S0003" in loans["text"] and "S0001" in loans["text"] and "S0002" not in loans["text"]
        await desk.patron_says("DENDA", sender=SITI_WA)
        await message_with(desk, SITI_WA, "4.000")
        await desk.patron_says("BAHASA#EN", sender=SITI_WA)
        await desk.patron_says("renew#S0003", sender=SITI_WA)
        told = await message_with(desk, SITI_WA, "a librarian makes renewals in SLiMS")
        assert "Pengantar ilmu perpustakaan (S0003)" in told["text"]
        request = await message_with(desk, LIBRARIAN, "Perpanjangan #")
        refuse = next(b["id"] for b in request["buttons"] if b["id"].startswith("renew-refuse:"))
        await desk.press(refuse)
        await message_with(desk, SITI_WA, "could not renew your loan")


async def test_clearance_asks_slims_for_loans_and_fines(
    tmp_path: Path, catalog_dir: Path, slims_db: SlimsDatabase,
) -> None:
    async with slims_desk(tmp_path, catalog_dir, slims_db) as desk:
        await desk.patron_says("BEBASPUSTAKA", sender=SITI_WA)
        blocked = await message_with(desk, SITI_WA, "S0003")
        assert "S0001" in blocked["text"]
        assert not any("bebas pustaka #" in t.lower() for t in await texts_to(desk, LIBRARIAN))
        await desk.patron_says("BEBASPUSTAKA", sender=ANDI_WA)
        draft = await message_with(desk, LIBRARIAN, "Tidak ada pinjaman dan denda")
        assert ANDI in draft["text"] and "Andi Pratama" in draft["text"]


async def test_a_slims_database_that_is_down_is_told_to_the_patron_and_queued(
    tmp_path: Path, catalog_dir: Path, slims_db: SlimsDatabase,
) -> None:
    async with slims_desk(tmp_path, catalog_dir, slims_db, port=free_port()) as desk:
        await desk.patron_says("PINJAMAN", sender=SITI_WA)
        await message_with(desk, SITI_WA, "sistem perpustakaan sedang tidak dapat dihubungi")
        waiting = await message_with(desk, LIBRARIAN, "tidak dapat dihubungi")
        assert "SLiMS" in waiting["text"] and "PINJAMAN" in waiting["text"]
        assert SITI not in " ".join(await texts_to(desk, SITI_WA))
