"""The WhatsApp Cloud API channel: signed webhooks in, Graph API messages out.

Inbound, every webhook change becomes one of refbot's updates, and no JSON value makes
:func:`parse_updates` raise — Meta retries a webhook for days, so a body we choke on would
come back again and again; a part we cannot read becomes an :class:`IgnoredUpdate` instead.

- ``field == "messages"``: each ``value.messages[]`` is an :class:`InboundMessage` whose
  ``type`` is WhatsApp's own (text, interactive, button, image, document, audio, reaction,
  unsupported, …). ``text`` holds what a person wrote or tapped: the text body, a reply
  button's or list row's title, a quick-reply button's text, an image/video/document caption.
  ``button_id`` holds the id of a tapped reply button, list row or quick-reply payload.
  ``context_id`` is the message it answers, or for reactions, revokes and edits the message
  they refer to. ``system`` messages (number or identity changes) are ignored.
- ``value.statuses[]`` become :class:`StatusUpdate`; ``value.errors[]`` become ignored
  ``error`` updates (they describe Meta's trouble, not a message).
- every other field (account, template, call, echo, preference updates) is ignored, with the
  field as its kind.

Outbound, :meth:`WhatsAppChannel.send` posts a text message, or an interactive reply-button
message when the message has buttons, and maps Graph errors to :class:`ChannelError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import aiohttp

from refbot.config import Secret, WhatsAppSettings
from refbot.errors import ChannelError
from refbot.models import (
    IgnoredUpdate,
    InboundMessage,
    OutgoingMessage,
    StatusUpdate,
    Update,
)

MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256

# Graph error codes where waiting and trying again can succeed: rate limits, "something
# went wrong", service unavailable, and the generic Graph API transient codes.
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056})
# Codes where retrying the same message cannot help: undeliverable, the 24-hour window is
# shut, bad parameters, a bad token, unsupported or invalid message content.
PERMANENT_CODES = frozenset({100, 190, 131008, 131009, 131026, 131047, 131051})

_DETAIL_LIMIT = 200


class WhatsAppChannel:
    """The WhatsApp Cloud API, behind refbot's :class:`refbot.ports.Channel` protocol."""

    def __init__(
        self,
        settings: WhatsAppSettings,
        token: Secret,
        app_secret: Secret,
        session: aiohttp.ClientSession,
    ) -> None:
        self._settings = settings
        self._token = token
        self._app_secret = app_secret
        self._session = session

    def verify_signature(self, body: bytes, signature_header: str) -> bool:
        """Whether ``X-Hub-Signature-256`` is the app secret's HMAC-SHA256 of the raw body."""
        return verify_signature(body, signature_header, self._app_secret.get())

    def parse_updates(self, payload: Any) -> list[Update]:
        """Turn a decoded webhook body into updates; never raises."""
        return parse_updates(payload)

    @property
    def messages_url(self) -> str:
        """The Graph API endpoint messages are posted to."""
        s = self._settings
        return f"{s.graph_api_base.rstrip('/')}/{s.api_version}/{s.phone_number_id}/messages"

    async def send(self, message: OutgoingMessage) -> str:
        """Send one message and return its WhatsApp message id (``wamid.…``).

        Raises:
            ValueError: the message breaks WhatsApp's limits; nothing was sent.
            ChannelError: WhatsApp refused or could not be reached; ``transient`` says
                whether trying again later may succeed.
        """
        body = message_body(message)
        if not self._settings.phone_number_id:
            raise ChannelError("whatsapp.phone_number_id is not configured", transient=False)
        status, data = await self._post(body)
        if not 200 <= status < 300:
            raise graph_error(status, data)
        wamid = _first_message_id(data)
        if not wamid:
            # WhatsApp may have accepted it; retrying could send it twice.
            raise ChannelError("WhatsApp answered without a message id", transient=False)
        return wamid

    async def _post(self, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self._token.get()}"}
        timeout = aiohttp.ClientTimeout(total=self._settings.send_timeout)
        try:
            async with self._session.post(self.messages_url, json=body, headers=headers, timeout=timeout) as response:
                raw = await response.read()
                return response.status, _decode_json(raw)
        except TimeoutError as e:
            raise ChannelError(f"WhatsApp did not answer within {self._settings.send_timeout:g} s") from e
        except aiohttp.ClientError as e:
            raise ChannelError(f"cannot reach WhatsApp: {e}") from e


# --- signatures ------------------------------------------------------------------------


def verify_signature(body: bytes, header: str, secret: str) -> bool:
    """Check a ``sha256=<hex>`` header against the HMAC-SHA256 of ``body``."""
    if not secret or not isinstance(header, str):
        return False
    algorithm, _, received = header.strip().partition("=")
    if algorithm.lower() != "sha256" or len(received) != 64:
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    # Compare bytes: compare_digest refuses non-ASCII str, and a header can hold anything.
    return hmac.compare_digest(expected.encode("ascii"), received.lower().encode("utf-8"))


# --- outbound --------------------------------------------------------------------------


def message_body(message: OutgoingMessage) -> dict[str, Any]:
    """The Cloud API JSON body for a message.

    Raises:
        ValueError: no recipient, empty text, or a limit broken (text length, button count,
            title length, id length, repeated ids or titles).
    """
    if not message.to:
        raise ValueError("a message needs a recipient")
    if not message.text.strip():
        raise ValueError("a message needs text")
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.to}
    if not message.buttons:
        _check_length("text", message.text, MAX_TEXT)
        return {**base, "type": "text", "text": {"preview_url": False, "body": message.text}}
    _check_buttons(message)
    buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in message.buttons]
    interactive = {"type": "button", "body": {"text": message.text}, "action": {"buttons": buttons}}
    return {**base, "type": "interactive", "interactive": interactive}


def _check_buttons(message: OutgoingMessage) -> None:
    _check_length("interactive body", message.text, MAX_INTERACTIVE_BODY)
    if len(message.buttons) > MAX_BUTTONS:
        raise ValueError(f"at most {MAX_BUTTONS} reply buttons, got {len(message.buttons)}")
    for button in message.buttons:
        if not button.title.strip() or not button.id.strip():
            raise ValueError("a button needs an id and a title")
        _check_length(f"button title {button.title!r}", button.title, MAX_BUTTON_TITLE)
        _check_length("button id", button.id, MAX_BUTTON_ID)
    if len({b.id for b in message.buttons}) < len(message.buttons):
        raise ValueError("button ids must differ")
    if len({b.title for b in message.buttons}) < len(message.buttons):
        raise ValueError("button titles must differ")


def _check_length(what: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise ValueError(f"{what} is {len(value)} characters; WhatsApp allows {limit}")


def graph_error(status: int, data: Any) -> ChannelError:
    """A :class:`ChannelError` from a Graph API error response."""
    error = _obj(_obj(data).get("error"))
    code = _code(error.get("code"))
    subcode = _code(error.get("error_subcode"))
    text = _text(error.get("message")) or f"HTTP {status}"
    details = _text(_obj(error.get("error_data")).get("details"))
    if details and details not in text:
        text = f"{text}: {details}"
    facts = [f"HTTP {status}"]
    facts += [f"code {code}"] if code is not None else []
    facts += [f"subcode {subcode}"] if subcode is not None else []
    trace = _text(error.get("fbtrace_id"))
    facts += [f"fbtrace_id {trace}"] if trace else []
    message = f"WhatsApp refused the message: {text} ({', '.join(facts)})"
    return ChannelError(message, code=code, transient=is_transient(code, status))


def is_transient(code: int | None, status: int) -> bool:
    """Whether a failed send may succeed later: by Graph code first, else by HTTP status."""
    if code in TRANSIENT_CODES:
        return True
    if code in PERMANENT_CODES:
        return False
    return status >= 500 or status == 429


def _first_message_id(data: Any) -> str:
    messages = _obj(data).get("messages")
    if isinstance(messages, list) and messages:
        return _text(_obj(messages[0]).get("id"))
    return ""


def _decode_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:  # HTML error pages from proxies, empty bodies
        return None


# --- inbound ---------------------------------------------------------------------------


def parse_updates(payload: Any) -> list[Update]:
    """Turn a decoded webhook body into updates; any JSON value is accepted."""
    if not isinstance(payload, dict):
        return [IgnoredUpdate("malformed", f"webhook body is a {_json_type(payload)}")]
    entries = payload.get("entry")
    if not isinstance(entries, list):
        return [IgnoredUpdate("malformed", "webhook body has no entry list")]
    updates: list[Update] = []
    for entry in entries:
        changes = _obj(entry).get("changes")
        if not isinstance(changes, list):
            updates.append(IgnoredUpdate("malformed", "entry has no changes list"))
            continue
        for change in changes:
            updates.extend(_guarded_change(change))
    return updates


def _guarded_change(change: Any) -> list[Update]:
    # The parsers below check every shape they touch; this guard only keeps the promise
    # that no payload can make a webhook fail (and so be redelivered for days).
    try:
        return _parse_change(change)
    except Exception as e:
        return [IgnoredUpdate("malformed", _clip(f"unreadable change: {e!r}"))]


def _parse_change(change: Any) -> list[Update]:
    if not isinstance(change, dict):
        return [IgnoredUpdate("malformed", f"change is a {_json_type(change)}")]
    field = _text(change.get("field")) or "unknown"
    value = change.get("value")
    if not isinstance(value, dict):
        return [IgnoredUpdate(field, f"value is a {_json_type(value)}")]
    if field != "messages":
        return [IgnoredUpdate(field, _describe(value))]
    return _parse_messages_value(value)


def _parse_messages_value(value: dict[str, Any]) -> list[Update]:
    contacts = [c for c in _list(value.get("contacts")) if isinstance(c, dict)]
    updates: list[Update] = []
    for key, parse in (("messages", _parse_message), ("statuses", _parse_status)):
        items = value.get(key)
        if items is not None and not isinstance(items, list):
            updates.append(IgnoredUpdate("malformed", f"{key} is a {_json_type(items)}"))
            continue
        updates.extend(parse(item, contacts) for item in items or ())
    for error in _list(value.get("errors")):
        updates.append(IgnoredUpdate("error", _error_text(error)))
    if not updates:
        updates.append(IgnoredUpdate("messages", _describe(value)))
    return updates


def _parse_message(message: Any, contacts: list[dict[str, Any]]) -> Update:
    if not isinstance(message, dict):
        return IgnoredUpdate("malformed", f"message is a {_json_type(message)}")
    type_ = _text(message.get("type"))
    if type_ == "system":
        system = _obj(message.get("system"))
        return IgnoredUpdate("system", _clip(_text(system.get("type")) or _text(system.get("body"))))
    wamid = _text(message.get("id"))
    sender = _sender(message, contacts)
    if not (wamid and sender and type_):
        return IgnoredUpdate("malformed", "message without id, sender or type")
    text, button_id = _content(type_, message)
    return InboundMessage(
        wamid=wamid,
        sender=sender,
        type=type_,
        timestamp=_int(message.get("timestamp")),
        text=text,
        button_id=button_id,
        sender_name=_contact_name(contacts, sender),
        context_id=_context_id(type_, message),
    )


def _sender(message: dict[str, Any], contacts: list[dict[str, Any]]) -> str:
    # Newer payloads may carry only the business-scoped user id instead of a phone number.
    sender = _text(message.get("from")) or _text(message.get("from_user_id"))
    if sender:
        return sender
    for contact in contacts:
        found = _text(contact.get("user_id")) or _text(contact.get("wa_id"))
        if found:
            return found
    return ""


def _content(type_: str, message: dict[str, Any]) -> tuple[str, str]:
    """(text, button_id) of a message, by its type."""
    body = _obj(message.get(type_))
    if type_ == "text":
        return _text(body.get("body")), ""
    if type_ == "interactive":
        reply = _obj(body.get(_text(body.get("type"))))
        if _text(body.get("type")) in ("button_reply", "list_reply"):
            return _text(reply.get("title")), _text(reply.get("id"))
        return "", ""
    if type_ == "button":
        return _text(body.get("text")), _text(body.get("payload"))
    if type_ in ("image", "video", "document"):
        return _text(body.get("caption")), ""
    return "", ""


def _context_id(type_: str, message: dict[str, Any]) -> str:
    context = _text(_obj(message.get("context")).get("id"))
    if context:
        return context
    body = _obj(message.get(type_))
    return _text(body.get("message_id")) or _text(body.get("original_message_id"))


def _contact_name(contacts: list[dict[str, Any]], sender: str) -> str:
    for contact in contacts:
        if sender in (_text(contact.get("wa_id")), _text(contact.get("user_id"))):
            return _text(_obj(contact.get("profile")).get("name"))
    if len(contacts) == 1:
        return _text(_obj(contacts[0].get("profile")).get("name"))
    return ""


def _parse_status(status: Any, _contacts: list[dict[str, Any]]) -> Update:
    if not isinstance(status, dict):
        return IgnoredUpdate("malformed", f"status is a {_json_type(status)}")
    wamid = _text(status.get("id"))
    state = _text(status.get("status"))
    if not (wamid and state):
        return IgnoredUpdate("malformed", "status without id or status")
    return StatusUpdate(
        wamid=wamid,
        status=state,
        recipient=_text(status.get("recipient_id")),
        timestamp=_int(status.get("timestamp")),
        errors=tuple(_error_text(e) for e in _list(status.get("errors"))),
    )


def _error_text(error: Any) -> str:
    """``"code: title"`` for a webhook error object."""
    if not isinstance(error, dict):
        return _clip(f"unreadable error: {_json_type(error)}")
    code = _code(error.get("code"))
    title = _text(error.get("title")) or _text(error.get("message")) or "unknown error"
    return _clip(f"{code}: {title}" if code is not None else title)


def _describe(value: dict[str, Any]) -> str:
    event = _text(value.get("event"))
    if event:
        return _clip(f"event {event}")
    keys = sorted(k for k in value if k not in ("messaging_product", "metadata", "contacts"))
    return _clip(", ".join(keys) or "empty")


# --- tolerant readers ------------------------------------------------------------------


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A string field; numbers are accepted (ids sometimes arrive unquoted)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _int(value: Any) -> int:
    """A timestamp: an int, or a string of digits (as Meta sends them); else 0."""
    number = _code(value)
    return number if number is not None else 0


def _code(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and 0 < len(value) <= 20:
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "value")


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"
