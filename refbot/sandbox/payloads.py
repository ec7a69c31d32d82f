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
) -> dict:
    """A webhook body carrying one text message a person sent."""
    message = _message(sender, "text", wamid, timestamp, context_id, business)
    message["text"] = {"body": text}
    return envelope(business, _inbound_value(business, sender, name, message))


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


def status_update(
    business: BusinessNumber,
    wamid: str,
    status: str,
    recipient: str,
    *,
    timestamp: int | None = None,
    errors: Iterable[Mapping[str, Any]] = (),
) -> dict:
    """A webhook body saying what happened to a message the business sent."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "recipient_id": recipient,
    }
    if status in ("sent", "delivered"):
        entry["conversation"] = {"id": _conversation_id(recipient), "origin": {"type": "service"}}
        entry["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service"}
    error_list = [dict(e) for e in errors]
    if error_list:
        entry["errors"] = error_list
    value = {**_metadata(business), "statuses": [entry]}
    return envelope(business, value)


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
