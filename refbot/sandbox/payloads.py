"""Webhook bodies in the WhatsApp Cloud API's real shape, and the signature Meta puts on them.

The sandbox chat page and the Graph-API stand-in post these to refbot's ``/webhook``; tests
use them too. A body built here is what Meta would send, so the service cannot tell the
sandbox from the real thing::

    body = encode(text_message(business, sender="6281200000001", text="buku literasi"))
    headers = {"X-Hub-Signature-256": sign(body, app_secret)}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-Hub-Signature-256"


@dataclass(frozen=True)
class BusinessNumber:
    """The library's WhatsApp number as webhook metadata names it."""

    phone_number_id: str
    display_phone_number: str = "6281100000000"
    waba_id: str = "100000000000001"


def sign(body: bytes, secret: str) -> str:
    """The ``X-Hub-Signature-256`` header value for a raw body: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def encode(payload: Mapping[str, Any]) -> bytes:
    """Serialise a webhook body the way Meta does: compact JSON, non-ASCII escaped."""
    return json.dumps(payload, separators=(",", ":")).encode("ascii")


def new_wamid() -> str:
    """A fresh message id that looks like WhatsApp's (``wamid.`` + base64)."""
    return "wamid." + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def envelope(business: BusinessNumber, value: Mapping[str, Any], field: str = "messages") -> dict:
    """Wrap one change ``value`` in the ``object`` / ``entry`` / ``changes`` envelope."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": business.waba_id, "changes": [{"value": dict(value), "field": field}]}],
    }


def text_message(
    business: BusinessNumber,
    sender: str,
    text: str,
    *,
    name: str = "",
    wamid: str = "",
    timestamp: int | None = None,
    context_id: str = "",
    user_id: str = "",
) -> dict:
    """A webhook body carrying one text message a person sent.

    ``user_id`` adds the business-scoped user id Meta sends beside (or, with an empty
    ``sender``, instead of) the phone number.
    """
    message = _message(sender, "text", wamid, timestamp, context_id, business)
    message["text"] = {"body": text}
    value = _inbound_value(business, sender, name, message)
    if user_id:
        message["from_user_id"] = user_id
        value["contacts"][0]["user_id"] = user_id
    if not sender:
        del message["from"], value["contacts"][0]["wa_id"]
        value["contacts"][0]["profile"]["name"] = name or "Pemustaka"
    return envelope(business, value)


def button_reply(
    business: BusinessNumber,
    sender: str,
    button_id: str,
    title: str,
    *,
    context_id: str,
    name: str = "",
    wamid: str = "",
    timestamp: int | None = None,
    list_reply: bool = False,
) -> dict:
    """A webhook body for a tap on a reply button (or, with ``list_reply``, a list row)."""
    message = _message(sender, "interactive", wamid, timestamp, context_id, business)
    kind = "list_reply" if list_reply else "button_reply"
    message["interactive"] = {"type": kind, kind: {"id": button_id, "title": title}}
    return envelope(business, _inbound_value(business, sender, name, message))


def media_message(
    business: BusinessNumber,
    sender: str,
    kind: str,
    media_id: str,
    mime_type: str,
    *,
    caption: str = "",
    filename: str = "",
    sha256: str = "",
    name: str = "",
    wamid: str = "",
    timestamp: int | None = None,
    context_id: str = "",
) -> dict:
    """A webhook body for an image, video, document, audio (``kind="voice"``: a voice note) or sticker."""
    type_ = "audio" if kind == "voice" else kind
    message = _message(sender, type_, wamid, timestamp, context_id, business)
    media: dict[str, Any] = {"mime_type": mime_type, "sha256": sha256 or base64.b64encode(secrets.token_bytes(32)).decode(),
                             "id": media_id}
    if caption and type_ in ("image", "video", "document"):
        media["caption"] = caption
    if filename and type_ == "document":
        media["filename"] = filename
    if type_ == "audio":
        media["voice"] = kind == "voice"
    if type_ == "sticker":
        media["animated"] = False
    message[type_] = media
    return envelope(business, _inbound_value(business, sender, name, message))


def reaction_message(
    business: BusinessNumber, sender: str, message_id: str, emoji: str, *, wamid: str = "", timestamp: int | None = None
) -> dict:
    """A webhook body for a reaction (an empty ``emoji`` takes a reaction back)."""
    message = _message(sender, "reaction", wamid, timestamp, "", business)
    message["reaction"] = {"message_id": message_id, "emoji": emoji}
    return envelope(business, _inbound_value(business, sender, "", message))


def location_message(
    business: BusinessNumber, sender: str, latitude: float, longitude: float, *, name: str = "", address: str = "",
    wamid: str = "",
) -> dict:
    """A webhook body for a shared location."""
    message = _message(sender, "location", wamid, None, "", business)
    message["location"] = {"latitude": latitude, "longitude": longitude, **({"name": name} if name else {}),
                           **({"address": address} if address else {})}
    return envelope(business, _inbound_value(business, sender, "", message))


def status_update(
    business: BusinessNumber,
    wamid: str,
    status: str,
    recipient: str,
    *,
    timestamp: int | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
    callback_data: str = "",
    user_id: str = "",
) -> dict:
    """A webhook body saying what happened to a message the business sent.

    ``callback_data`` is the ``biz_opaque_callback_data`` the send carried, echoed back;
    ``user_id`` the business-scoped user id of a recipient addressed by it (no phone then).
    """
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "recipient_id": recipient,
    }
    if status in ("sent", "delivered"):
        entry["conversation"] = {"id": _conversation_id(recipient), "origin": {"type": "service"}}
        entry["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service"}
    if user_id:
        entry["recipient_user_id"] = user_id
        if not recipient:
            del entry["recipient_id"]
    if callback_data:
        entry["biz_opaque_callback_data"] = callback_data
    error_list = [dict(e) for e in errors]
    if error_list:
        entry["errors"] = error_list
    value = {**_metadata(business), "statuses": [entry]}
    return envelope(business, value)


def number_change(business: BusinessNumber, old: str, new: str, *, name: str = "", wamid: str = "",
                  timestamp: int | None = None) -> dict:
    """A webhook body saying a person moved their WhatsApp account from ``old`` to ``new``.

    The shape Meta documents for a ``user_changed_number`` system message: the old wa_id as
    ``from``, the new one as ``system.wa_id``, and no ``contacts`` list.
    """
    message = {
        "from": old,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "system": {"body": f"User {name or old} changed from {old} to {new}", "wa_id": new,
                   "type": "user_changed_number"},
        "type": "system",
    }
    return envelope(business, {**_metadata(business), "messages": [message]})


def account_errors(business: BusinessNumber, errors: Iterable[Mapping[str, Any]]) -> dict:
    """A webhook body with ``value.errors``: trouble with the account, not with one message."""
    return envelope(business, {**_metadata(business), "errors": [dict(e) for e in errors]})


def error_entry(code: int, title: str, details: str = "") -> dict:
    """One element of a webhook ``errors`` list."""
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details or title},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }


def _message(
    sender: str,
    type_: str,
    wamid: str,
    timestamp: int | None,
    context_id: str,
    business: BusinessNumber,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "from": sender,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "type": type_,
    }
    if context_id:
        message = {"context": {"from": business.display_phone_number, "id": context_id}, **message}
    return message


def _inbound_value(business: BusinessNumber, sender: str, name: str, message: dict[str, Any]) -> dict[str, Any]:
    contact = {"profile": {"name": name or sender}, "wa_id": sender}
    return {**_metadata(business), "contacts": [contact], "messages": [message]}


def _metadata(business: BusinessNumber) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": business.display_phone_number,
            "phone_number_id": business.phone_number_id,
        },
    }


def _conversation_id(recipient: str) -> str:
    # One stable conversation per recipient is enough for a stand-in.
    return hashlib.sha256(recipient.encode("utf-8")).hexdigest()[:30]
