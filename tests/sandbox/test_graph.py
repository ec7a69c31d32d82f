"""The Graph-API stand-in: token, validation, recording, status webhooks, fault injection."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.whatsapp.channel import WhatsAppChannel, parse_updates
from refbot.config import Secret, WhatsAppSettings
from refbot.models import OutgoingMessage, StatusUpdate
from refbot.sandbox.graph import create_graph_standin

TOKEN = "graph-token"
APP_SECRET = "graph-app-secret"
PHONE_NUMBER_ID = "1122334455667"
SEND_PATH = f"/v21.0/{PHONE_NUMBER_ID}/messages"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Receiver:
    """A tiny stand-in for refbot's /webhook that keeps what it was sent."""

    bodies: list[tuple[str, bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    refuse: int = 0  # answer this many posts 503, as a service that is restarting would
    refused: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        if self.refuse > self.refused:
            self.refused += 1
            return web.Response(status=503, text="restarting")
        self.bodies.append((request.headers.get("X-Hub-Signature-256", ""), await request.read()))
        self.arrived.set()
        return web.Response(text="ok")

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.bodies) < count:
                self.arrived.clear()
                await self.arrived.wait()


@dataclass
class Rig:
    server: TestServer
    session: aiohttp.ClientSession
    receiver: Receiver
    channel: WhatsAppChannel

    async def post(self, body: Any, headers: dict[str, str] | None = None, path: str = SEND_PATH) -> tuple[int, Any]:
        async with self.session.post(
            self.server.make_url(path), json=body, headers=AUTH if headers is None else headers
        ) as r:
            return r.status, await r.json()

    async def control(self, fault: Any) -> tuple[int, Any]:
        async with self.session.post(self.server.make_url("/_control"), json=fault) as r:
            return r.status, await r.json()

    def statuses(self) -> list[StatusUpdate]:
        found = []
        for header, body in self.receiver.bodies:
            assert self.channel.verify_signature(body, header), "status webhook not signed with the app secret"
            found += [u for u in parse_updates(json.loads(body)) if isinstance(u, StatusUpdate)]
        return found


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    receiver = Receiver()
    hook = web.Application()
    hook.router.add_post("/webhook", receiver.handle)
    async with TestServer(hook) as hook_server, aiohttp.ClientSession() as session:
        graph = create_graph_standin(
            TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=str(hook_server.make_url("/webhook")), status_delay=0.01
        )
        async with TestServer(graph) as server:
            settings = WhatsAppSettings(
                graph_api_base=str(server.make_url("/")).rstrip("/"), phone_number_id=PHONE_NUMBER_ID
            )
            channel = WhatsAppChannel(settings, Secret(TOKEN), Secret(APP_SECRET), session)
            yield Rig(server, session, receiver, channel)


def text_body(to: str = "6281200000001", body: str = "halo") -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}


def buttons_body(*titles: str, text: str = "pilih") -> dict[str, Any]:
    buttons = [{"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)]
    return {
        "messaging_product": "whatsapp",
        "to": "628",
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": text}, "action": {"buttons": buttons}},
    }


async def test_an_accepted_message_gets_the_real_answer_shape(rig: Rig) -> None:
    status, answer = await rig.post(text_body(to="+62 812-0000-0001"))
    assert status == 200
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "+62 812-0000-0001", "wa_id": "6281200000001"}]
    assert answer["messages"][0]["id"].startswith("wamid.")


async def test_sent_and_delivered_webhooks_follow_signed(rig: Rig) -> None:
    wamid = await rig.channel.send(OutgoingMessage(to="6281200000001", text="halo"))
    await rig.receiver.wait_for(2)
    assert [(s.wamid, s.status, s.recipient) for s in rig.statuses()] == [
        (wamid, "sent", "6281200000001"),
        (wamid, "delivered", "6281200000001"),
    ]
    async with rig.session.get(rig.server.make_url("/_sent"), params={"to": "6281200000001"}) as r:
        [record] = (await r.json())["messages"]
    assert record["status"] == "delivered"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
async def test_a_missing_or_wrong_token_is_refused(rig: Rig, headers: dict[str, str]) -> None:
    status, answer = await rig.post(text_body(), headers=headers)
    assert status == 401
    assert answer["error"]["code"] == 190 and answer["error"]["type"] == "OAuthException"
    assert answer["error"]["fbtrace_id"]


async def test_another_phone_number_id_does_not_exist(rig: Rig) -> None:
    status, answer = await rig.post(text_body(), path="/v21.0/999/messages")
    assert status == 400 and answer["error"]["code"] == 100
    assert "'999' does not exist" in answer["error"]["error_data"]["details"]


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (buttons_body("a", "b", "c", "d"), "Invalid buttons count"),
        (buttons_body(), "Invalid buttons count"),
        (buttons_body("x" * 21), "Button title length invalid"),
        (buttons_body("Ya", "Ya"), "unique"),
        (buttons_body("Ya", text="x" * 1025), "interactive['body']['text']"),
        (text_body(body="x" * 4097), "text['body']"),
        (text_body(body=""), "text['body']"),
        ({**text_body(), "messaging_product": "sms"}, "messaging_product"),
        ({**text_body(), "to": ""}, "to"),
        ({**text_body(), "type": "sticker"}, "Param type"),
        ({**text_body(), "text": "halo"}, "Param text"),
        ({**text_body(), "type": "image", "image": {"caption": "Snap"}}, "exactly one of id or link"),
        ({**text_body(), "type": "image", "image": {"id": "1", "filename": "snap.png"}}, "only for document"),
        ({**text_body(), "type": "image", "image": {"id": "1", "caption": "x" * 1025}}, "image['caption']"),
        ([text_body()], "JSON object"),
        (
            {**buttons_body("Ya"), "interactive": {"type": "carousel", "body": {"text": "x"}, "action": {}}},
            "interactive['type']",
        ),
    ],
)
async def test_bodies_the_real_api_refuses_get_code_100(rig: Rig, body: Any, details: str) -> None:
    status, answer = await rig.post(body)
    assert status == 400, answer
    assert answer["error"]["code"] == 100 and details in answer["error"]["error_data"]["details"]
    async with rig.session.get(rig.server.make_url("/_sent")) as r:
        assert (await r.json())["messages"] == []


async def test_a_list_message_is_accepted_and_recorded_with_its_rows(rig: Rig) -> None:
    rows = [{"id": f"r{i}", "title": f"Buku {i}", "description": "Tersedia"} for i in range(10)]
    body = {
        "messaging_product": "whatsapp",
        "to": "628",
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Pilih"},
            "action": {"button": "Lihat", "sections": [{"title": "Hasil", "rows": rows}]},
        },
    }
    assert (await rig.post(body))[0] == 200
    rows.append({"id": "r10", "title": "Buku 10"})
    status, answer = await rig.post(body)
    assert status == 400 and "rows" in answer["error"]["error_data"]["details"]
    async with rig.session.get(rig.server.make_url("/_sent"), params={"to": "628"}) as r:
        [record] = (await r.json())["messages"]
    assert record["list_button"] == "Lihat" and len(record["rows"]) == 10


async def test_faults_play_for_the_given_number_of_sends_then_clear(rig: Rig) -> None:
    assert (await rig.control({"status": 500, "code": 131000, "times": 2}))[0] == 200
    for _ in range(2):
        status, answer = await rig.post(text_body())
        assert status == 500 and answer["error"]["code"] == 131000
        assert answer["error"]["message"] == "(#131000) Something went wrong"
    assert (await rig.post(text_body()))[0] == 200


async def test_a_fault_given_for_seconds_is_an_outage_by_the_standins_clock() -> None:
    now = [1000.0]
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, clock=lambda: now[0])
    async with TestServer(graph) as server, aiohttp.ClientSession() as session:

        async def send() -> int:
            async with session.post(server.make_url(SEND_PATH), json=text_body(), headers=AUTH) as r:
                return r.status

        async with session.post(server.make_url("/_control"), json={"status": 503, "for": 180}) as r:
            assert r.status == 200
        assert [await send() for _ in range(5)] == [503] * 5, "every send, however many"
        now[0] += 179
        assert await send() == 503
        now[0] += 1
        assert [await send() for _ in range(2)] == [200, 200]
        async with session.post(server.make_url("/_control"), json={"status": 503, "for": 0}) as r:
            assert r.status == 400


async def test_a_code_alone_answers_400(rig: Rig) -> None:
    await rig.control({"code": 131047})
    status, answer = await rig.post(text_body())
    assert (status, answer["error"]["code"]) == (400, 131047)


async def test_an_empty_control_clears_faults(rig: Rig) -> None:
    await rig.control({"status": 429, "code": 130429, "times": 5})
    status, fault = await rig.control({})
    assert status == 200 and fault["times"] == 0
    assert (await rig.post(text_body()))[0] == 200


@pytest.mark.parametrize("fault", [[], {"status": "429"}, {"status": 200}, {"times": True, "status": 500}])
async def test_bad_faults_are_refused(rig: Rig, fault: Any) -> None:
    status, answer = await rig.control(fault)
    assert status == 400 and "bad fault" in answer["error"]


async def test_an_asynchronous_failure_arrives_as_a_failed_status(rig: Rig) -> None:
    await rig.control({"code": 131026, "as_status": True})
    wamid = await rig.channel.send(OutgoingMessage(to="6281200000001", text="halo"))
    await rig.receiver.wait_for(1)
    [failed] = rig.statuses()
    assert (failed.wamid, failed.status, failed.errors) == (wamid, "failed", ("131026: Message undeliverable",))


async def test_a_status_webhook_is_posted_again_until_it_is_answered(rig: Rig) -> None:
    rig.receiver.refuse = 4  # Meta keeps trying for days; a status is not lost to a restart
    wamid = await rig.channel.send(OutgoingMessage(to="6281200000001", text="halo"), callback_data="refbot.outbox.9")
    await rig.receiver.wait_for(2)
    assert rig.receiver.refused == 4
    assert [(s.wamid, s.status, s.callback_data) for s in rig.statuses()] == [
        (wamid, "sent", "refbot.outbox.9"), (wamid, "delivered", "refbot.outbox.9")]


async def test_it_mounts_as_a_sub_app() -> None:
    main = web.Application()
    main.add_subapp("/sandbox/graph", create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID))
    async with TestServer(main) as server, aiohttp.ClientSession() as session:
        base = str(server.make_url("/sandbox/graph"))
        settings = WhatsAppSettings(graph_api_base=base, phone_number_id=PHONE_NUMBER_ID)
        channel = WhatsAppChannel(settings, Secret(TOKEN), Secret(APP_SECRET), session)
        wamid = await channel.send(OutgoingMessage(to="628", text="halo"))
        async with session.get(server.make_url("/sandbox/graph/_sent")) as r:
            assert [m["id"] for m in (await r.json())["messages"]] == [wamid]


def test_it_refuses_to_run_without_secrets() -> None:
    with pytest.raises(ValueError, match="REFBOT_WHATSAPP_TOKEN"):
        create_graph_standin(Secret(""), APP_SECRET, PHONE_NUMBER_ID)


# --- statuses before the answer, media, templates, documents ------------------------------


async def test_statuses_first_posts_the_status_webhooks_before_answering(rig: Rig) -> None:
    await rig.control({"statuses_first": True, "times": 1})
    wamid = await rig.channel.send(OutgoingMessage(to="6281200000001", text="halo"))
    # Both webhooks were answered by the receiver before send() returned.
    assert [(s.wamid, s.status) for s in rig.statuses()] == [(wamid, "sent"), (wamid, "delivered")]
    await rig.channel.send(OutgoingMessage(to="6281200000001", text="lagi"))
    assert len(rig.statuses()) == 2  # the next send is back to statuses afterwards


async def test_a_failed_status_can_also_come_first(rig: Rig) -> None:
    await rig.control({"statuses_first": True, "as_status": True, "code": 131047})
    wamid = await rig.channel.send(OutgoingMessage(to="6281200000001", text="halo"))
    [failed] = rig.statuses()
    assert (failed.wamid, failed.status, failed.errors) == (wamid, "failed", ("131047: Re-engagement message",))


async def upload(rig: Rig, data: bytes, mime_type: str, path: str = f"/v21.0/{PHONE_NUMBER_ID}/media",
                 product: str = "whatsapp") -> tuple[int, Any]:
    form = aiohttp.FormData()
    form.add_field("messaging_product", product)
    form.add_field("type", mime_type)
    form.add_field("file", io.BytesIO(data), filename="f", content_type=mime_type)
    async with rig.session.post(rig.server.make_url(path), data=form, headers=AUTH) as r:
        return r.status, await r.json()


async def test_an_upload_answers_a_media_id_that_a_document_can_use(rig: Rig) -> None:
    status, answer = await upload(rig, b"%PDF-1.4 surat", "application/pdf")
    assert status == 200 and answer["id"].isdigit()
    body = {"messaging_product": "whatsapp", "to": "628", "type": "document",
            "document": {"id": answer["id"], "filename": "surat.pdf", "caption": "Surat"}}
    assert (await rig.post(body))[0] == 200
    status, refused = await rig.post({**body, "document": {"id": "999", "filename": "x.pdf"}})
    assert status == 400 and refused["error"]["code"] == 131053


async def test_an_image_message_needs_an_uploaded_jpeg_or_png(rig: Rig) -> None:
    _, png = await upload(rig, b"\x89PNG\r\n\x1a\n snap", "image/png")
    _, pdf = await upload(rig, b"%PDF-1.4 surat", "application/pdf")
    body = {"messaging_product": "whatsapp", "to": "628", "type": "image", "image": {"id": png["id"], "caption": "Snap"}}
    status, _ = await rig.post(body)
    assert status == 200
    async with rig.session.get(rig.server.make_url("/_sent")) as r:
        [record] = (await r.json())["messages"]
    assert (record["type"], record["text"], record["image"]["id"]) == ("image", "Snap", png["id"])
    for media_id, details in ((pdf["id"], "Unsupported Image mime type application/pdf"), ("999", "not found")):
        status, refused = await rig.post({**body, "image": {"id": media_id}})
        assert status == 400 and refused["error"]["code"] == 131053
        assert details in refused["error"]["error_data"]["details"]


@pytest.mark.parametrize(
    ("data", "mime_type", "product", "code", "details"),
    [
        (b"PK\x03\x04", "application/zip", "whatsapp", 131053, "Received file of type 'application/zip'"),
        (b"\xff\xd8\xff" * 2_000_000, "image/jpeg", "whatsapp", 131053, "too big"),
        (b"%PDF", "application/pdf", "sms", 100, "messaging_product"),
    ],
)
async def test_uploads_the_real_api_refuses(rig: Rig, data: bytes, mime_type: str, product: str, code: int,
                                            details: str) -> None:
    status, answer = await upload(rig, data, mime_type, product=product)
    assert status == 400 and answer["error"]["code"] == code and details in answer["error"]["error_data"]["details"]


async def test_an_upload_needs_the_token_and_the_right_number(rig: Rig) -> None:
    status, answer = await upload(rig, b"%PDF", "application/pdf", path="/v21.0/999/media")
    assert status == 400 and "'999' does not exist" in answer["error"]["error_data"]["details"]
    async with rig.session.post(rig.server.make_url(f"/v21.0/{PHONE_NUMBER_ID}/media"), data=b"x") as r:
        assert r.status == 401


async def test_a_media_lookup_names_a_fresh_link_to_the_bytes(rig: Rig) -> None:
    async with rig.session.post(rig.server.make_url("/_media"), data=b"\xff\xd8\xff foto",
                                headers={"Content-Type": "image/jpeg"}) as r:
        media_id = (await r.json())["id"]
    async with rig.session.get(rig.server.make_url(f"/v21.0/{media_id}"), headers=AUTH) as r:
        info = await r.json()
    assert set(info) == {"messaging_product", "url", "mime_type", "sha256", "file_size", "id"}
    async with rig.session.get(info["url"], headers=AUTH) as r:
        assert r.status == 200 and await r.read() == b"\xff\xd8\xff foto"
        assert r.content_type == "image/jpeg"
    async with rig.session.get(rig.server.make_url(f"/v21.0/{media_id}"),
                               params={"phone_number_id": "999"}, headers=AUTH) as r:
        assert r.status == 400


async def test_a_message_to_a_user_id_is_accepted_by_recipient(rig: Rig) -> None:
    body = {"messaging_product": "whatsapp", "recipient": "ID.1234567890", "type": "text", "text": {"body": "halo"}}
    status, answer = await rig.post(body)
    assert status == 200 and answer["contacts"] == [{"input": "ID.1234567890", "user_id": "ID.1234567890"}]
    status, _ = await rig.post({**body, "recipient": "not a user id"})
    assert status == 400


async def test_known_templates_are_checked_by_name_language_and_parameter_count() -> None:
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, templates={("jawaban", "id"): 1})
    async with TestServer(graph) as server, aiohttp.ClientSession() as session:
        async def post(template: dict[str, Any]) -> tuple[int, Any]:
            body = {"messaging_product": "whatsapp", "to": "628", "type": "template", "template": template}
            async with session.post(server.make_url(SEND_PATH), json=body, headers=AUTH) as r:
                return r.status, await r.json()

        one = [{"type": "body", "parameters": [{"type": "text", "text": "siap"}]}]
        assert (await post({"name": "jawaban", "language": {"code": "id"}, "components": one}))[0] == 200
        status, answer = await post({"name": "jawaban", "language": {"code": "en"}, "components": one})
        assert (status, answer["error"]["code"]) == (404, 132001)
        status, answer = await post({"name": "jawaban", "language": {"code": "id"}})
        assert (status, answer["error"]["code"]) == (400, 132000)
        bad = [{"type": "body", "parameters": [{"type": "text", "text": "dua\nbaris"}]}]
        status, answer = await post({"name": "jawaban", "language": {"code": "id"}, "components": bad})
        assert status == 400 and "new-line" in answer["error"]["error_data"]["details"]


async def test_a_media_fault_leaves_sends_alone(rig: Rig) -> None:
    await rig.control({"status": 500, "on": "media"})
    assert (await rig.post(text_body()))[0] == 200
    status, _ = await upload(rig, b"%PDF", "application/pdf")
    assert status == 500
    assert (await rig.control({"status": 500, "on": "elsewhere"}))[0] == 400


async def test_status_webhooks_echo_the_callback_data_and_the_user_id(rig: Rig) -> None:
    await rig.channel.send(OutgoingMessage(to="ID.1234567890", text="halo"), callback_data="draft:7:v1:patron:0")
    await rig.receiver.wait_for(2)
    for _, body in rig.receiver.bodies:
        [status] = json.loads(body)["entry"][0]["changes"][0]["value"]["statuses"]
        assert status["biz_opaque_callback_data"] == "draft:7:v1:patron:0"
        assert status["recipient_user_id"] == "ID.1234567890" and "recipient_id" not in status
    assert [s.recipient for s in rig.statuses()] == ["ID.1234567890"] * 2


def test_the_shared_state_module_imports_none_of_the_endpoint_modules() -> None:
    import ast
    from pathlib import Path

    import refbot.sandbox.graph_state as graph_state
    from refbot.sandbox import graph, graph_media, graph_statuses

    tree = ast.parse(Path(graph_state.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"refbot.sandbox.graph", "refbot.sandbox.graph_media", "refbot.sandbox.graph_statuses"}
    # One GraphState and one error answer, whichever module a caller reaches them through.
    assert graph.GraphState is graph_media.GraphState is graph_statuses.GraphState is graph_state.GraphState
    assert graph.graph_error_response is graph_media.graph_error_response is graph_state.graph_error_response
