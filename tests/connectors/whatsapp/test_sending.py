"""Templates, lists and documents over loopback to the Graph-API stand-in, and every outgoing
shape refbot renders checked against WhatsApp's documented limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.whatsapp.channel import ListRow, ListSection, WhatsAppChannel, list_body, message_body, template_body
from refbot import codec
from refbot.config import Secret, WhatsAppSettings
from refbot.decisions import drafts
from refbot.delivery import render
from refbot.errors import ChannelError, MessageRefused
from refbot.models import (
    Attachment,
    Button,
    Candidate,
    Draft,
    Holding,
    InboundMessage,
    InformationNeed,
    Kind,
    OutgoingMessage,
    Ranked,
    Score,
    Template,
    Term,
)
from refbot.sandbox.graph import GRAPH_STATE, create_graph_standin
from refbot.sandbox.graph_rules import check_message
from refbot.store import Store

TOKEN = "test-token"
APP_SECRET = "test-app-secret"
PHONE_NUMBER_ID = "106540352242922"
PATRON = "6281200000001"
TEMPLATES = {("jawaban_pustakawan", "id"): 1, ("jawaban_pustakawan", "en"): 1, ("pengingat", "id"): 0}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Rig:
    channel: WhatsAppChannel
    server: TestServer
    session: aiohttp.ClientSession

    async def sent(self) -> list[dict[str, Any]]:
        async with self.session.get(self.server.make_url("/_sent")) as response:
            return list((await response.json())["messages"])

    @property
    def media(self) -> dict[str, Any]:
        return self.server.app[GRAPH_STATE].media


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, templates=TEMPLATES)
    async with TestServer(graph) as server, aiohttp.ClientSession() as session:
        base = str(server.make_url("/")).rstrip("/")
        whatsapp = WhatsAppSettings(graph_api_base=base, phone_number_id=PHONE_NUMBER_ID, send_timeout=2.0)
        yield Rig(WhatsAppChannel(whatsapp, Secret(TOKEN), Secret(APP_SECRET), session), server, session)


# --- templates -------------------------------------------------------------------------


async def test_a_template_is_sent_with_its_language_and_body_parameters(rig: Rig) -> None:
    wamid = await rig.channel.send_template(PATRON, "jawaban_pustakawan", "id", ["Daftar bacaan Anda sudah siap"])
    [record] = await rig.sent()
    assert record["id"] == wamid and record["type"] == "template"
    assert record["payload"]["template"] == {
        "name": "jawaban_pustakawan",
        "language": {"code": "id"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Daftar bacaan Anda sudah siap"}]}],
    }
    await rig.channel.send_template(PATRON, "pengingat", "id")
    assert "components" not in (await rig.sent())[1]["payload"]["template"]


async def test_an_outgoing_message_with_a_template_is_sent_as_that_template(rig: Rig) -> None:
    message = OutgoingMessage(PATRON, "", template=Template("jawaban_pustakawan", "en", ("Your list is ready",)))
    await rig.channel.send(message)
    [record] = await rig.sent()
    assert record["template"] == {"name": "jawaban_pustakawan", "language": "en", "parameters": ["Your list is ready"]}
    with pytest.raises(MessageRefused, match="cannot carry"):
        await rig.channel.send(OutgoingMessage(PATRON, "", (Button("a", "A"),), template=Template("x", "id")))


async def test_an_unknown_template_or_wrong_parameter_count_is_a_permanent_error(rig: Rig) -> None:
    with pytest.raises(ChannelError) as unknown:
        await rig.channel.send_template(PATRON, "tidak_ada", "id", ["x"])
    assert (unknown.value.code, unknown.value.transient) == (132001, False)
    with pytest.raises(ChannelError) as count:
        await rig.channel.send_template(PATRON, "jawaban_pustakawan", "id", ["x", "y"])
    assert (count.value.code, count.value.transient) == (132000, False)
    assert await rig.sent() == []


@pytest.mark.parametrize(
    ("name", "language", "parameters", "problem"),
    [
        ("Jawaban", "id", [], "lower-case"),
        ("jawaban-pustakawan", "id", [], "lower-case"),
        ("jawaban", "Indonesian", [], "language"),
        ("jawaban", "id", ["baris satu\nbaris dua"], "new line"),
        ("jawaban", "id", ["tab\there"], "new line"),
        ("jawaban", "id", ["lima     spasi"], "4 spaces"),
        ("jawaban", "id", [" "], "empty"),
        ("jawaban", "id", ["x" * 1025], "allows 1024"),
    ],
)
def test_templates_breaking_whatsapp_rules_are_refused(name: str, language: str, parameters: list[str],
                                                       problem: str) -> None:
    with pytest.raises(MessageRefused, match=problem):
        template_body(PATRON, name, language, parameters)


def test_template_bodies_pass_the_stand_in_rules() -> None:
    assert check_message(template_body(PATRON, "jawaban", "en_US", ["four    spaces ok"])) == ""


# --- lists -----------------------------------------------------------------------------


def rows(n: int, title: str = "Buku {i}", description: str = "Tersedia di rak") -> list[ListRow]:
    return [ListRow(f"row:{i}", title.format(i=i), description) for i in range(n)]


async def test_a_list_of_ten_rows_is_sent(rig: Rig) -> None:
    full = rows(10, title="x" * 20 + "{i:>4}", description="d" * 72)
    await rig.channel.send_list(PATRON, "Pilih buku untuk dipinjam", "Lihat daftar", full, header="Hasil", footer="refbot")
    [record] = await rig.sent()
    assert record["list_button"] == "Lihat daftar"
    assert [r["id"] for r in record["rows"]] == [f"row:{i}" for i in range(10)]
    interactive = record["payload"]["interactive"]
    assert interactive["header"] == {"type": "text", "text": "Hasil"} and interactive["footer"] == {"text": "refbot"}
    assert "title" not in interactive["action"]["sections"][0]


async def test_a_list_in_titled_sections_is_sent(rig: Rig) -> None:
    sections = [ListSection("Buku", tuple(rows(3))), ListSection("Artikel", (ListRow("a:1", "Artikel 1"),))]
    await rig.channel.send_list(PATRON, "Pilih", "Lihat", sections)
    [record] = await rig.sent()
    assert [s["title"] for s in record["payload"]["interactive"]["action"]["sections"]] == ["Buku", "Artikel"]
    assert "description" not in record["payload"]["interactive"]["action"]["sections"][1]["rows"][0]


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"sections": [ListSection("", tuple(rows(11)))]}, "1 to 10 rows"),
        ({"sections": [ListSection("A", tuple(rows(6))), ListSection("B", tuple(rows(5)))]}, "1 to 10 rows"),
        ({"sections": [ListSection("", (ListRow("r", "x" * 25),))]}, "WhatsApp allows 24"),
        ({"sections": [ListSection("", (ListRow("r", "Buku", "d" * 73),))]}, "WhatsApp allows 72"),
        ({"sections": [ListSection("", (ListRow("r", "A"), ListRow("r", "B")))]}, "ids must differ"),
        ({"sections": [ListSection("", (ListRow("", "A"),))]}, "needs an id"),
        ({"sections": []}, "1 to 10 sections"),
        ({"sections": [ListSection("", tuple(rows(1))), ListSection("B", tuple(rows(1)))]}, "needs a title"),
        ({"sections": [ListSection("", tuple(rows(1)))], "button": "x" * 21}, "WhatsApp allows 20"),
        ({"sections": [ListSection("", tuple(rows(1)))], "text": " "}, "body text"),
        ({"sections": [ListSection("", tuple(rows(1)))], "footer": "f" * 61}, "WhatsApp allows 60"),
    ],
)
def test_lists_breaking_whatsapp_limits_are_refused(kwargs: dict[str, Any], problem: str) -> None:
    args = {"text": "Pilih", "button": "Lihat", **kwargs}
    with pytest.raises(MessageRefused, match=problem):
        list_body(PATRON, args["text"], args["button"], args["sections"], footer=args.get("footer", ""))


async def test_an_over_long_list_is_refused_before_sending(rig: Rig) -> None:
    with pytest.raises(MessageRefused):
        await rig.channel.send_list(PATRON, "Pilih", "Lihat", rows(11))
    assert await rig.sent() == []


# --- documents -------------------------------------------------------------------------


async def test_a_document_is_uploaded_then_sent_by_media_id(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "surat.pdf"
    path.write_bytes(PDF)
    message = OutgoingMessage(PATRON, "Surat bebas pustaka Anda", document=Attachment(str(path), "Bebas Pustaka.pdf",
                                                                                    "application/pdf"))
    wamid = await rig.channel.send(message)
    [record] = await rig.sent()
    assert record["id"] == wamid and record["type"] == "document"
    document = record["payload"]["document"]
    assert document["filename"] == "Bebas Pustaka.pdf" and document["caption"] == "Surat bebas pustaka Anda"
    stored = rig.media[document["id"]]
    assert (stored.data, stored.mime_type, stored.filename) == (PDF, "application/pdf", "Bebas Pustaka.pdf")


async def test_a_ris_list_goes_as_plain_text(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "daftar.ris"
    path.write_text("TY  - BOOK\nTI  - Literasi Informasi\nER  - \n", encoding="utf-8")
    await rig.channel.send(OutgoingMessage(PATRON, "", document=Attachment(str(path), "daftar.ris",
                                                                           "application/x-research-info-systems")))
    [record] = await rig.sent()
    assert "caption" not in record["payload"]["document"]
    assert rig.media[record["payload"]["document"]["id"]].mime_type == "text/plain"


@pytest.mark.parametrize(
    ("name", "mime_type", "text", "buttons", "problem"),
    [
        ("missing.pdf", "application/pdf", "", (), "cannot read"),
        ("surat.pdf", "application/zip", "", (), "cannot send a application/zip"),
        ("surat.pdf", "application/pdf", "x" * 1025, (), "WhatsApp allows 1024"),
        ("surat.pdf", "application/pdf", "pilih", (Button("a", "A"),), "cannot carry reply buttons"),
        ("empty.pdf", "application/pdf", "", (), "is empty"),
    ],
)
async def test_documents_that_cannot_be_sent_are_refused_before_upload(
    rig: Rig, tmp_path: Path, name: str, mime_type: str, text: str, buttons: tuple[Button, ...], problem: str
) -> None:
    (tmp_path / "surat.pdf").write_bytes(PDF)
    (tmp_path / "empty.pdf").write_bytes(b"")
    message = OutgoingMessage(PATRON, text, buttons, Attachment(str(tmp_path / name), name, mime_type))
    with pytest.raises(MessageRefused, match=problem):
        await rig.channel.send(message)
    assert rig.media == {} and await rig.sent() == []


# --- images ----------------------------------------------------------------------------


def test_an_image_message_is_the_uploaded_media_id_and_a_caption() -> None:
    message = OutgoingMessage(PATRON, "📷 Snap #7", image=Attachment("/media/7.png", "snap-7.png", "image/png"))
    body = message_body(message, media_id="1013859600285441")
    assert body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": PATRON,
                    "type": "image", "image": {"id": "1013859600285441", "caption": "📷 Snap #7"}}
    assert check_message(body) == ""
    bare = message_body(OutgoingMessage(PATRON, " ", image=message.image), media_id="1013859600285441")
    assert bare["image"] == {"id": "1013859600285441"} and check_message(bare) == ""


async def test_an_image_is_uploaded_then_sent_as_an_image_message(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "7-screen.png"
    path.write_bytes(PNG)
    wamid = await rig.channel.send(OutgoingMessage(PATRON, "Snap #7", image=Attachment(str(path), "snap-7.png",
                                                                                        "image/png")))
    [record] = await rig.sent()
    assert record["id"] == wamid and record["type"] == "image" and record["text"] == "Snap #7"
    assert record["payload"]["image"].keys() == {"id", "caption"}
    stored = rig.media[record["payload"]["image"]["id"]]
    assert (stored.data, stored.mime_type) == (PNG, "image/png")


@pytest.mark.parametrize(
    ("name", "mime_type", "text", "buttons", "problem"),
    [
        ("shot.webp", "image/webp", "", (), "cannot send a image/webp image"),
        ("shot.png", "image/png", "x" * 1025, (), "image caption is 1025 characters; WhatsApp allows 1024"),
        ("shot.png", "image/png", "pilih", (Button("a", "A"),), "an image cannot carry reply buttons"),
        ("big.png", "image/png", "", (), "WhatsApp allows 5242880"),
        ("empty.png", "image/png", "", (), "is empty"),
        ("missing.png", "image/png", "", (), "cannot read image"),
    ],
)
async def test_images_that_cannot_be_sent_are_refused_before_upload(
    rig: Rig, tmp_path: Path, name: str, mime_type: str, text: str, buttons: tuple[Button, ...], problem: str
) -> None:
    (tmp_path / "shot.png").write_bytes(PNG)
    (tmp_path / "shot.webp").write_bytes(b"RIFF\x00\x00\x00\x00WEBP")
    (tmp_path / "big.png").write_bytes(PNG + bytes(5 * 1024 * 1024))
    (tmp_path / "empty.png").write_bytes(b"")
    message = OutgoingMessage(PATRON, text, buttons, image=Attachment(str(tmp_path / name), name, mime_type))
    with pytest.raises(MessageRefused, match=problem):
        await rig.channel.send(message)
    assert rig.media == {} and await rig.sent() == []


def test_a_message_carries_a_document_or_an_image_not_both() -> None:
    attachment = Attachment("/media/7.png", "snap-7.png", "image/png")
    with pytest.raises(MessageRefused, match="not both"):
        message_body(OutgoingMessage(PATRON, "x", document=attachment, image=attachment), media_id="1")
    with pytest.raises(MessageRefused, match="cannot carry"):
        message_body(OutgoingMessage(PATRON, "", image=attachment, template=Template("pengingat", "id")))


async def test_a_failed_upload_is_a_transient_error_and_nothing_is_sent(rig: Rig, tmp_path: Path) -> None:
    path = tmp_path / "surat.pdf"
    path.write_bytes(PDF)
    async with rig.session.post(rig.server.make_url("/_control"), json={"status": 503, "on": "media"}) as r:
        assert r.status == 200
    message = OutgoingMessage(PATRON, "Surat", document=Attachment(str(path), "surat.pdf", "application/pdf"))
    with pytest.raises(ChannelError) as caught:
        await rig.channel.send(message)
    assert caught.value.transient and "upload" in str(caught.value)
    assert await rig.sent() == []
    assert await rig.channel.send(message)  # the fault was for one call


async def test_user_id_recipients_are_addressed_by_recipient(rig: Rig) -> None:
    await rig.channel.send(OutgoingMessage("ID.13491208655302741918", "halo"))
    [record] = await rig.sent()
    assert record["to"] == "ID.13491208655302741918"
    assert "to" not in record["payload"] and record["payload"]["recipient"] == "ID.13491208655302741918"


# --- every outgoing shape refbot renders -----------------------------------------------


def candidate(i: int, title: str, authors: tuple[str, ...], note: str) -> Candidate:
    return Candidate(
        source="catalog" if i % 2 else "crossref",
        source_id=str(i),
        kind=Kind.BOOK if i % 2 else Kind.ARTICLE,
        title=title,
        authors=authors,
        year=2000 + i,
        container=note,
        call_number=f"020 {note[:40]}",
        holdings=(Holding(location=note[:80], call_number="020", available=bool(i % 3)),),
        doi=f"10.5555/{note[:200]}" if i % 2 == 0 else "",
        url=f"https://example.org/{i}",
    )


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=600)


@st.composite
def draft_cases(draw: st.DrawFn) -> tuple[Draft, InformationNeed]:
    n = draw(st.integers(0, 30))
    items = tuple(
        Ranked(
            candidate(i, draw(texts) or "judul", tuple(draw(st.lists(texts, max_size=5))), draw(texts)),
            Score(draw(st.floats(0, 1)), (("source", 0.5), ("title", 0.25))),
        )
        for i in range(n)
    )
    draft = Draft(
        id=draw(st.integers(1, 10**9)),
        request_id=1,
        items=items,
        version=draw(st.integers(1, 99)),
        note=draw(st.text(max_size=5000)),
        source_notes=tuple(draw(st.lists(texts, max_size=3))),
        language=draw(st.sampled_from(["id", "en"])),
        patron=PATRON,
        question=draw(st.text(max_size=5000)),
    )
    need = InformationNeed(raw=draft.question, terms=tuple(Term(t) for t in draw(st.lists(texts, max_size=20))),
                           year_from=draw(st.none() | st.integers(1900, 2030)))
    return draft, need


def assert_sendable(message: OutgoingMessage) -> None:
    body = message_body(message)  # refbot's own checks: raises ValueError on any broken limit
    assert check_message(body) == "", body  # and the rules the stand-in enforces as the real API does


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draft_cases())
def test_every_rendered_draft_and_list_fits_whatsapp(drafted: tuple[Draft, InformationNeed]) -> None:
    draft, need = drafted
    for language in ("id", "en"):
        review = render.librarian_draft(draft, need, language, "6281300000001")
        assert review[-1].buttons and len(review[-1].buttons) <= 3
        for message in [*review, *render.patron_list(draft, language)]:
            assert_sendable(message)


async def test_the_messages_approvals_queue_fit_whatsapp(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        long_title = "Literasi informasi " * 40
        ids = []
        for n in range(2):
            await store.record_inbound(InboundMessage(f"wamid.{n}", PATRON, "text", text="literasi"))
            [row] = await store.claim_inbox(1)
            request = await store.create_request(row.id, PATRON, InformationNeed(raw="literasi"))
            items = tuple(Ranked(candidate(i, long_title, ("A",) * 5, "catatan " * 30), Score(0.5)) for i in range(40))
            async with store.tx() as db:
                ids.append(await store.insert_draft(db, request.id, items, ()))
        await drafts.edit(store, ids[0], "6281300000001", note="Silakan ambil di lantai 2. " * 300)
        await drafts.approve(store, ids[0], "6281300000001")
        await drafts.reject(store, ids[1], "6281300000001", reply="Mohon maaf. " * 1000)
        messages = [codec.loads(OutgoingMessage, r["message"]) for r in await store.outbox_rows()]
        assert len(messages) > 3  # the long list was split on item boundaries
        for message in messages:
            assert_sendable(message)
    finally:
        await store.close()
