"""How the desk behaves around the question: hours, limits, privacy, refinements, the 24-hour window."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from refbot.config import DeskSettings
from refbot.sandbox.payloads import envelope
from refbot.texts import t
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually, running_desk


async def texts_to(desk: Desk, phone: str) -> list[str]:
    return [m["text"] for m in await desk.sent_to(phone)]


async def wait_for_text(desk: Desk, phone: str, fragment: str) -> str:
    async def found() -> str | None:
        return next((t for t in await texts_to(desk, phone) if fragment in t), None)

    return str(await eventually(found, what=f"a message to {phone} containing {fragment!r}"))


async def drafts(desk: Desk) -> list[int]:
    return await desk.services.store.draft_ids()


def inbound(desk: Desk, message: dict[str, Any], sender: str = PATRON) -> dict[str, Any]:
    base = {"from": sender, "id": f"wamid.{time.time_ns()}", "timestamp": str(int(time.time()))}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": desk.business.phone_number_id},
        "contacts": [{"profile": {"name": "Sari"}, "wa_id": sender}],
        "messages": [{**base, **message}],
    }
    return envelope(desk.business, value)


async def test_outside_office_hours_the_ack_says_when_and_the_draft_is_ready(tmp_path: Path, catalog_dir: Path) -> None:
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    closed = tuple(str(today + dt.timedelta(days=d)) for d in range(2))
    desk_settings = DeskSettings(office_hours=("mon-sun 08:00-16:00",), holidays=closed)
    async with running_desk(tmp_path, catalog_dir, desk=desk_settings) as desk:
        await desk.patron_says("buku tentang manajemen perpustakaan")
        ack = await wait_for_text(desk, PATRON, "di luar jam layanan")
        opening = today + dt.timedelta(days=2)
        # The long date, as every other reply writes it: "Sabtu, 5 Desember 2026 pukul 08:00".
        month = t("id", "months").split()[opening.month - 1]
        assert f"{opening.day} {month} {opening.year} pukul 08:00" in ack
        await eventually(lambda: drafts(desk), what="the draft prepared for the morning")


async def test_a_patron_asking_too_often_gets_a_polite_pause(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir, desk=DeskSettings(max_questions_per_hour=2)) as desk:
        for topic in ("literasi informasi", "minat baca", "arsip dinamis"):
            await desk.patron_says(topic)
        await wait_for_text(desk, PATRON, "banyak pertanyaan dalam satu jam")
        await eventually(lambda: _count(desk, 2), what="two drafts")
        assert len(await drafts(desk)) == 2


async def _count(desk: Desk, n: int) -> bool:
    return len(await drafts(desk)) == n


async def test_reactions_get_no_answer_and_locations_a_polite_one(desk: Desk) -> None:
    reaction = {"type": "reaction", "reaction": {"message_id": "wamid.earlier", "emoji": "👍"}}
    location = {"type": "location", "location": {"latitude": -7.05, "longitude": 110.44, "name": "Undip"}}
    assert (await desk.post_webhook(inbound(desk, reaction))).status == 200
    assert (await desk.post_webhook(inbound(desk, location))).status == 200
    await wait_for_text(desk, PATRON, "belum dapat kami proses")
    await eventually(lambda: _inbox_done(desk, 2), what="both messages handled")
    assert len(await texts_to(desk, PATRON)) == 1


async def _inbox_done(desk: Desk, n: int) -> bool:
    return (await desk.services.store.inbox_counts()).get("done", 0) == n


async def test_hapus_data_erases_the_patron_after_confirmation(desk: Desk) -> None:
    await desk.patron_says("literasi kesehatan remaja")
    await eventually(lambda: drafts(desk), what="a draft")
    await desk.patron_says("HAPUS DATA")
    await wait_for_text(desk, PATRON, "YA HAPUS")
    await desk.patron_says("ya hapus")
    await wait_for_text(desk, PATRON, "Data Anda sudah kami hapus")
    store = desk.services.store
    requests = await store.fetchall("SELECT patron, text FROM requests")
    assert requests and all(r["patron"].startswith("erased:") and r["text"] == "" for r in requests)
    inbox = await store.fetchall("SELECT sender, message FROM inbox")
    assert all(PATRON not in r["sender"] and "literasi" not in r["message"] for r in inbox)
    [draft_id] = await drafts(desk)
    draft = await store.get_draft(draft_id)
    assert draft is not None and draft.status.value == "expired"


async def test_replying_to_the_list_refines_that_request(desk: Desk) -> None:
    await desk.patron_says("literasi informasi")
    [draft_id] = await eventually(lambda: drafts(desk), what="the first draft")
    await desk.press(f"approve:{draft_id}")

    async def the_list() -> dict[str, Any] | None:
        return next((m for m in await desk.sent_to(PATRON) if m["text"].startswith("Berikut")), None)

    sent = await eventually(the_list, what="the approved list")
    reply = {"type": "text", "text": {"body": "yang bahasa Inggris saja"}, "context": {"from": "x", "id": sent["id"]}}
    await desk.post_webhook(inbound(desk, reply))
    await eventually(lambda: _count(desk, 2), what="the refined draft")
    refined = await desk.services.store.get_request(2)
    assert refined is not None
    assert refined.need.languages == frozenset({"en"})
    assert [t.text for t in refined.need.terms][:2] == ["literasi", "informasi"]


async def test_a_message_refused_for_a_shut_window_waits_until_the_person_writes(desk: Desk) -> None:
    async with desk.http.post(f"{desk.graph_url}/_control", json={"code": 131047, "as_status": True, "times": 1}) as r:
        assert r.status == 200
    await desk.patron_says("pengantar ilmu perpustakaan")  # its acknowledgement is refused by WhatsApp

    async def held() -> bool:
        rows = await desk.services.store.outbox_rows(PATRON)
        return any(r["state"] == "held" for r in rows)

    await eventually(held, what="the acknowledgement held")
    await desk.patron_says("halo?")

    async def resent() -> bool:
        rows = await desk.services.store.outbox_rows(PATRON)
        return bool(rows) and all(r["state"] in ("sent", "delivered", "read") for r in rows)

    await eventually(resent, what="the held message sent once the patron wrote")


async def test_librarians_are_warned_before_a_waiting_patron_window_shuts(desk: Desk) -> None:
    await desk.patron_says("klasifikasi DDC")
    [draft_id] = await eventually(lambda: drafts(desk), what="a draft")
    store = desk.services.store
    async with store.tx() as db:
        await db.execute("UPDATE patrons SET last_inbound_at = ? WHERE phone = ?", (time.time() - 23.5 * 3600, PATRON))
    assert await desk.worker.chores.warn_closing_windows() == 2
    warning = await wait_for_text(desk, LIBRARIAN, f"Draft #{draft_id}: jendela 24 jam")
    assert "29 menit" in warning or "30 menit" in warning
    assert await desk.worker.chores.warn_closing_windows() == 0  # once per draft


async def test_retention_purges_old_bodies_and_keeps_counts(desk: Desk) -> None:
    from refbot.store.media import media_store
    from refbot.store.privacy import purge_older_than

    await desk.patron_says("bibliometrika")
    await eventually(lambda: drafts(desk), what="a draft")
    await eventually(lambda: _inbox_done(desk, 1), what="the message handled")
    store = desk.services.store
    assert await purge_older_than(store, time.time() + 1, media_store(desk.services.settings, store)) > 0
    [request] = await store.fetchall("SELECT patron, text, need FROM requests")
    assert request["patron"].startswith("erased:") and request["text"] == ""
    assert json.loads(request["need"])["raw"] == ""
    assert len(await drafts(desk)) == 1


async def test_outside_the_window_a_template_goes_out_and_the_list_follows_the_reply(
    tmp_path: Path, catalog_dir: Path
) -> None:

    from refbot.config import WhatsAppSettings

    whatsapp = WhatsAppSettings(window_template="refbot_pesan_menunggu")
    async with running_desk(tmp_path, catalog_dir, whatsapp=whatsapp) as desk:
        services = desk.services
        await desk.patron_says("etika kepustakawanan")
        [draft_id] = await eventually(lambda: drafts(desk), what="a draft")
        async with services.store.tx() as db:  # the patron last wrote 25 hours ago
            await db.execute("UPDATE patrons SET last_inbound_at = ? WHERE phone = ?", (time.time() - 25 * 3600, PATRON))
        await desk.press(f"approve:{draft_id}")

        async def list_held() -> bool:
            rows = await services.store.outbox_rows(PATRON)
            return any(r["state"] == "held" and ":patron:" in r["idem_key"] for r in rows)

        await eventually(list_held, what="the list held for the shut window")
        await desk.worker.chores.run_once()

        async def template_sent() -> bool:
            return any(m["type"] == "template" for m in await desk.sent_to(PATRON))

        await eventually(template_sent, what="the window template")
        assert not any(t.startswith("Berikut") for t in await texts_to(desk, PATRON))
        await desk.patron_says("ya, silakan kirim")
        await wait_for_text(desk, PATRON, "Berikut referensi")
