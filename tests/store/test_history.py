"""The history's reads, on SQLite and PostgreSQL: only what went out, only to that number, only while kept."""

from __future__ import annotations

from refbot.decisions import drafts
from refbot.models import OutgoingMessage
from refbot.store import Store
from refbot.store import history as stored
from refbot.store.media import FolderMedia
from refbot.store.privacy import erase_patron
from tests.store.conftest import OTHER_PATRON, PATRON, START, Clock, ask, message


async def send_everything(store: Store) -> None:
    """The sender's part: every queued message reaches WhatsApp."""
    for row in await store.claim_outbox(50):
        await store.mark_sent(row, f"wamid.out.{row.id}")


async def approved(store: Store, wamid: str, sender: str = PATRON) -> int:
    draft_id = await ask(store, wamid, sender)
    await drafts.approve(store, draft_id, "console:dewi")
    return draft_id


async def letter(store: Store, wamid: str, *, delivered: bool) -> int:
    """A clearance letter issued to PATRON; its document sent (or still waiting)."""
    assert await store.record_inbound(message(wamid, text="BEBASPUSTAKA"))
    [row] = [r for r in await store.claim_inbox(10) if r.message.wamid == wamid]
    async with store.tx() as db:
        request_id = await store.create_service_request(db, inbox_id=row.id, kind="letter", patron=PATRON,
                                                        language="id", detail={})
        assert request_id is not None
        await store.add_issued_letter(db, request_id=request_id, code=f"CODE-{wamid}", patron=PATRON, patron_id="7",
                                      cardnumber="2100002", name="Andi", year=2023, seq=request_id,
                                      number=f"{request_id:03d}/BP", issued_at=store.clock(), path="letters/x.pdf")
        await store.enqueue(db, f"svc:{request_id}:letter:patron", OutgoingMessage(PATRON, "surat"))
        await store.finish_inbox(row.id, db)
    if delivered:
        await send_everything(store)
    return request_id


async def test_only_lists_that_went_out_to_that_number(store: Store, clock: Clock) -> None:
    sent = await approved(store, "wamid.a")
    await ask(store, "wamid.waiting")  # never approved
    waiting_to_go = await approved(store, "wamid.other", OTHER_PATRON)
    await send_everything(store)
    await approved(store, "wamid.approved-not-yet-sent")  # approved, its list not out yet

    found = await stored.sent_lists(store, PATRON, since=0)
    assert [(f.draft_id, f.question) for f in found] == [(sent, "buku literasi informasi")]
    assert await stored.sent_lists(store, PATRON, since=0, request_id=found[0].request_id + 2) == []  # the other's
    other = await stored.sent_lists(store, OTHER_PATRON, since=0)
    assert [f.draft_id for f in other] == [waiting_to_go]
    assert await stored.sent_lists(store, PATRON, since=START + 1) == []  # asked before the cut-off


async def test_letters_count_once_their_document_went_out(store: Store) -> None:
    waiting = await letter(store, "wamid.l1", delivered=False)
    assert await stored.sent_letters(store, PATRON, since=0) == []
    await send_everything(store)
    later = await letter(store, "wamid.l2", delivered=True)
    assert [(x.request_id, x.number) for x in await stored.sent_letters(store, PATRON, since=0)] == [
        (later, f"{later:03d}/BP"), (waiting, f"{waiting:03d}/BP")]
    assert await stored.sent_letters(store, OTHER_PATRON, since=0) == []


async def test_a_period_leaves_out_erased_patrons(store: Store, clock: Clock, tmp_path: object) -> None:
    kept = await approved(store, "wamid.k")
    await approved(store, "wamid.e", OTHER_PATRON)
    await send_everything(store)
    await erase_patron(store, OTHER_PATRON, FolderMedia(tmp_path))  # type: ignore[arg-type]
    rows = await stored.questions_between(store, 0, START + 10)
    assert [(r["patron"], r["status"]) for r in rows] == [(PATRON, "sent")]
    items = await stored.items_sent_between(store, 0, START + 10)
    assert list(items) == [kept] and len(items[kept]) == 3
    assert await stored.questions_between(store, START + 1, START + 10) == []
    assert await stored.draft_patron(store, kept) == PATRON
    assert await stored.draft_patron(store, kept + 1) == ""  # erased: nobody's


async def test_similarity_results_once_given_and_whether_the_report_reached_whatsapp(store: Store) -> None:
    from refbot.store.similarity import NewCheck, SimilarityStore

    checks = SimilarityStore(store)
    assert await store.record_inbound(message("wamid.s1", text="TURNITIN"))
    [row] = [r for r in await store.claim_inbox(10) if r.message.wamid == "wamid.s1"]
    async with store.tx() as db:
        request_id = await store.create_service_request(db, inbox_id=row.id, kind="similarity", patron=PATRON,
                                                        language="id", detail={})
        assert request_id is not None
        await checks.add(db, request_id, NewCheck("media/1-x.pdf", "application/pdf", 1000, 3, 900, True, False))
    assert await stored.similarity_results(store, PATRON, since=0) == []  # no result yet
    async with store.tx() as db:
        await checks.record_result(db, request_id, 12.5, "similarity/report.pdf", sent=True)
        await store.enqueue(db, f"svc:{request_id}:approved:patron:0", OutgoingMessage(PATRON, "12,5%"))
    [given] = await stored.similarity_results(store, PATRON, since=0)
    assert (given.request_id, given.percent, given.report_delivered) == (request_id, 12.5, False)
    await send_everything(store)
    [given] = await stored.similarity_results(store, PATRON, since=0)
    assert given.report_delivered
    assert await stored.similarity_results(store, OTHER_PATRON, since=0) == []
