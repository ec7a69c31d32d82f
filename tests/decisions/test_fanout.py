"""Telling every librarian: once per librarian and part, however often the caller runs again."""

from __future__ import annotations

from pathlib import Path

from refbot.config import Librarian
from refbot.decisions.fanout import to_librarians
from refbot.models import OutgoingMessage
from refbot.store import Store

LIBRARIANS = (Librarian("Dewi", "6281300000001"), Librarian("Budi", "6281300000002"))


async def test_each_librarian_gets_each_part_once_even_when_queued_again(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "refbot.sqlite3")
    parts = [OutgoingMessage(to="", text="Permintaan baru #4"), OutgoingMessage(to="", text="Tombol")]
    try:
        for _ in range(2):  # the same inbound message handled again after a crash
            async with store.tx() as tx:
                queued = await to_librarians(store, tx, LIBRARIANS, "svc:4:new", parts)
            assert queued == (4 if _ == 0 else 0)
        rows = await store.outbox_rows()
        assert [(r["recipient"], r["idem_key"]) for r in rows] == [
            ("6281300000001", "svc:4:new:librarian:6281300000001:0"),
            ("6281300000001", "svc:4:new:librarian:6281300000001:1"),
            ("6281300000002", "svc:4:new:librarian:6281300000002:0"),
            ("6281300000002", "svc:4:new:librarian:6281300000002:1"),
        ]
    finally:
        await store.close()
