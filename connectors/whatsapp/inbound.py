"""Webhook bodies from the WhatsApp Cloud API turned into refbot's updates.

No JSON value makes :func:`parse_updates` raise: Meta retries a webhook for days, so a body we
choke on would come back again and again; a part we cannot read becomes an
:class:`IgnoredUpdate` (which the webhook logs) instead.

- ``field == "messages"``: each ``value.messages[]`` is an :class:`InboundMessage` whose
  ``type`` is WhatsApp's own (text, interactive, button, image, video, document, audio,
  sticker, reaction, location, contacts, edit, revoke, order, unsupported, …). ``text`` holds
  what a person wrote or tapped: the text body, a reply button's or list row's title, a
  quick-reply button's text, a media caption, a reaction's emoji, an edit's new text.
  ``button_id`` holds the id of a tapped reply button, list row or quick-reply payload.
  Media (image, video, document, audio, sticker) fill ``media_id``, ``mime_type`` and
  ``filename`` (a document's name as the patron's phone gave it: not yet safe to use as a
  path; see :func:`connectors.whatsapp.media.safe_filename`).
  ``context_id`` is the message it answers, or for reactions, revokes and edits the message
  they refer to. A ``system`` message saying a person changed their number
  (``user_changed_number``; ``customer_changed_number`` in older API versions) is a
  :class:`NumberChange` from ``from`` (the old wa_id) to ``system.wa_id`` (``new_wa_id`` in
  older versions); other system messages (identity changes) are ignored.
  Location and contacts keep no content: they are not supported, and a shared contact is a
  third person's data.
- ``value.statuses[]`` become :class:`StatusUpdate` (recipient: phone, else the business-scoped
  user id; ``callback_data``: the ``biz_opaque_callback_data`` the send carried); their errors
  read ``"code: title"``. A ``played`` status (a voice message was played) is a ``read``: it
  says no more about the send than that. ``value.errors[]`` (trouble with the account, not one
  message: e.g. 130429, rate limit hit) become :class:`AccountError` updates.
- every other field (account, template, call, echo, preference updates) is ignored, with the
  field as its kind.
"""

from __future__ import annotations

from typing import Any

from connectors._http import as_dict as _obj
from connectors._http import as_list as _list
from connectors._http import as_text as _text
from connectors.whatsapp.outbound import MAX_CALLBACK_DATA
from refbot.models import AccountError, IgnoredUpdate, InboundMessage, NumberChange, StatusUpdate, Update

MEDIA_TYPES = frozenset({"image", "video", "document", "audio", "sticker"})
_DETAIL_LIMIT = 200
NUMBER_CHANGED = frozenset({"user_changed_number", "customer_changed_number"})
"""System message types saying a person's WhatsApp account moved to a new number."""
STATUS_ALIASES = {"played": "read"}
"""WhatsApp statuses refbot reads as one it knows (a played voice message was read)."""


def media_id_of(message: InboundMessage) -> str:
    """The media id of an image, video, document, audio or sticker message; else ``""``."""
    return message.media_id if message.type in MEDIA_TYPES else ""


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
        updates.append(_channel_error(error))
    if not updates:
        updates.append(IgnoredUpdate("messages", _describe(value)))
    return updates


def _parse_message(message: Any, contacts: list[dict[str, Any]]) -> Update:
    if not isinstance(message, dict):
        return IgnoredUpdate("malformed", f"message is a {_json_type(message)}")
    type_ = _text(message.get("type"))
    if type_ == "system":
        return _parse_system(message)
    wamid = _text(message.get("id"))
    sender = _sender(message, contacts)
    if not (wamid and sender and type_):
        return IgnoredUpdate("malformed", "message without id, sender or type")
    text, button_id = _content(type_, message)
    media = _obj(message.get(type_)) if type_ in MEDIA_TYPES else {}
    return InboundMessage(
        wamid=wamid,
        sender=sender,
        type=type_,
        timestamp=_int(message.get("timestamp")),
        text=text,
        button_id=button_id,
        sender_name=_contact_name(contacts, sender),
        context_id=_context_id(type_, message),
        media_id=_text(media.get("id")),
        mime_type=_text(media.get("mime_type")),
        filename=_text(media.get("filename")),
    )


def _parse_system(message: dict[str, Any]) -> Update:
    system = _obj(message.get("system"))
    kind = _text(system.get("type"))
    if kind in NUMBER_CHANGED:
        old = _text(message.get("from"))
        new = _text(system.get("wa_id")) or _text(system.get("new_wa_id"))
        wamid = _text(message.get("id"))
        if old and new and old != new and wamid:
            return NumberChange(wamid=wamid, old=old, new=new, timestamp=_int(message.get("timestamp")))
        return IgnoredUpdate("system", _clip(f"{kind} without an old and a new number"))
    return IgnoredUpdate("system", _clip(kind or _text(system.get("body"))))


def _sender(message: dict[str, Any], contacts: list[dict[str, Any]]) -> str:
    # The phone number when Meta shares it (patrons so far are keyed on it); the
    # business-scoped user id (``CC.digits``) for people who hide their number behind a username.
    sender = _text(message.get("from")) or _text(message.get("from_user_id"))
    if sender:
        return sender
    for contact in contacts:
        found = _text(contact.get("wa_id")) or _text(contact.get("user_id"))
        if found:
            return found
    return ""


def _content(type_: str, message: dict[str, Any]) -> tuple[str, str]:
    """(text, button_id) of a message, by its type."""
    body = _obj(message.get(type_))
    if type_ == "text":
        return _text(body.get("body")), ""
    if type_ == "interactive":
        kind = _text(body.get("type"))
        if kind in ("button_reply", "list_reply"):
            reply = _obj(body.get(kind))
            return _text(reply.get("title")), _text(reply.get("id"))
        return "", ""
    if type_ == "button":
        return _text(body.get("text")), _text(body.get("payload"))
    if type_ in MEDIA_TYPES:
        return _text(body.get("caption")), ""
    if type_ == "reaction":
        return _text(body.get("emoji")), ""
    if type_ == "edit":
        edited = _obj(body.get("message"))
        return _content(_text(edited.get("type")) or "text", edited)[0], ""
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
        status=STATUS_ALIASES.get(state, state),
        recipient=_text(status.get("recipient_id")) or _text(status.get("recipient_user_id")),
        timestamp=_int(status.get("timestamp")),
        errors=tuple(error_text(e) for e in _list(status.get("errors"))),
        callback_data=_text(status.get("biz_opaque_callback_data"))[:MAX_CALLBACK_DATA],
    )


def _channel_error(error: Any) -> Update:
    if not isinstance(error, dict):
        return IgnoredUpdate("error", error_text(error))
    title = _text(error.get("title")) or _text(error.get("message")) or "unknown error"
    details = _text(_obj(error.get("error_data")).get("details"))
    return AccountError(code=code_of(error.get("code")), title=_clip(title), details=_clip(details))


def error_text(error: Any) -> str:
    """``"code: title"`` for a webhook error object (the code first, so it can be read back)."""
    if not isinstance(error, dict):
        return _clip(f"unreadable error: {_json_type(error)}")
    code = code_of(error.get("code"))
    title = _text(error.get("title")) or _text(error.get("message")) or "unknown error"
    return _clip(f"{code}: {title}" if code is not None else title)


def _describe(value: dict[str, Any]) -> str:
    event = _text(value.get("event"))
    if event:
        return _clip(f"event {event}")
    keys = sorted(k for k in value if k not in ("messaging_product", "metadata", "contacts"))
    return _clip(", ".join(_text(k) for k in keys) or "empty")


# --- tolerant readers ------------------------------------------------------------------


def _int(value: Any) -> int:
    """A timestamp: an int, or a string of digits (as Meta sends them); else 0."""
    number = code_of(value)
    return number if number is not None and 0 <= number < 2**63 else 0


def code_of(value: Any) -> int | None:
    """An integer field that may arrive as a number or a string of digits."""
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
