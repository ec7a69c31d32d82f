"""Webhook body size: Meta's largest batches (documented up to 3 MB) are taken; absurd bodies get a 413."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from refbot.config import WorkerSettings
from refbot.sandbox.payloads import SIGNATURE_HEADER, encode, sign, status_update, text_message
from refbot.web.webhook import MAX_BODY_BYTES
from tests.conftest import APP_SECRET, PATRON, Desk, running_desk

META_LARGEST = 3_000_000
"""Meta: "Webhooks payloads can be up to 3MB" (WhatsApp Cloud API webhooks overview)."""


@pytest.fixture
async def quiet_desk(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Desk]:
    """A desk whose worker runs elsewhere: what the web process wrote down stays in the journal."""
    async with running_desk(tmp_path, catalog_dir, worker=WorkerSettings(poll_interval=0.05, mode="none")) as desk:
        yield desk


def a_batch_of(size: int, desk: Desk) -> bytes:
    """One body as Meta batches them: a patron's message and many statuses, about ``size`` bytes."""
    payload = text_message(desk.business, PATRON, "buku literasi informasi", wamid="wamid.in-the-batch")
    value = payload["entry"][0]["changes"][0]["value"]
    one = status_update(desk.business, "wamid.x", "delivered", PATRON)["entry"][0]["changes"][0]["value"]["statuses"][0]
    each = len(encode({**one, "id": "wamid.batch0000000"})) + 1
    room = size - len(encode(payload)) - len(',"statuses":[]')
    value["statuses"] = [{**one, "id": f"wamid.batch{i:07d}"} for i in range(room // each)]
    return encode(payload)


async def post(desk: Desk, body: bytes, *, chunked: bool = False) -> tuple[int, dict]:
    headers = {SIGNATURE_HEADER: sign(body, APP_SECRET), "Content-Type": "application/json"}

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1 << 20):
            yield body[start:start + (1 << 20)]
            await asyncio.sleep(0)

    data = chunks() if chunked else io.BytesIO(body)  # BytesIO: sent with its Content-Length
    async with desk.http.post(f"{desk.url}/webhook", data=data, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_a_batch_as_large_as_meta_sends_is_written_down(quiet_desk: Desk) -> None:
    body = a_batch_of(META_LARGEST, quiet_desk)
    assert 1 << 20 < len(body) <= META_LARGEST < MAX_BODY_BYTES
    status, answer = await post(quiet_desk, body)
    assert (status, answer) == (200, {"ok": True})
    [entry] = await quiet_desk.services.journal.pending(10)
    assert entry.body == body


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_an_absurd_body_is_a_413_and_nothing_is_written_down(quiet_desk: Desk, chunked: bool) -> None:
    body = a_batch_of(MAX_BODY_BYTES + (1 << 20), quiet_desk)
    assert len(body) > MAX_BODY_BYTES
    status, answer = await post(quiet_desk, body, chunked=chunked)
    assert status == 413
    assert answer["error"]["code"] == "body_too_large" and set(answer) == {"error"}
    assert await quiet_desk.services.journal.waiting() == (0, None)
    # The webhook still takes an ordinary body afterwards.
    status, _ = await post(quiet_desk, encode(text_message(quiet_desk.business, PATRON, "buku")))
    assert status == 200
