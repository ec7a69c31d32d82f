"""The WhatsApp channel: signatures, every recorded webhook shape, garbage, and real sends.

Sends go over loopback HTTP to the sandbox's Graph-API stand-in, so the request bodies,
headers and error answers are the real wire format, not mocks.
"""

from __future__ import annotations

import csv
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.whatsapp.channel import WhatsAppChannel, media_id_of, message_body, parse_updates
from connectors.whatsapp.inbound import STATUS_ALIASES
from refbot.config import Secret, WhatsAppSettings
from refbot.errors import ChannelError, MessageRefused, SendInDoubt
from refbot.models import (
    AccountError,
    Button,
    IgnoredUpdate,
    InboundMessage,
    NumberChange,
    OutgoingMessage,
    StatusUpdate,
)
from refbot.sandbox.graph import GRAPH_STATE, create_graph_standin
from refbot.sandbox.payloads import BusinessNumber, button_reply, encode, sign, status_update, text_message
from tests.conftest import SHARED_DATA, eventually

PYWA = SHARED_DATA / "whatsapp" / "pywa"
NO_DATA = f"recorded WhatsApp payloads not found at {PYWA} (the shared data folder is not mounted)"
TOKEN = "test-token"
APP_SECRET = "test-app-secret"
PHONE_NUMBER_ID = "106540352242922"
BUSINESS = BusinessNumber(PHONE_NUMBER_ID)


def load(name: str) -> Any:
    path = PYWA / name
    if not path.exists():
        pytest.skip(NO_DATA)
    return json.loads(path.read_text(encoding="utf-8"))


def offline_channel(app_secret: str = APP_SECRET) -> WhatsAppChannel:
    # parse_updates and verify_signature never touch the session.
    return WhatsAppChannel(WhatsAppSettings(), Secret(TOKEN), Secret(app_secret), session=None)  # type: ignore[arg-type]


# --- signatures ------------------------------------------------------------------------


def test_signature_from_the_app_secret_is_accepted() -> None:
    body = encode(text_message(BUSINESS, "6281200000001", "buku literasi informasi"))
    assert offline_channel().verify_signature(body, sign(body, APP_SECRET))


def test_signature_header_is_case_insensitive_in_its_hex() -> None:
    body = b'{"entry":[]}'
    assert offline_channel().verify_signature(body, sign(body, APP_SECRET).upper().replace("SHA256", "sha256"))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha256=",
        "sha256",
        "md5=" + "0" * 64,
        "sha256=" + "0" * 64,
        "sha256=" + "z" * 64,
        "sha256=" + "é" * 64,
        "0" * 64,
        "sha256=" + "0" * 63,
    ],
)
def test_malformed_or_wrong_signatures_are_rejected(header: str) -> None:
    assert not offline_channel().verify_signature(b'{"entry":[]}', header)


def test_signature_for_another_body_or_secret_is_rejected() -> None:
    body = b'{"entry":[]}'
    channel = offline_channel()
    assert not channel.verify_signature(body + b" ", sign(body, APP_SECRET))
    assert not channel.verify_signature(body, sign(body, "another secret"))


def test_no_signature_passes_without_an_app_secret() -> None:
    body = b'{"entry":[]}'
    assert not offline_channel(app_secret="").verify_signature(body, sign(body, ""))


# --- recorded real payloads ------------------------------------------------------------


def manifest() -> list[Any]:
    path = PYWA / "MANIFEST.tsv"
    if not path.exists():
        return [pytest.param("", "", marks=pytest.mark.skip(reason=NO_DATA))]
    with path.open(encoding="utf-8", newline="") as f:
        return [pytest.param(row["file"], row["kind"], id=row["file"]) for row in csv.DictReader(f, delimiter="\t")]


def expected_kinds(kind: str, name: str = "") -> list[str]:
    """What the manifest's description of a payload says parse_updates must give."""
    if kind == "(non-standard shape)":  # an interactive message Meta could not read, plus its error
        return ["InboundMessage", "AccountError"]
    field = kind.split()[0].removeprefix("field=")
    if field != "messages":
        return [f"IgnoredUpdate:{field}"]
    if "status=" in kind:
        return ["StatusUpdate"]
    if "type=system" in kind:  # a number change is one refbot acts on; an identity change is not
        return ["NumberChange" if "phone_number_change" in name else "IgnoredUpdate:system"]
    return ["InboundMessage"]


def kinds(updates: list[Any]) -> list[str]:
    return [f"IgnoredUpdate:{u.kind}" if isinstance(u, IgnoredUpdate) else type(u).__name__ for u in updates]


@pytest.mark.parametrize(("name", "kind"), manifest())
def test_every_recorded_payload_parses_into_its_kind(name: str, kind: str) -> None:
    updates = parse_updates(load(name))
    assert kinds(updates) == expected_kinds(kind, name)
    for update in updates:
        if isinstance(update, InboundMessage):
            assert update.wamid and update.sender and update.timestamp > 0
            declared = kind.split("type=")[1].split("/")[0] if "type=" in kind else update.type
            assert update.type == declared
        if isinstance(update, StatusUpdate):
            reported = kind.split("status=")[1]  # "played" reads as "read"
            assert update.wamid and update.status == STATUS_ALIASES.get(reported, reported)


def test_every_recorded_payload_file_is_in_the_manifest() -> None:
    if not PYWA.exists():
        pytest.skip(NO_DATA)
    listed = {p.values[0] for p in manifest()}
    assert {p.name for p in PYWA.glob("*.json")} <= listed


def only(updates: list[Any]) -> Any:
    assert len(updates) == 1, updates
    return updates[0]


def test_text_message_fields() -> None:
    message = only(parse_updates(load("message__text.json")))
    assert message == InboundMessage(
        wamid="wamid.xyzxyz",
        sender="972987654321",
        type="text",
        timestamp=1697043223,
        text="Body Text",
        sender_name="Test Name",
    )


def test_reply_button_tap_gives_its_id_title_and_context() -> None:
    message = only(parse_updates(load("callback_button__button.json")))
    assert (message.type, message.button_id, message.text) == ("interactive", "callback_data", "title")
    assert message.context_id == "wamid.xyzxyz"


def test_list_row_choice_gives_its_id_and_title() -> None:
    message = only(parse_updates(load("callback_selection__description.json")))
    assert (message.button_id, message.text, message.context_id) == ("callback_data", "title", "wamid.xyzxyz")


def test_quick_reply_button_gives_its_payload_and_text() -> None:
    message = only(parse_updates(load("callback_button__quick_reply.json")))
    assert (message.type, message.button_id, message.text) == ("button", "callback_data", "title")
    assert message.context_id == "wamid.xyzxyz=="


def test_document_caption_becomes_text_and_forwarded_context_has_no_id() -> None:
    message = only(parse_updates(load("message__document.json")))
    assert (message.type, message.text, message.context_id) == ("document", "caption", "")


def test_image_without_caption_has_no_text() -> None:
    message = only(parse_updates(load("message__image.json")))
    assert (message.type, message.text) == ("image", "")


def test_reaction_carries_its_emoji_and_the_message_reacted_to() -> None:
    message = only(parse_updates(load("message__reaction.json")))
    assert (message.type, message.text, message.context_id) == ("reaction", "😮", "wamid.yzxyzx=")
    for name in ("message__unreaction_empty.json", "message__unreaction_no_emoji.json"):
        taken_back = only(parse_updates(load(name)))
        assert (taken_back.type, taken_back.text, taken_back.context_id) == ("reaction", "", "wamid.yzxyzx=")


MEDIA_PAYLOADS = [
    ("message__image.json", "image"),
    ("message__media_with_url.json", "image"),
    ("message__video.json", "video"),
    ("message__document.json", "document"),
    ("message__audio.json", "audio"),
    ("message__voice.json", "audio"),
    ("message__static_sticker.json", "sticker"),
    ("message__animated_sticker.json", "sticker"),
]


@pytest.mark.parametrize(("name", "kind"), MEDIA_PAYLOADS)
def test_media_messages_keep_their_media_id(name: str, kind: str) -> None:
    raw = load(name)["entry"][0]["changes"][0]["value"]["messages"][0][kind]
    message = only(parse_updates(load(name)))
    assert message.type == kind
    assert media_id_of(message) == message.media_id == raw["id"]
    assert (message.mime_type, message.filename) == (raw["mime_type"], raw.get("filename", ""))
    assert message.text == raw.get("caption", "") and message.button_id == ""


def test_a_text_message_has_no_media_id() -> None:
    assert media_id_of(only(parse_updates(load("message__text.json")))) == ""
    tap = only(parse_updates(button_reply(BUSINESS, "628111", "approve:1", "x", context_id="wamid.A")))
    assert media_id_of(tap) == "" and tap.mime_type == ""


@pytest.mark.parametrize("name", ["message__current_location.json", "message__chosen_location.json",
                                  "message__contacts.json"])
def test_locations_and_contacts_are_messages_without_content(name: str) -> None:
    message = only(parse_updates(load(name)))
    assert message.type in ("location", "contacts") and message.sender == "972987654321"
    assert (message.text, message.button_id) == ("", "")  # a shared contact is a third person's data


def test_a_reply_quotes_the_message_it_answers() -> None:
    message = only(parse_updates(load("message__reply.json")))
    assert (message.type, message.text, message.context_id) == ("text", "replied text", "wamid.xyzxyz==")


def test_an_edit_carries_the_new_caption_and_the_original_message() -> None:
    message = only(parse_updates(load("edited_message__image.json")))
    assert message.type == "edit" and message.text == "Updated image caption"
    assert message.context_id == "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="


def test_a_revoke_refers_to_the_deleted_message() -> None:
    message = only(parse_updates(load("deleted_message__revoke.json")))
    assert (message.type, message.context_id) == ("revoke", "<ORIGINAL_WHATSAPP_MESSAGE_ID>")


def test_a_status_to_a_user_id_names_the_user_id() -> None:
    payload = status_update(BUSINESS, "wamid.C", "delivered", "", timestamp=5)
    status = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    del status["recipient_id"]
    status["recipient_user_id"] = "ID.1234567890"
    assert only(parse_updates(payload)).recipient == "ID.1234567890"


def test_a_status_echoes_the_callback_data_its_send_carried() -> None:
    status = only(parse_updates(load("message_status__with_tracker.json")))
    assert (status.wamid, status.status, status.callback_data) == ("wamid.xyzxyz", "sent", "some data")
    assert only(parse_updates(status_update(BUSINESS, "wamid.D", "sent", "628"))).callback_data == ""


def test_lone_surrogates_become_replacement_characters() -> None:
    # json.loads accepts "\ud800"; SQLite's UTF-8 cannot hold it, so it must not reach the store.
    payload = json.loads(encode(text_message(BUSINESS, "628", "x")).decode().replace('"x"', '"a\\ud800b"'))
    message = only(parse_updates(payload))
    message.text.encode("utf-8")
    assert message.text.startswith("a") and message.text.endswith("b") and "\ufffd" in message.text


def test_failed_status_carries_code_and_title() -> None:
    status = only(parse_updates(load("message_status__failed.json")))
    assert status == StatusUpdate(
        wamid="wamid.xyzxyz",
        status="failed",
        recipient="972987654321",
        timestamp=1689380458,
        errors=("130472: User's number is part of an experiment",),
    )


def test_account_update_is_ignored_with_its_event() -> None:
    update = only(parse_updates(load("account_update__account_deleted.json")))
    assert update == IgnoredUpdate("account_update", "event ACCOUNT_DELETED")


def test_sender_falls_back_to_the_business_scoped_user_id() -> None:
    payload = text_message(BUSINESS, "6281200000001", "halo", name="Sari")
    value = payload["entry"][0]["changes"][0]["value"]
    del value["messages"][0]["from"]
    value["messages"][0]["from_user_id"] = "ID.1234567890"
    assert only(parse_updates(payload)).sender == "ID.1234567890"
    del value["messages"][0]["from_user_id"]
    value["contacts"][0]["user_id"] = "ID.42"
    del value["contacts"][0]["wa_id"]
    message = only(parse_updates(payload))
    assert (message.sender, message.sender_name) == ("ID.42", "Sari")


def test_username_only_patrons_are_keyed_on_their_user_id() -> None:
    payload = text_message(BUSINESS, "", "halo", name="Sari", user_id="ID.987654321")
    message = only(parse_updates(payload))
    assert (message.sender, message.sender_name) == ("ID.987654321", "Sari")
    both = only(parse_updates(text_message(BUSINESS, "628123", "halo", user_id="ID.987654321")))
    assert both.sender == "628123"  # the phone number, when Meta shares it, as patrons were keyed so far


def test_builders_round_trip_through_the_parser() -> None:
    tap = only(parse_updates(button_reply(BUSINESS, "628111", "approve:7", "Setujui", context_id="wamid.A")))
    assert (tap.sender, tap.button_id, tap.text, tap.context_id) == ("628111", "approve:7", "Setujui", "wamid.A")
    status = only(parse_updates(status_update(BUSINESS, "wamid.B", "delivered", "628111", timestamp=5)))
    assert status == StatusUpdate("wamid.B", "delivered", "628111", 5)


# --- garbage never raises --------------------------------------------------------------

NASTY: list[Any] = [
    None,
    [],
    "entry",
    42,
    3.5,
    True,
    {},
    {"entry": None},
    {"entry": "x"},
    {"entry": [None, 1, "a", [], {}]},
    {"entry": [{"changes": None}]},
    {"entry": [{"changes": [None, [], "x", {"field": None, "value": None}]}]},
    {"entry": [{"changes": [{"field": "messages", "value": []}]}]},
    {"entry": [{"changes": [{"field": ["messages"], "value": {}}]}]},
    {"entry": [{"changes": [{"field": "messages", "value": {"messages": "hi", "statuses": {"a": 1}}}]}]},
    {"entry": [{"changes": [{"field": "messages", "value": {"messages": [None, 1, [], "x", {}]}}]}]},
    {
        "entry": [
            {
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "contacts": [None, {"profile": "x", "wa_id": ["1"]}],
                            "messages": [
                                {"id": "w1", "from": "62", "type": "text", "text": "not an object"},
                                {"id": "w2", "from": "62", "type": "interactive", "interactive": {"type": None}},
                                {"id": "w3", "from": "62", "type": "interactive", "interactive": {"type": "type"}},
                                {"id": "w4", "from": 62, "type": "button", "button": [], "timestamp": "9" * 5000},
                                {"id": "w5", "from": "62", "type": "image", "image": None, "timestamp": "²"},
                                {"id": "w6", "from": "62", "type": "text", "context": [], "timestamp": -1e309},
                                {"id": {"x": 1}, "from": "62", "type": "text"},
                                {"id": "w7", "from": None, "type": "system", "system": None},
                            ],
                            "statuses": [None, {"id": "w"}, {"id": "w", "status": "sent", "errors": [None, 7]}],
                            "errors": "oops",
                        },
                    }
                ]
            }
        ]
    },
    {
        "entry": [
            {"changes": [{"field": "messages", "value": {"statuses": [{"id": "w", "status": "failed", "errors": {}}]}}]}
        ]
    },
    {"object": "page", "entry": [{"changes": [{"field": "feed", "value": {"event": {"nested": []}}}]}]},
]


@pytest.mark.parametrize("payload", NASTY, ids=[f"nasty{i}" for i in range(len(NASTY))])
def test_garbage_never_raises(payload: Any) -> None:
    updates = parse_updates(payload)
    assert isinstance(updates, list)
    assert all(isinstance(u, InboundMessage | StatusUpdate | NumberChange | AccountError | IgnoredUpdate) for u in updates)


def test_deeply_nested_garbage_never_raises() -> None:
    payload: Any = "x"
    for _ in range(500):
        payload = {"entry": [{"changes": [{"field": "messages", "value": {"messages": [payload]}}]}]}
    assert parse_updates(payload)


def test_readable_parts_of_a_messy_payload_survive() -> None:
    updates = parse_updates(NASTY[16])
    messages = [u for u in updates if isinstance(u, InboundMessage)]
    assert [m.wamid for m in messages] == ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert all(m.text == "" and m.button_id == "" for m in messages)
    assert messages[3].sender == "62" and messages[3].timestamp == 0
    statuses = [u for u in updates if isinstance(u, StatusUpdate)]
    assert statuses == [StatusUpdate("w", "sent", errors=("unreadable error: null", "unreadable error: number"))]
    assert IgnoredUpdate("system", "") in updates


# --- sending, against the Graph-API stand-in over loopback -----------------------------


@dataclass
class Rig:
    channel: WhatsAppChannel
    server: TestServer
    session: aiohttp.ClientSession

    async def sent(self, to: str) -> list[dict[str, Any]]:
        async with self.session.get(self.server.make_url("/_sent"), params={"to": to}) as response:
            return (await response.json())["messages"]

    async def fault(self, **fault: Any) -> None:
        async with self.session.post(self.server.make_url("/_control"), json=fault) as response:
            assert response.status == 200, await response.text()


def channel_for(
    server: TestServer, session: aiohttp.ClientSession, token: str = TOKEN, **settings: Any
) -> WhatsAppChannel:
    base = str(server.make_url("/")).rstrip("/")
    whatsapp = WhatsAppSettings(graph_api_base=base, phone_number_id=PHONE_NUMBER_ID, **settings)
    return WhatsAppChannel(whatsapp, Secret(token), Secret(APP_SECRET), session)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID)
    async with TestServer(graph) as server, aiohttp.ClientSession() as session:
        yield Rig(channel_for(server, session, send_timeout=2.0), server, session)


async def test_send_text_posts_the_cloud_api_body(rig: Rig) -> None:
    wamid = await rig.channel.send(OutgoingMessage(to="6281200000001", text="Halo, ini daftar bacaan Anda."))
    [record] = await rig.sent("6281200000001")
    assert wamid.startswith("wamid.") and record["id"] == wamid
    assert record["payload"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281200000001",
        "type": "text",
        "text": {"preview_url": False, "body": "Halo, ini daftar bacaan Anda."},
    }


async def test_send_buttons_posts_an_interactive_reply_button_message(rig: Rig) -> None:
    buttons = (Button("approve:12", "Setujui"), Button("edit:12", "Ubah"), Button("reject:12", "Tolak"))
    await rig.channel.send(OutgoingMessage(to="6281300000002", text="Draf #12 siap diperiksa", buttons=buttons))
    [record] = await rig.sent("6281300000002")
    assert record["type"] == "interactive"
    assert record["buttons"] == [
        {"id": "approve:12", "title": "Setujui"},
        {"id": "edit:12", "title": "Ubah"},
        {"id": "reject:12", "title": "Tolak"},
    ]
    assert record["payload"]["interactive"] == {
        "type": "button",
        "body": {"text": "Draf #12 siap diperiksa"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in buttons]},
    }


async def test_text_at_the_limit_is_sent(rig: Rig) -> None:
    await rig.channel.send(OutgoingMessage(to="628", text="a" * 4096))
    assert len(await rig.sent("628")) == 1


async def test_rate_limit_is_a_transient_error_with_its_code(rig: Rig) -> None:
    await rig.fault(status=429, code=130429)
    with pytest.raises(ChannelError) as caught:
        await rig.channel.send(OutgoingMessage(to="628", text="halo"))
    assert caught.value.transient and caught.value.code == 130429
    assert "Rate limit hit" in str(caught.value) and "fbtrace_id" in str(caught.value)
    assert await rig.channel.send(OutgoingMessage(to="628", text="halo"))  # the fault was for one send


async def test_undeliverable_is_a_permanent_error(rig: Rig) -> None:
    await rig.fault(status=400, code=131026)
    with pytest.raises(ChannelError) as caught:
        await rig.channel.send(OutgoingMessage(to="628", text="halo"))
    assert not caught.value.transient and caught.value.code == 131026
    assert await rig.sent("628") == []


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (500, None, True),
        (503, 131016, True),
        (400, 131047, False),
        (400, 4, True),
        (403, None, False),
        (429, None, True),
    ],
)
async def test_error_mapping(rig: Rig, status: int, code: int | None, transient: bool) -> None:
    await rig.fault(status=status, code=code)
    with pytest.raises(ChannelError) as caught:
        await rig.channel.send(OutgoingMessage(to="628", text="halo"))
    assert (caught.value.transient, caught.value.code) == (transient, code)


async def test_wrong_token_is_a_permanent_auth_error(rig: Rig) -> None:
    channel = channel_for(rig.server, rig.session, token="not-the-token")
    with pytest.raises(ChannelError) as caught:
        await channel.send(OutgoingMessage(to="628", text="halo"))
    assert not caught.value.transient and caught.value.code == 190
    assert await rig.sent("628") == []


async def test_a_slow_answer_is_a_transient_timeout(rig: Rig) -> None:
    await rig.fault(delay=0.5)
    channel = channel_for(rig.server, rig.session, send_timeout=0.1)
    with pytest.raises(ChannelError, match="did not answer") as caught:
        await channel.send(OutgoingMessage(to="628", text="halo"))
    assert caught.value.transient


async def test_a_send_with_no_answer_is_in_doubt_and_may_have_arrived(rig: Rig) -> None:
    await rig.fault(delay=0.5)
    channel = channel_for(rig.server, rig.session, send_timeout=0.1)
    with pytest.raises(SendInDoubt):
        await channel.send(OutgoingMessage(to="628", text="halo"), callback_data="refbot.outbox.7")
    # WhatsApp took it after all, once its delay was over.
    [record] = await eventually(lambda: rig.sent("628"), within=5.0, what="the late send to be taken")
    assert record["payload"]["biz_opaque_callback_data"] == "refbot.outbox.7"


async def test_an_unreachable_api_is_a_transient_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = WhatsAppSettings(graph_api_base=f"http://127.0.0.1:{port}", phone_number_id=PHONE_NUMBER_ID)
    async with aiohttp.ClientSession() as session:
        channel = WhatsAppChannel(settings, Secret(TOKEN), Secret(APP_SECRET), session)
        with pytest.raises(ChannelError, match="cannot reach") as caught:
            await channel.send(OutgoingMessage(to="628", text="halo"))
    assert caught.value.transient
    assert not isinstance(caught.value, SendInDoubt), "nothing was written, so nothing can have arrived"


async def test_a_non_json_error_page_still_maps_by_status() -> None:
    async def bad_gateway(_request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/{tail:.*}", bad_gateway)
    async with TestServer(app) as server, aiohttp.ClientSession() as session:
        with pytest.raises(ChannelError, match="HTTP 502") as caught:
            await channel_for(server, session).send(OutgoingMessage(to="628", text="halo"))
    assert caught.value.transient and caught.value.code is None


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (OutgoingMessage("628", "pilih", tuple(Button(f"b{i}", f"Pilihan {i}") for i in range(4))), "at most 3"),
        (OutgoingMessage("628", "pilih", (Button("b1", "x" * 21),)), "WhatsApp allows 20"),
        (OutgoingMessage("628", "x" * 1025, (Button("b1", "Ya"),)), "WhatsApp allows 1024"),
        (OutgoingMessage("628", "x" * 4097), "WhatsApp allows 4096"),
        (OutgoingMessage("628", "pilih", (Button("b1", "Ya"), Button("b1", "Tidak"))), "ids must differ"),
        (OutgoingMessage("628", "pilih", (Button("b1", "Ya"), Button("b2", "Ya"))), "titles must differ"),
        (OutgoingMessage("628", "pilih", (Button("", "Ya"),)), "needs an id"),
        (OutgoingMessage("628", "   "), "needs text"),
        (OutgoingMessage("", "halo"), "recipient"),
    ],
)
async def test_messages_breaking_whatsapp_limits_are_refused_before_sending(
    rig: Rig, message: OutgoingMessage, problem: str
) -> None:
    with pytest.raises(MessageRefused, match=problem):
        await rig.channel.send(message)
    assert rig.server.app[GRAPH_STATE].messages == []


def test_three_buttons_of_twenty_characters_fit() -> None:
    buttons = tuple(Button(f"b{i}", f"{i}" * 20) for i in range(3))
    body = message_body(OutgoingMessage("628", "x" * 1024, buttons))
    assert len(body["interactive"]["action"]["buttons"]) == 3
