"""The webhook as Meta sees it: handshake, signatures, redelivery, malformed and real payloads."""

from __future__ import annotations

import json

import pytest

from refbot.sandbox.payloads import SIGNATURE_HEADER, encode, sign, text_message
from tests.conftest import APP_SECRET, LIBRARIAN, PATRON, VERIFY_TOKEN, Desk, eventually, shared_data
from tests.web.raw import raw_request


async def test_verification_handshake_echoes_challenge(desk: Desk) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    async with desk.http.get(f"{desk.url}/webhook", params=params) as resp:
        assert resp.status == 200
        assert await resp.text() == "1158201444"
    params["hub.verify_token"] = "wrong"
    async with desk.http.get(f"{desk.url}/webhook", params=params) as resp:
        assert resp.status == 403


async def test_wrong_signature_is_refused_and_nothing_stored(desk: Desk) -> None:
    resp = await desk.post_webhook(text_message(desk.business, PATRON, "buku perpustakaan"), secret="not-the-secret")
    assert resp.status == 401
    body = encode(text_message(desk.business, PATRON, "buku perpustakaan"))
    async with desk.http.post(f"{desk.url}/webhook", data=body) as unsigned:
        assert unsigned.status == 401
        assert (await unsigned.json())["error"]["code"] == "bad_signature"
    assert await desk.services.store.inbox_counts() == {}
    assert await desk.services.store.fetchall("SELECT * FROM requests") == []


async def test_malformed_json_is_a_400_and_logged(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    body = b'{"object": "whatsapp_business_account", "entry": [ '
    headers = {SIGNATURE_HEADER: sign(body, APP_SECRET)}
    async with desk.http.post(f"{desk.url}/webhook", data=body, headers=headers) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "malformed_body"
    assert "not JSON" in caplog.text
    assert await desk.services.store.inbox_counts() == {}


async def test_same_message_delivered_three_times_makes_one_request(desk: Desk) -> None:
    for _ in range(3):
        resp = await desk.patron_says("sejarah perpustakaan di Indonesia", wamid="wamid.HBgNNjI4MTIwMDAwMDAwMRUCABIYFDNB")
        assert resp.status == 200

    async def drafted() -> bool:
        return bool(await desk.services.store.draft_ids())

    await eventually(drafted, what="the draft")
    assert len(await desk.services.store.fetchall("SELECT * FROM requests")) == 1
    assert len(await desk.services.store.draft_ids()) == 1
    acks = [m for m in await desk.sent_to(PATRON) if m["text"].startswith("Terima kasih")]
    assert len(acks) == 1


async def test_crossref_down_still_gives_a_draft_with_a_note(desk: Desk) -> None:
    await desk.crossref_control(status=503, times=1000)
    await desk.patron_says("jurnal tentang perpustakaan digital")

    async def review() -> str | None:
        texts = [m["text"] for m in await desk.sent_to(LIBRARIAN)]
        joined = "\n".join(texts)
        return joined if any(m["buttons"] for m in await desk.sent_to(LIBRARIAN)) else None

    text = await eventually(review, what="the draft despite Crossref being down")
    assert "Crossref tidak dapat dihubungi" in text
    [draft_id] = await desk.services.store.draft_ids()
    draft = await desk.services.store.get_draft(draft_id)
    assert draft is not None
    assert draft.items, "catalog results still fill the draft"
    assert {r.candidate.source for r in draft.items} == {"catalog"}


async def test_every_recorded_cloud_api_payload_is_accepted(desk: Desk) -> None:
    folder = shared_data("whatsapp", "pywa")
    files = sorted(folder.glob("*.json"))
    assert len(files) > 50
    for path in files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        resp = await desk.post_webhook(payload)
        assert resp.status == 200, path.name
    # Text messages among them became questions; nothing failed.
    counts = await desk.services.store.inbox_counts()
    assert counts.get("failed", 0) == 0
    async with desk.http.get(f"{desk.url}/healthz") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ok"


@pytest.mark.parametrize("value", [
    b"sha256=" + b"\xff" * 64,
    b"sha256=" + b"ab" * 31 + b"\xc3\x28",
    b"\xfe\xff=" + b"0" * 64,
    b"sha256=" + "é".encode() * 32,
])
async def test_signature_header_with_bytes_that_are_not_utf8_is_a_401(desk: Desk, value: bytes) -> None:
    # Meta (or anyone) may send anything in the header: a bad signature is 401, never a 500.
    body = encode(text_message(desk.business, PATRON, "buku perpustakaan"))
    headers = [(SIGNATURE_HEADER.encode(), value), (b"Content-Type", b"application/json")]
    assert await raw_request(desk.url, "POST", "/webhook", headers, body) == 401
    assert await desk.services.store.inbox_counts() == {}
    # The same body with its real signature still goes through.
    good = [(SIGNATURE_HEADER.encode(), sign(body, APP_SECRET).encode()), (b"Content-Type", b"application/json")]
    assert await raw_request(desk.url, "POST", "/webhook", good, body) == 200
