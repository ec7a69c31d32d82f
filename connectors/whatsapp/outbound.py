"""Cloud API send bodies, checked against WhatsApp's documented limits before anything is sent.

Every builder raises :class:`ValueError` naming the broken rule, so a message WhatsApp would
refuse never leaves refbot (and the sender does not retry it). Graph error answers become
:class:`ChannelError` with ``transient`` telling whether trying again later may succeed.

    text                    body ≤ 4,096
    reply buttons           body ≤ 1,024; 1-3 buttons; title ≤ 20, id ≤ 256; ids and titles unique
    list                    body ≤ 4,096; button label ≤ 20; header ≤ 60, footer ≤ 60;
                            1-10 rows over ≤ 10 sections (titled ≤ 24); row title ≤ 24, description ≤ 72,
                            id ≤ 200; row ids unique
    document                caption ≤ 1,024; file name ≤ 240
    image                   caption ≤ 1,024; JPEG or PNG ≤ 5 MB (checked when uploaded)
    template                name [a-z0-9_] ≤ 512; language like ``id`` or ``en_US``; body
                            parameters without new lines, tabs or more than 4 spaces in a row
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors._http import as_dict as _obj
from connectors._http import as_text as _text
from refbot.errors import ChannelError, MessageRefused
from refbot.models import OutgoingMessage

MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_ROWS = 10
MAX_LIST_SECTIONS = 10
MAX_LIST_BUTTON = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_SECTION_TITLE = 24
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_CAPTION = 1024
MAX_FILENAME = 240
MAX_TEMPLATE_PARAMETER = 1024
MAX_CALLBACK_DATA = 512  # biz_opaque_callback_data, echoed back in status webhooks

_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
# A business-scoped user id: a country code, a dot, then letters and digits (``ID.1234…``).
_BSUID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9.]+$")

# Graph error codes where waiting and trying again can succeed: rate limits, "something
# went wrong", service unavailable, and the generic Graph API transient codes.
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056})
# Codes where retrying the same message cannot help: undeliverable, the 24-hour window is
# shut, bad parameters, a bad token, unsupported or invalid content, unknown template.
PERMANENT_CODES = frozenset(
    {100, 190, 131008, 131009, 131026, 131047, 131051, 131052, 131053, 131062, 132000, 132001, 132018}
)


@dataclass(frozen=True)
class ListRow:
    """One choice in a list message: an id refbot reads back, a title and a description."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class ListSection:
    """A titled group of rows (a list with one section may leave the title empty)."""

    title: str
    rows: tuple[ListRow, ...]


def addressed(to: str) -> dict[str, Any]:
    """The common head of a send body; a business-scoped user id goes in ``recipient``."""
    if not to.strip():
        raise MessageRefused("a message needs a recipient")
    key = "recipient" if _BSUID.match(to) else "to"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", key: to}


def message_body(message: OutgoingMessage, media_id: str = "") -> dict[str, Any]:
    """The Cloud API JSON body for a message (``media_id``: its uploaded document or image).

    A message with a ``template`` is that template (its ``text`` is not sent); one with a
    ``document`` is the document with ``text`` as caption; one with an ``image`` is the image
    with ``text`` as caption; one with ``buttons`` a reply-button message; any other a text
    message.

    Raises:
        MessageRefused: no recipient, empty text, or a limit broken (text length, button count,
            title length, id length, repeated ids or titles, a document or image with
            buttons, both a document and an image, a malformed template).
    """
    if message.template is not None:
        if message.buttons or message.document is not None or message.image is not None:
            raise MessageRefused("a template message cannot carry buttons, a document or an image")
        t = message.template
        return template_body(message.to, t.name, t.language, t.parameters)
    base = addressed(message.to)
    if message.document is not None and message.image is not None:
        raise MessageRefused("a message carries a document or an image, not both")
    if (message.document is not None or message.image is not None) and message.buttons:
        raise MessageRefused(f"{'a document' if message.document else 'an image'} cannot carry reply buttons")
    if message.document is not None:
        return {**base, **document_part(media_id, message.document.filename, message.text)}
    if message.image is not None:
        return {**base, **image_part(media_id, message.text)}
    if not message.text.strip():
        raise MessageRefused("a message needs text")
    if not message.buttons:
        check_length("text", message.text, MAX_TEXT)
        return {**base, "type": "text", "text": {"preview_url": False, "body": message.text}}
    _check_buttons(message)
    buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in message.buttons]
    interactive = {"type": "button", "body": {"text": message.text}, "action": {"buttons": buttons}}
    return {**base, "type": "interactive", "interactive": interactive}


def document_part(media_id: str, filename: str, caption: str) -> dict[str, Any]:
    """``type: document`` with an uploaded media id, a file name and an optional caption."""
    if not media_id:
        raise MessageRefused("a document needs an uploaded media id")
    if not filename.strip():
        raise MessageRefused("a document needs a file name")
    check_length("document file name", filename, MAX_FILENAME)
    check_length("document caption", caption, MAX_CAPTION)
    document = {"id": media_id, "filename": filename}
    if caption.strip():
        document["caption"] = caption
    return {"type": "document", "document": document}


def image_part(media_id: str, caption: str) -> dict[str, Any]:
    """``type: image`` with an uploaded media id and an optional caption (no file name)."""
    if not media_id:
        raise MessageRefused("an image needs an uploaded media id")
    check_length("image caption", caption, MAX_CAPTION)
    image = {"id": media_id}
    if caption.strip():
        image["caption"] = caption
    return {"type": "image", "image": image}


def list_body(
    to: str,
    text: str,
    button: str,
    sections: Sequence[ListSection],
    *,
    header: str = "",
    footer: str = "",
) -> dict[str, Any]:
    """An interactive list message: ``button`` opens the list of ``sections``.

    Raises:
        MessageRefused: a limit is broken (see the module docstring).
    """
    base = addressed(to)
    _check_list(text, button, sections, header, footer)
    action = {
        "button": button,
        "sections": [
            {**({"title": s.title} if s.title else {}), "rows": [_row(r) for r in s.rows]} for s in sections
        ],
    }
    interactive: dict[str, Any] = {"type": "list", "body": {"text": text}, "action": action}
    if header:
        interactive["header"] = {"type": "text", "text": header}
    if footer:
        interactive["footer"] = {"text": footer}
    return {**base, "type": "interactive", "interactive": interactive}


def _row(row: ListRow) -> dict[str, str]:
    return {"id": row.id, "title": row.title, **({"description": row.description} if row.description else {})}


def _check_list(text: str, button: str, sections: Sequence[ListSection], header: str, footer: str) -> None:
    if not text.strip():
        raise MessageRefused("a list message needs body text")
    check_length("list body", text, MAX_TEXT)
    if not button.strip():
        raise MessageRefused("a list message needs a button label")
    check_length("list button label", button, MAX_LIST_BUTTON)
    check_length("list header", header, MAX_HEADER)
    check_length("list footer", footer, MAX_FOOTER)
    if not 1 <= len(sections) <= MAX_LIST_SECTIONS:
        raise MessageRefused(f"a list has 1 to {MAX_LIST_SECTIONS} sections, got {len(sections)}")
    if len(sections) > 1 and not all(s.title.strip() for s in sections):
        raise MessageRefused("every section needs a title when a list has several")
    rows = [r for s in sections for r in s.rows]
    if not 1 <= len(rows) <= MAX_LIST_ROWS:
        raise MessageRefused(f"a list has 1 to {MAX_LIST_ROWS} rows in all, got {len(rows)}")
    for section in sections:
        check_length("section title", section.title, MAX_SECTION_TITLE)
        if not section.rows:
            raise MessageRefused(f"section {section.title!r} has no rows")
    for row in rows:
        if not row.id.strip() or not row.title.strip():
            raise MessageRefused("a list row needs an id and a title")
        check_length(f"row title {row.title!r}", row.title, MAX_ROW_TITLE)
        check_length(f"row description of {row.title!r}", row.description, MAX_ROW_DESCRIPTION)
        check_length("row id", row.id, MAX_ROW_ID)
    if len({r.id for r in rows}) < len(rows):
        raise MessageRefused("row ids must differ")


def template_body(to: str, name: str, language: str, parameters: Sequence[str] = ()) -> dict[str, Any]:
    """A template message: an approved template ``name`` in ``language``, body ``{{1}}``… filled.

    Raises:
        MessageRefused: a malformed name or language code, or a parameter WhatsApp refuses
            (empty, a new line or tab, more than four spaces in a row, too long).
    """
    base = addressed(to)
    if not _TEMPLATE_NAME.match(name):
        raise MessageRefused(f"template name {name!r} must be lower-case letters, digits and _")
    if not _LANGUAGE_CODE.match(language):
        raise MessageRefused(f"template language {language!r} must be a code like 'id' or 'en_US'")
    for i, value in enumerate(parameters, start=1):
        _check_parameter(i, value)
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameters:
        params = [{"type": "text", "text": value} for value in parameters]
        template["components"] = [{"type": "body", "parameters": params}]
    return {**base, "type": "template", "template": template}


def _check_parameter(i: int, value: str) -> None:
    if not value.strip():
        raise MessageRefused(f"template parameter {{{{{i}}}}} is empty")
    if "\n" in value or "\t" in value or "     " in value:
        raise MessageRefused(f"template parameter {{{{{i}}}}} has a new line, a tab or more than 4 spaces in a row")
    check_length(f"template parameter {{{{{i}}}}}", value, MAX_TEMPLATE_PARAMETER)


def _check_buttons(message: OutgoingMessage) -> None:
    check_length("interactive body", message.text, MAX_INTERACTIVE_BODY)
    if len(message.buttons) > MAX_BUTTONS:
        raise MessageRefused(f"at most {MAX_BUTTONS} reply buttons, got {len(message.buttons)}")
    for button in message.buttons:
        if not button.title.strip() or not button.id.strip():
            raise MessageRefused("a button needs an id and a title")
        check_length(f"button title {button.title!r}", button.title, MAX_BUTTON_TITLE)
        check_length("button id", button.id, MAX_BUTTON_ID)
    if len({b.id for b in message.buttons}) < len(message.buttons):
        raise MessageRefused("button ids must differ")
    if len({b.title for b in message.buttons}) < len(message.buttons):
        raise MessageRefused("button titles must differ")


def check_length(what: str, value: str, limit: int) -> None:
    """Raise ``ValueError`` when ``value`` is longer than WhatsApp allows."""
    if len(value) > limit:
        raise MessageRefused(f"{what} is {len(value)} characters; WhatsApp allows {limit}")


# --- Graph error answers ---------------------------------------------------------------


def graph_error(status: int, data: Any, what: str = "the message") -> ChannelError:
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
    message = f"WhatsApp refused {what}: {text} ({', '.join(facts)})"
    return ChannelError(message, code=code, transient=is_transient(code, status))


def is_transient(code: int | None, status: int) -> bool:
    """Whether a failed send may succeed later: by Graph code first, else by HTTP status."""
    if code in TRANSIENT_CODES:
        return True
    if code in PERMANENT_CODES:
        return False
    return status >= 500 or status == 429


def first_message_id(data: Any) -> str:
    """The ``wamid`` of a send answer, or ``""``."""
    messages = _obj(data).get("messages")
    if isinstance(messages, list) and messages:
        return _text(_obj(messages[0]).get("id"))
    return ""


def _code(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        return int(value)
    return None
