"""An approved list held behind the patron's shut 24-hour window: the librarian hears it waits, then that it went.

Driven on a running desk: the patron asks, the librarian approves with the WhatsApp button,
WhatsApp (the Graph API stand-in) refuses the list for the shut window, and the patron writes
again later. What each person receives is read from the stand-in.
"""

from __future__ import annotations

import time
from pathlib import Path

from refbot.config import WhatsAppSettings
from tests.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, Desk, eventually, running_desk


async def _texts(desk: Desk, phone: str) -> list[str]:
    return [m["text"] for m in await desk.sent_to(phone)]


async def _has(desk: Desk, phone: str, fragment: str) -> bool:
    return any(fragment in text for text in await _texts(desk, phone))


async def _all_out(desk: Desk) -> bool:
    rows = await desk.services.store.outbox_rows()
    return bool(rows) and all(r["state"] in ("sent", "delivered", "read") for r in rows)


async def _draft(desk: Desk) -> int:
    await desk.patron_says("etika kepustakawanan")
    [draft_id] = await eventually(desk.services.store.draft_ids, what="a draft")
    return int(draft_id)


async def test_a_list_held_by_whatsapp_is_told_as_waiting_and_then_as_sent(desk: Desk) -> None:
    draft_id = await _draft(desk)
    await eventually(lambda: _all_out(desk), what="the draft in front of the librarians")
    # WhatsApp takes the next two sends (the list, the approval's acknowledgement), then reports
    # them failed: the window is shut.
    async with desk.http.post(f"{desk.graph_url}/_control", json={"code": 131047, "as_status": True, "times": 2}) as r:
        assert r.status == 200
    await desk.press(f"approve:{draft_id}")

    async def held() -> bool:
        rows = await desk.services.store.outbox_rows(PATRON)
        return any(r["state"] == "held" and ":patron:" in r["idem_key"] for r in rows)

    await eventually(held, what="the list held by WhatsApp's status")
    await desk.worker.chores.run_once()
    await eventually(lambda: _has(desk, LIBRARIAN, f"Daftar draft #{draft_id} belum sampai"), what="word of the wait")
    assert not await _has(desk, LIBRARIAN_2, "belum sampai")  # the one who approved it is told
    await desk.worker.chores.run_once()
    assert sum("belum sampai" in text for text in await _texts(desk, LIBRARIAN)) == 1

    await desk.patron_says("halo, masih ada?")
    await eventually(lambda: _has(desk, LIBRARIAN, f"Daftar draft #{draft_id} akhirnya terkirim"),
                     what="word that the list went out")
    assert sum("akhirnya terkirim" in text for text in await _texts(desk, LIBRARIAN)) == 1


async def test_a_list_held_by_the_sender_for_a_template_is_told_at_once(tmp_path: Path, catalog_dir: Path) -> None:
    whatsapp = WhatsAppSettings(window_template="refbot_pesan_menunggu")
    async with running_desk(tmp_path, catalog_dir, whatsapp=whatsapp) as desk:
        draft_id = await _draft(desk)
        async with desk.services.store.tx() as db:  # the patron last wrote 25 hours ago
            await db.execute("UPDATE patrons SET last_inbound_at = ? WHERE phone = ?", (time.time() - 25 * 3600, PATRON))
        await desk.press(f"approve:{draft_id}", sender=LIBRARIAN_2)
        await eventually(lambda: _has(desk, LIBRARIAN_2, f"Daftar draft #{draft_id} belum sampai"),
                         what="word of the wait")
        await desk.patron_says("ya, silakan kirim")
        await eventually(lambda: _has(desk, PATRON, "Berikut referensi"), what="the list")
        await eventually(lambda: _has(desk, LIBRARIAN_2, f"Daftar draft #{draft_id} akhirnya terkirim"),
                         what="word that the list went out")
        assert not await _has(desk, LIBRARIAN, "belum sampai")
