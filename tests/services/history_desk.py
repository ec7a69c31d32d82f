"""A running desk where patrons get lists and letters, for the history's tests (patron, console, export).

refbot runs for real on loopback (webhooks in, the Graph API stand-in out) with the Koha
stand-in behind it, so a clearance letter is issued the way a patron gets one. The moves are a
patron's and a librarian's: ask, press *Setujui*, wait for what WhatsApp delivers.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from refbot.config import Secret, Secrets, load_settings
from refbot.sandbox.koha import create_koha_standin
from tests.conftest import APP_SECRET, LIBRARIAN, TOKEN, VERIFY_TOKEN, Desk, eventually, running_desk, serve

ANDI = "6281200000002"  # clear with the Koha stand-in: may have a clearance letter
SITI = "6281200000001"  # another patron, with loans
CONSOLE_SECRET = "test-console-secret-history-0123456789"
KOHA_ID, KOHA_SECRET = "refbot", "koha-secret"


@contextlib.asynccontextmanager
async def history_desk(tmp_path: Path, catalog_dir: Path, **over: Any) -> AsyncIterator[Desk]:
    """refbot with the Graph API, Crossref and Koha stand-ins, and its console open."""
    koha_runner, koha_url = await serve(create_koha_standin(KOHA_ID, KOHA_SECRET))
    base = load_settings(None, env={})
    secrets = Secrets(Secret(TOKEN), Secret(APP_SECRET), Secret(VERIFY_TOKEN), Secret(CONSOLE_SECRET),
                      koha_client_id=Secret(KOHA_ID), koha_client_secret=Secret(KOHA_SECRET))
    koha = replace(base.koha, enabled=True, base_url=koha_url, timeout=3.0)
    try:
        async with running_desk(tmp_path, catalog_dir, koha=koha, secrets=secrets, **over) as desk:
            yield desk
    finally:
        await koha_runner.cleanup()


async def approved_list(desk: Desk, question: str, *, patron: str = ANDI) -> int:
    """The patron asks, a librarian approves, the list goes out; the request's number."""
    store = desk.services.store
    before = set(await store.draft_ids())
    await desk.patron_says(question, sender=patron)

    async def new_draft() -> int | None:
        made = set(await store.draft_ids()) - before
        return min(made) if made else None

    draft_id = await eventually(new_draft, what=f"a draft for {question!r}")
    await desk.press(f"approve:{draft_id}")

    async def sent() -> int | None:
        draft = await store.get_draft(draft_id)
        return draft.request_id if draft is not None and draft.status.value == "sent" else None

    return int(await eventually(sent, what=f"the list for {question!r} sent"))


async def issued_letter(desk: Desk, *, patron: str = ANDI) -> tuple[int, str]:
    """The patron asks for a clearance letter, a librarian approves, the PDF goes out; (request, letter number)."""
    await desk.patron_says("BEBASPUSTAKA", sender=patron)

    async def button() -> int | None:
        for message in reversed(await desk.sent_to(LIBRARIAN)):
            for b in message["buttons"]:
                if b["id"].startswith("letter-approve:"):
                    return int(b["id"].split(":")[1])
        return None

    request_id = await eventually(button, what="the letter's draft for the librarians")
    await desk.press(f"letter-approve:{request_id}")

    async def delivered() -> str | None:
        for row in await desk.services.store.outbox_rows(patron):
            if row["idem_key"] == f"svc:{request_id}:letter:patron" and row["state"] in ("sent", "delivered", "read"):
                number = re.search(r"(?:Nomor|No\.) (\S+)\.\n", json.loads(row["message"])["text"])
                return number[1] if number else None
        return None

    return request_id, str(await eventually(delivered, what="the letter delivered"))


async def documents_to(desk: Desk, patron: str) -> list[dict[str, Any]]:
    """The documents WhatsApp delivered to the patron, oldest first."""
    return [m for m in await desk.sent_to(patron) if m["type"] == "document"]


async def texts_to(desk: Desk, patron: str) -> list[str]:
    return [m["text"] for m in await desk.sent_to(patron)]


async def next_reply(desk: Desk, patron: str, seen: int) -> dict[str, Any]:
    """The first message to ``patron`` after the ``seen`` they had already received."""
    async def arrived() -> dict[str, Any] | None:
        got = await desk.sent_to(patron)
        return got[seen] if len(got) > seen else None

    return dict(await eventually(arrived, what=f"a reply to {patron}"))


async def download(desk: Desk, media_id: str) -> bytes:
    """A document as the patron's phone fetches it from WhatsApp: the media's link, then its bytes."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with desk.http.get(f"{desk.graph_url}/v21.0/{media_id}", headers=auth) as resp:
        assert resp.status == 200, await resp.text()
        url = (await resp.json())["url"]
    async with desk.http.get(url, headers=auth) as resp:
        assert resp.status == 200
        return await resp.read()


def pdf_text(data: bytes) -> str:
    """The text of a PDF, read back with pypdf."""
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squeezed(text: str) -> str:
    """Text without any whitespace: a reference wrapped over two lines still matches itself."""
    return "".join(text.split())
