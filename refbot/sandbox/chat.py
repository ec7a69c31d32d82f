"""The sandbox chat page: WhatsApp as the patron and each librarian see it, on loopback.

A person types or taps a button on the page; this app turns that into the webhook Meta would
send — the real Cloud API shape, signed with the app secret — and posts it to refbot's own
``/webhook``, so the service cannot tell the sandbox from WhatsApp. What refbot sends back is
read from the Graph-API stand-in's record (:mod:`refbot.sandbox.graph`).

Routes (relative to where the app is mounted, normally ``/sandbox``):

- ``GET /`` — the page; ``GET /static/…`` — its script and style.
- ``GET /api/config`` — the patron and librarians the page shows.
- ``GET /api/thread?phone=NUMBER`` — one number's conversation with the library, both ways.
- ``POST /api/send`` — ``{"from": NUMBER, "text": "…", "context_id": "wamid…"}`` (``context_id``
  optional: the message quoted, as *Reply* on a phone) or
  ``{"from": NUMBER, "reply": {"id": "…", "title": "…", "list": false}, "context_id": "wamid…"}``;
  answers 200 with the new message id, or 502 when refbot's webhook did not take it.
- ``POST /api/send_media`` — a photo or document (multipart, see :mod:`.chat_media`); the same answers.
- ``GET /api/media/{id}`` — a file either side sent, for the page to show.

With ``record_dir`` the conversations survive a restart (:mod:`.chat_record`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from refbot.config import Librarian, Secret
from refbot.sandbox import chat_media
from refbot.sandbox.chat_record import ChatRecord
from refbot.sandbox.graph import GRAPH_STATE, GraphState
from refbot.sandbox.payloads import (
    SIGNATURE_HEADER,
    BusinessNumber,
    button_reply,
    encode,
    media_message,
    new_wamid,
    sign,
    text_message,
)

STATIC_DIR = Path(__file__).parent / "static"
WEBHOOK_TIMEOUT = 15.0
MAX_TEXT = 4096


@dataclass(frozen=True)
class Person:
    """Someone the page lets you write as."""

    name: str
    phone: str
    role: str  # "patron" or "librarian"


@dataclass
class ChatState:
    """The chat app's configuration and what people wrote; reachable as ``app[CHAT_STATE]``."""

    webhook_url: str
    app_secret: str
    business: BusinessNumber
    patron: Person
    librarians: tuple[Person, ...]
    graph: GraphState
    written: list[dict[str, Any]] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None

    def name_of(self, phone: str) -> str:
        """The configured name for a number; the patron's name for any other number."""
        for person in self.librarians:
            if _digits(person.phone) == _digits(phone):
                return person.name
        return self.patron.name


CHAT_STATE = web.AppKey("chat_state", ChatState)


def create_chat_app(
    *,
    webhook_url: str,
    app_secret: Secret | str,
    phone_number_id: str,
    librarians: Iterable[Librarian],
    patron_phone: str,
    graph_app: web.Application,
    patron_name: str = "Pemustaka",
    session: aiohttp.ClientSession | None = None,
    record_dir: Path | None = None,
) -> web.Application:
    """Build the chat page app (mount it at ``/sandbox``).

    Args:
        webhook_url: refbot's webhook, e.g. ``http://127.0.0.1:8080/webhook``.
        app_secret: the WhatsApp app secret refbot verifies signatures with.
        phone_number_id: the library's phone number id, as webhook metadata carries it.
        librarians: the configured librarians; each gets an inbox on the page.
        patron_phone: the number the page writes as the patron (changeable on the page).
        graph_app: the app from :func:`refbot.sandbox.graph.create_graph_standin`, whose
            record shows what refbot sent.
        patron_name: the patron's WhatsApp profile name.
        session: HTTP session for posting webhooks; one is made (and closed) when not given.
        record_dir: where the chats (the stand-in's messages and media, and what people wrote)
            are kept across restarts; None keeps them in memory only.
    """
    secret = app_secret.get() if isinstance(app_secret, Secret) else app_secret
    graph = graph_app[GRAPH_STATE]
    business = BusinessNumber(phone_number_id, graph.business.display_phone_number, graph.business.waba_id)
    people = tuple(Person(lib.name or lib.phone, lib.phone, "librarian") for lib in librarians)
    app = web.Application()
    app[CHAT_STATE] = ChatState(
        webhook_url, secret, business, Person(patron_name, patron_phone, "patron"), people, graph, session=session
    )
    app.cleanup_ctx.append(_lifecycle)
    if record_dir is not None:
        app.cleanup_ctx.append(lambda _app: ChatRecord(record_dir, graph, app[CHAT_STATE].written).keep())
    app.router.add_get("/", _page)
    app.router.add_static("/static", STATIC_DIR)
    app.router.add_get("/api/config", _config)
    app.router.add_get("/api/thread", _thread)
    app.router.add_post("/api/send", _send)
    app.router.add_post("/api/send_media", _send_media)
    app.router.add_get("/api/media/{media_id:[0-9]{1,30}}", _media)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    state = app[CHAT_STATE]
    own_session = state.session is None
    if own_session:
        state.session = aiohttp.ClientSession()
    yield
    if own_session and state.session is not None:
        await state.session.close()
        state.session = None


async def _page(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})


async def _config(request: web.Request) -> web.Response:
    state = request.app[CHAT_STATE]
    return web.json_response(
        {
            "patron": _person_json(state.patron),
            "librarians": [_person_json(p) for p in state.librarians],
            "library": state.business.display_phone_number,
        }
    )


async def _thread(request: web.Request) -> web.Response:
    state = request.app[CHAT_STATE]
    phone = request.query.get("phone", "")
    if not _digits(phone):
        return _bad_request("give a phone number: /api/thread?phone=628…")
    mine = [dict(w, from_me=True) for w in state.written if _digits(w["from"]) == _digits(phone)]
    theirs = [_received(m) for m in state.graph.sent_to(phone)]
    messages = sorted(mine + theirs, key=lambda m: m["ts"])
    return web.json_response({"phone": phone, "messages": messages})


def _received(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "type", "text", "buttons", "rows", "list_button", "status", "image", "document")
    received = {k: record.get(k) for k in keys}
    context = record.get("payload", {}).get("context") or {}
    received.update(from_me=False, ts=record["timestamp"], errors=record.get("errors", []),
                    context_id=context.get("message_id", ""))
    return received


async def _send(request: web.Request) -> web.Response:
    state = request.app[CHAT_STATE]
    try:
        wanted = await request.json()
        written = _written_from(wanted)
    except ValueError as e:
        return _bad_request(str(e))
    return await _post(state, written, _payload(state, written))


async def _send_media(request: web.Request) -> web.Response:
    """A photo or document from the page: kept in the stand-in's media store, then a media webhook."""
    state = request.app[CHAT_STATE]
    try:
        upload = await chat_media.read_upload(request)
        written = _written_from({"from": upload.sender, "context_id": upload.context_id, "text": "media"})
        media = chat_media.keep_upload(state.graph, upload)
    except ValueError as e:
        return _bad_request(str(e))
    written.update(type=upload.kind, text=upload.caption,
                   media={"id": media.id, "mime_type": media.mime_type, "filename": media.filename})
    payload = media_message(state.business, written["from"], upload.kind, media.id, media.mime_type,
                            caption=upload.caption, filename=media.filename, name=state.name_of(written["from"]),
                            wamid=written["id"], timestamp=int(written["ts"]), context_id=written["context_id"])
    return await _post(state, written, payload)


async def _media(request: web.Request) -> web.Response:
    return chat_media.media_response(request.app[CHAT_STATE].graph, request.match_info["media_id"])


async def _post(state: ChatState, written: dict[str, Any], payload: dict[str, Any]) -> web.Response:
    """Post the webhook for what a person wrote, and remember it (with how refbot took it) for the page."""
    status, problem = await _deliver(state, payload)
    written["delivery"] = status if status is not None else problem
    state.written.append(written)
    if status is None or not 200 <= status < 300:
        reason = problem or f"refbot's webhook answered HTTP {status}"
        return web.json_response({"error": reason, "id": written["id"]}, status=502)
    return web.json_response({"id": written["id"], "webhook_status": status})


def _written_from(data: Any) -> dict[str, Any]:
    """Check what the page posted and turn it into a record of what the person wrote."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    sender = data.get("from")
    if not isinstance(sender, str) or not 5 <= len(_digits(sender)) <= 20:
        raise ValueError("'from' must be a phone number with country code, digits only")
    written: dict[str, Any] = {"id": new_wamid(), "from": _digits(sender), "ts": time.time()}
    context_id = data.get("context_id", "")
    if not isinstance(context_id, str):
        raise ValueError("'context_id' must be a message id")
    reply = data.get("reply")
    if reply is None:
        text = data.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise ValueError(f"'text' must be 1 to {MAX_TEXT} characters")
        return {**written, "type": "text", "text": text, "button_id": "", "context_id": context_id}
    if not isinstance(reply, dict) or not all(isinstance(reply.get(k), str) and reply[k] for k in ("id", "title")):
        raise ValueError("'reply' must be an object with an id and a title")
    kind = "list_reply" if reply.get("list") else "button_reply"
    return {**written, "type": kind, "text": reply["title"], "button_id": reply["id"], "context_id": context_id}


def _payload(state: ChatState, written: dict[str, Any]) -> dict[str, Any]:
    sender, name, ts = written["from"], state.name_of(written["from"]), int(written["ts"])
    if written["type"] == "text":
        return text_message(state.business, sender, written["text"], name=name, wamid=written["id"], timestamp=ts,
                            context_id=written["context_id"])
    return button_reply(
        state.business,
        sender,
        written["button_id"],
        written["text"],
        context_id=written["context_id"],
        name=name,
        wamid=written["id"],
        timestamp=ts,
        list_reply=written["type"] == "list_reply",
    )


async def _deliver(state: ChatState, payload: dict[str, Any]) -> tuple[int | None, str]:
    """Post a signed webhook to refbot; (HTTP status, "") or (None, why it failed)."""
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "facebookexternalua",
        SIGNATURE_HEADER: sign(body, state.app_secret),
    }
    assert state.session is not None  # set by _lifecycle before any request is served
    try:
        async with state.session.post(
            state.webhook_url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
        ) as response:
            return response.status, ""
    except TimeoutError:
        return None, f"refbot's webhook did not answer within {WEBHOOK_TIMEOUT:g} s"
    except aiohttp.ClientError as e:
        return None, f"cannot reach refbot's webhook at {state.webhook_url}: {e}"


def _person_json(person: Person) -> dict[str, str]:
    return {"name": person.name, "phone": person.phone, "role": person.role}


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch in "0123456789")
