"""A manuscript is unpublished work: deleted after the report is sent, erased by HAPUS DATA, shown to nobody else."""

from __future__ import annotations

from refbot.delivery.chores import Chores
from refbot.delivery.sender import Sender
from refbot.ports import MediaStore
from refbot.sandbox.turnitin import report_pdf
from refbot.services.similarity.service import SimilarityChecks
from refbot.store.similarity import SimilarityStore
from tests.services.conftest import LIBRARIAN, PATRON, STRANGER, Harness
from tests.services.similarity.conftest import send_document, thesis_pdf

PDF = "application/pdf"
DAY = 86400


def parts(harness: Harness) -> tuple[SimilarityChecks, MediaStore]:
    service = next(s for s in harness.desk.services if isinstance(s, SimilarityChecks))
    return service, service.media


async def checked(harness: Harness, patron: str = PATRON) -> tuple[int, str, str]:
    """A manuscript sent and its report returned; the check's id and both files' keys."""
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN", sender=patron)
    request_id = (await SimilarityStore(harness.store).listed())[0].id
    await send_document(harness, report_pdf("x", 9), PDF, f"HASIL#{request_id} 9%", sender=LIBRARIAN,
                        filename="laporan.pdf")
    check = await SimilarityStore(harness.store).get(request_id)
    assert check is not None and check.manuscript and check.report
    return request_id, check.manuscript, check.report


async def test_manuscript_and_report_are_deleted_keep_days_after_the_report_was_sent(harness: Harness) -> None:
    service, media = parts(harness)
    request_id, manuscript, report = await checked(harness)
    chores = Chores(harness.store, Sender(harness.store, service.channel, harness.settings), harness.settings)
    sent = harness.store.clock()

    harness.store.clock = lambda: sent + 29 * DAY  # keep_days is 30
    await chores.run_once()
    assert await media.get(manuscript) is not None and await media.get(report) is not None

    harness.store.clock = lambda: sent + 31 * DAY
    await chores.run_once()
    assert await media.get(manuscript) is None and await media.get(report) is None
    check = await SimilarityStore(harness.store).get(request_id)
    assert check is not None and check.manuscript == "" and check.report == "" and check.percent == 9.0
    events = [e["kind"] for e in await harness.store.events("store")]
    assert "similarity_files_deleted" in events


async def test_a_waiting_manuscript_is_not_deleted_by_the_retention_of_sent_ones(harness: Harness) -> None:
    service, media = parts(harness)
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    waiting = (await SimilarityStore(harness.store).listed())[0]
    chores = Chores(harness.store, Sender(harness.store, service.channel, harness.settings), harness.settings)
    now = harness.store.clock()
    harness.store.clock = lambda: now + 60 * DAY
    await chores.run_once()
    assert await media.get(waiting.manuscript) is not None


async def test_hapus_data_erases_the_manuscript_the_report_and_the_check(harness: Harness) -> None:
    _service, media = parts(harness)
    request_id, manuscript, report = await checked(harness)
    _other, other_manuscript, _other_report = await checked(harness, STRANGER)
    await harness.send("HAPUS DATA")
    await harness.send("YA HAPUS")
    assert "sudah kami hapus" in (await harness.last(PATRON)).text
    assert await media.get(manuscript) is None and await media.get(report) is None
    assert await SimilarityStore(harness.store).get(request_id) is None
    assert await media.get(other_manuscript) is not None, "another patron's manuscript stays"
    for table in await harness.store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in await harness.store.fetchall(f"SELECT * FROM {table['name']}"):
            if table["name"] == "outbox" and row["idem_key"].endswith(":erased"):
                continue  # the goodbye keeps the number until it is delivered (refbot.store.privacy)
            assert not any(PATRON in str(value) for value in tuple(row)), table["name"]


async def test_hapus_data_while_waiting_withdraws_the_check(harness: Harness) -> None:
    _service, media = parts(harness)
    await send_document(harness, thesis_pdf(pages=1), PDF, "TURNITIN")
    waiting = (await SimilarityStore(harness.store).listed())[0]
    await harness.send("HAPUS DATA")
    await harness.send("YA HAPUS")
    assert await media.get(waiting.manuscript) is None
    await send_document(harness, report_pdf("x", 9), PDF, f"HASIL#{waiting.id} 9%", sender=LIBRARIAN,
                        filename="laporan.pdf")
    assert "tidak ditemukan" in (await harness.last(LIBRARIAN)).text
