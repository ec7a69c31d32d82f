"""Snap and send over the real webhook path: what the librarians' phones get from the Graph stand-in."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from refbot.sandbox.payloads import media_message
from tests.conftest import LIBRARIAN, PATRON, TOKEN, Desk, eventually
from tests.services.conftest import render_text_image

LOGIN_FAILED = ["Portal Perpustakaan", "Login gagal: nama pengguna atau", "kata sandi salah. Silakan coba lagi."]
DELIVERED = ("sent", "delivered", "read")


async def patron_sends(desk: Desk, data: bytes, mime_type: str, kind: str, *, caption: str = "",
                       filename: str = "") -> tuple[int, str]:
    """The patron's phone uploads the file and WhatsApp posts its webhook; the snap request id and file hash."""
    async with desk.http.post(f"{desk.graph_url}/_media", data=data, params={"filename": filename},
                              headers={"Content-Type": mime_type}) as resp:
        uploaded = await resp.json()
    await desk.post_webhook(media_message(desk.business, PATRON, kind, uploaded["id"], mime_type, caption=caption,
                                          filename=filename))
    row = await eventually(lambda: desk.services.store.fetchone(
        "SELECT id FROM service_requests WHERE patron = ? AND kind = 'snap'", (PATRON,)), what="the snap request")
    return int(row["id"]), str(uploaded["sha256"])


async def librarian_got(desk: Desk, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]] | None:
        messages = await desk.sent_to(LIBRARIAN)
        return messages if len(messages) >= count else None

    return list(await eventually(arrived, what=f"{count} messages to the librarian"))


async def forwarded_media(desk: Desk, media_id: str) -> dict[str, Any]:
    """What the Graph API says of the media a message names (type, size, SHA-256)."""
    version = desk.services.settings.whatsapp.api_version
    async with desk.http.get(f"{desk.graph_url}/{version}/{media_id}",
                             headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
        assert resp.status == 200, await resp.text()
        return dict(await resp.json())


async def delivered_to_librarian(desk: Desk, request_id: int) -> Any:
    """The librarian's outbox row for the forwarded file, once a status says it went out."""
    async def settled() -> Any:
        row = await desk.services.store.fetchone(
            "SELECT state, error FROM outbox WHERE idem_key = ?", (f"svc:{request_id}:new:librarian:{LIBRARIAN}:0",))
        return row if row is not None and row["state"] not in ("pending", "sending", "unsure") else None

    return await eventually(settled, what="the forwarded file to leave the outbox")


async def test_a_screenshot_reaches_the_librarian_as_an_image_with_the_text_read_and_a_suggestion(desk: Desk) -> None:
    request_id, sha256 = await patron_sends(desk, render_text_image(LOGIN_FAILED), "image/png", "image",
                                            caption="kak, saya tidak bisa login")
    image, read, decision = await librarian_got(desk, 3)

    assert image["type"] == "image" and "document" not in image["payload"]
    shown = image["payload"]["image"]
    assert set(shown) == {"id", "caption"}  # an image message has no file name
    assert shown["caption"] == image["text"] and f"Snap #{request_id}" in image["text"]
    media = await forwarded_media(desk, shown["id"])
    assert (media["mime_type"], media["sha256"]) == ("image/png", sha256)  # the patron's own screenshot

    row = await delivered_to_librarian(desk, request_id)
    assert row["state"] in DELIVERED, row["error"]
    assert "saya tidak bisa login" in read["text"] and "Login gagal" in read["text"]
    assert "Gagal masuk ke portal perpustakaan" in decision["text"] and "Untuk masuk ke portal" in decision["text"]
    assert [b["id"] for b in decision["buttons"]] == [f"snap-approve:{request_id}", f"snap-reject:{request_id}"]
    failed = await desk.services.store.fetchall("SELECT idem_key, error FROM outbox WHERE state = 'failed'")
    assert [tuple(r) for r in failed] == []


async def test_a_pdf_snap_reaches_the_librarian_as_a_document_with_its_file_name(desk: Desk) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "Your session has expired. Please sign in again.")
    request_id, sha256 = await patron_sends(desk, bytes(pdf.output()), "application/pdf", "document",
                                            filename="error portal.pdf")
    document, _read, decision = await librarian_got(desk, 3)

    assert document["type"] == "document"
    assert document["payload"]["document"]["filename"] == f"snap-{request_id}.pdf"
    assert f"Snap #{request_id}" in document["payload"]["document"]["caption"]
    assert (await forwarded_media(desk, document["document"]["id"]))["sha256"] == sha256
    assert (await delivered_to_librarian(desk, request_id))["state"] in DELIVERED
    assert "Sesi habis" in decision["text"]
