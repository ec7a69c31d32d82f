"""Erasure and retention over the real webhook path: screenshots, captions and OCR text go, others' stay."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

from refbot.sandbox.payloads import media_message
from refbot.store.media import media_folder
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually
from tests.services.conftest import render_text_image

OTHER_PATRON = "6281200000002"
# Each patron's screenshot and caption carry words found nowhere else, so a search of the whole
# database for them finds exactly what is left of that patron.
SCREENSHOTS = {
    PATRON: (["Portal Perpustakaan", "Login gagal: Rahmawati", "kata sandi salah."], "akun Kusumastuti terkunci"),
    OTHER_PATRON: (["Portal Perpustakaan", "Login gagal: Wicaksono", "kata sandi salah."], "akun Prasetyaningrum macet"),
}
OLD = time.time() - 400 * 86400  # beyond the default retention of 365 days


async def send_screenshot(desk: Desk, sender: str) -> Path:
    """The patron sends their screenshot with its caption; returns the file refbot saved."""
    lines, caption = SCREENSHOTS[sender]
    async with desk.http.post(f"{desk.graph_url}/_media", data=render_text_image(lines),
                              headers={"Content-Type": "image/png"}) as resp:
        media_id = (await resp.json())["id"]
    await desk.post_webhook(media_message(desk.business, sender, "image", media_id, "image/png", caption=caption))
    row = await eventually(lambda: desk.services.store.fetchone(
        "SELECT inbox_id FROM service_requests WHERE patron = ?", (sender,)), what=f"the snap request of {sender}")
    [path] = media_folder(desk.services.settings).glob(f"{row['inbox_id']}-*.png")
    return path


async def database_text(desk: Desk) -> str:
    """Every value in every table of the store, as one text to search."""
    store = desk.services.store
    tables = await store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    values = []
    for table in tables:
        for row in await store.fetchall(f"SELECT * FROM {table['name']}"):
            values += [str(value) for value in tuple(row)]
    return "\n".join(values)


async def words_of(desk: Desk, sender: str) -> list[str]:
    """The patron's caption and what refbot read off their screenshot, once both are stored."""
    text = await database_text(desk)
    caption = SCREENSHOTS[sender][1].split()[1]
    read = next(line.split()[-1] for line in SCREENSHOTS[sender][0] if line.startswith("Login"))
    assert caption in text and read in text, "the screenshot was not read as expected"
    return [caption, read]


async def sent_to(desk: Desk, phone: str, fragment: str) -> str:
    async def found() -> str | None:
        return next((m["text"] for m in await desk.sent_to(phone) if fragment in m["text"]), None)

    return str(await eventually(found, what=f"a message to {phone} containing {fragment!r}"))


async def test_hapus_data_deletes_the_patron_screenshot_and_words_and_keeps_another_patron(desk: Desk) -> None:
    mine, theirs = await send_screenshot(desk, PATRON), await send_screenshot(desk, OTHER_PATRON)
    my_words, their_words = await words_of(desk, PATRON), await words_of(desk, OTHER_PATRON)
    [request] = await desk.services.store.fetchall("SELECT id FROM service_requests WHERE patron = ?", (PATRON,))

    await desk.patron_says("HAPUS DATA")
    await sent_to(desk, PATRON, "YA HAPUS")
    await desk.patron_says("ya hapus")
    await sent_to(desk, PATRON, "Data Anda sudah kami hapus")

    assert not mine.exists() and theirs.exists()
    text = await database_text(desk)
    assert [word for word in my_words if word in text] == []
    assert [word for word in their_words if word not in text] == [] and OTHER_PATRON in text
    # The number is left only on the goodbye, which needs it to be delivered.
    [goodbye] = await desk.services.store.outbox_rows(PATRON)
    assert "sudah kami hapus" in goodbye["message"] and text.count(PATRON) == 2
    kept = await desk.services.store.fetchone("SELECT kind, status, detail FROM service_requests WHERE id = ?",
                                              (request["id"],))
    assert kept is not None and kept["kind"] == "snap" and kept["status"] == "withdrawn"
    assert '"faq": "login-failed"' in kept["detail"]  # what the statistics count stays

    await desk.press(f"snap-approve:{request['id']}")  # the librarian is told, and nothing goes out
    await sent_to(desk, LIBRARIAN, "pemustaka menghapus datanya")
    assert not [m for m in await desk.sent_to(PATRON) if m["text"].startswith("Untuk masuk")]

    # Not in the file either, where a backup copy would keep what the tables no longer show.
    store_file = Path(desk.services.settings.path(desk.services.settings.store.path))
    assert in_file(store_file, my_words) == []
    assert in_file(store_file, their_words) == their_words


def in_file(database: Path, words: list[str]) -> list[str]:
    """The words found anywhere in the database file's bytes, once its WAL is written back."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = database.read_bytes()
    return [word for word in words if word.encode() in raw]


async def test_retention_forgets_old_decided_screenshots_only(desk: Desk) -> None:
    old, recent = await send_screenshot(desk, PATRON), await send_screenshot(desk, OTHER_PATRON)
    old_words, recent_words = await words_of(desk, PATRON), await words_of(desk, OTHER_PATRON)
    store = desk.services.store
    [request] = await store.fetchall("SELECT id, inbox_id FROM service_requests WHERE patron = ?", (PATRON,))
    await desk.press(f"snap-approve:{request['id']}")
    await sent_to(desk, PATRON, "Untuk masuk")
    await eventually(lambda: nothing_in_flight(desk), what="every message sent or given up")
    async with store.tx() as db:  # the patron's screenshot and everything about it are 400 days old
        await db.execute("UPDATE inbox SET received_at = ? WHERE id = ?", (OLD, request["inbox_id"]))
        await db.execute("UPDATE service_requests SET created_at = ? WHERE id = ?", (OLD, request["id"]))
        await db.execute("UPDATE outbox SET created_at = ? WHERE recipient = ? OR idem_key LIKE ?",
                         (OLD, PATRON, f"svc:{request['id']}:%"))

    await desk.worker.chores.run_once()

    assert not old.exists() and recent.exists()
    text = await database_text(desk)
    assert [word for word in old_words if word in text] == []
    assert [word for word in recent_words if word not in text] == [] and OTHER_PATRON in text
    kept = await store.fetchone("SELECT kind, status, decided_by FROM service_requests WHERE id = ?", (request["id"],))
    assert kept is not None and (kept["kind"], kept["status"], kept["decided_by"]) == ("snap", "approved", LIBRARIAN)


async def nothing_in_flight(desk: Desk) -> bool:
    rows = await desk.services.store.outbox_rows()
    return bool(rows) and all(r["state"] in ("sent", "delivered", "read", "failed") for r in rows)


async def test_after_hapus_data_nothing_of_the_patron_is_left_in_any_file(desk: Desk) -> None:
    """The store, its write-ahead log, the goodbye once sent, and the Crossref cache."""
    question = "literasi informasi Kusumastuti untuk skripsi"
    await desk.patron_says(question)
    await eventually(desk.services.store.draft_ids, within=30, what="the draft of the question")
    await desk.patron_says("HAPUS DATA")
    await sent_to(desk, PATRON, "YA HAPUS")
    await desk.patron_says("ya hapus")
    await sent_to(desk, PATRON, "Data Anda sudah kami hapus")

    async def goodbye_sent() -> bool:
        rows = await desk.services.store.outbox_rows(PATRON)
        return any(r["state"] in ("sent", "delivered", "read") for r in rows)

    await eventually(goodbye_sent, what="the goodbye to go out")
    await desk.worker.chores.run_once()  # the chore that forgets the goodbye's number

    store_file = Path(desk.services.settings.path(desk.services.settings.store.path))
    for path in (store_file, store_file.with_name(store_file.name + "-wal")):
        raw = path.read_bytes() if path.exists() else b""
        assert PATRON.encode() not in raw and b"Kusumastuti" not in raw, f"found in {path.name}"
    assert "Kusumastuti" not in await database_text(desk), "not even as Crossref's cached answer"


async def test_a_librarian_erasing_their_data_does_not_cancel_reviews_of_other_patrons_drafts(desk: Desk) -> None:
    await desk.patron_says("literasi informasi mahasiswa")
    review = await eventually(lambda: _review_rows(desk), within=30, what="the draft's review messages")
    await desk.patron_says("HAPUS DATA", sender=LIBRARIAN)
    await sent_to(desk, LIBRARIAN, "YA HAPUS")
    await desk.patron_says("ya hapus", sender=LIBRARIAN)
    await sent_to(desk, LIBRARIAN, "Data Anda sudah kami hapus")

    after = await _review_rows(desk)
    assert [r["id"] for r in after] == [r["id"] for r in review]
    assert all(r["state"] != "cancelled" for r in after)


async def _review_rows(desk: Desk) -> list[sqlite3.Row]:
    rows = await desk.services.store.outbox_rows(LIBRARIAN)
    return [r for r in rows if ":librarian:" in r["idem_key"]]
