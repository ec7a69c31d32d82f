"""What the Cloud API accepts in a send request, checked the way the real API checks it.

:func:`check_message` returns the reason a body would be refused (the text the real API puts
in ``error_data.details``), or an empty string. Only the message types refbot sends are
known here: text, interactive reply buttons and lists, documents and images (by uploaded
media id or link; an image has a caption but no file name) and templates. A message may be addressed by phone number (``to``) or by business-scoped
user id (``recipient``).
"""

from __future__ import annotations

import re
from typing import Any

# Graph error code → (title, default details), as the Cloud API words them.
GRAPH_ERRORS: dict[int, tuple[str, str]] = {
    1: ("API Unknown", "Invalid request or possible server error."),
    2: ("API Service", "Temporary due to downtime or due to being overloaded."),
    4: ("API Too Many Calls", "The app has reached its API call rate limit."),
    100: ("Invalid parameter", ""),
    190: ("Access token has expired", "Invalid OAuth access token."),
    80007: ("Rate limit issues", "The WhatsApp Business Account has reached its rate limit."),
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    131000: ("Something went wrong", "Message failed to send due to an unknown error."),
    131008: ("Required parameter is missing", "The request is missing a required parameter."),
    131009: ("Parameter value is not valid", "One or more parameter values are invalid."),
    131016: ("Service unavailable", "A service is temporarily unavailable."),
    131026: ("Message undeliverable", "Unable to deliver message."),
    131047: (
        "Re-engagement message",
        "More than 24 hours have passed since the recipient last replied to the sender number.",
    ),
    131051: ("Unsupported message type", "Unsupported message type."),
    131053: ("Media upload error", "Unable to upload the media used in the message."),
    131056: (
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone number "
        "in a short period of time.",
    ),
    131062: ("Business-scoped User ID recipients are not supported for this message", ""),
    132000: (
        "Number of parameters does not match the expected number of params",
        "The number of variable parameter values included in the request did not match the number "
        "of variable parameters defined in the template.",
    ),
    132001: ("Template name does not exist in the translation", "The template does not exist in the specified language."),
    132018: (
        "There was an issue with the parameters in your template",
        "Param text cannot have new-line/tab characters or more than 4 consecutive spaces.",
    ),
}

MB = 1024 * 1024
# What the media endpoint accepts, with each type's size limit in bytes.
MEDIA_LIMITS: dict[str, int] = {
    "image/jpeg": 5 * MB, "image/png": 5 * MB, "image/webp": 500 * 1024,
    "audio/aac": 16 * MB, "audio/amr": 16 * MB, "audio/mpeg": 16 * MB, "audio/mp4": 16 * MB, "audio/ogg": 16 * MB,
    "video/mp4": 16 * MB, "video/3gpp": 16 * MB,
    "text/plain": 100 * MB, "application/pdf": 100 * MB, "application/msword": 100 * MB,
    "application/vnd.ms-excel": 100 * MB, "application/vnd.ms-powerpoint": 100 * MB,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * MB,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * MB,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * MB,
}

TEXT_BODY_MAX = 4096
BUTTON_BODY_MAX = 1024
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
FOOTER_MAX = 60
LIST_ROWS_MAX = 10
LIST_SECTIONS_MAX = 10
LIST_BUTTON_MAX = 20
ROW_TITLE_MAX = 24
ROW_ID_MAX = 200
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24
CAPTION_MAX = 1024
FILENAME_MAX = 240
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})  # what an image message shows; WebP is for stickers
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")


def base_type(mime_type: str) -> str:
    """``"audio/ogg; codecs=opus"`` → ``"audio/ogg"``."""
    return mime_type.split(";", 1)[0].strip().lower()


def digits(phone: str) -> str:
    """Only the digits of a phone number: ``"+62 812-0000-0001"`` → ``"6281200000001"``."""
    return "".join(ch for ch in phone if ch in "0123456789")


def recipient_of(body: dict[str, Any]) -> str:
    """Who a send body is for: ``to`` (a phone number) wins over ``recipient`` (a user id)."""
    to, user_id = body.get("to"), body.get("recipient")
    if isinstance(to, str) and to:
        return to
    return user_id if isinstance(user_id, str) else ""


def check_message(body: Any) -> str:
    """Why the Cloud API would refuse this send body, or ``""`` when it would accept it."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required and must be 'whatsapp'"
    if body.get("recipient_type", "individual") not in ("individual", "group"):
        return "Param recipient_type must be one of {individual, group}"
    to, user_id = body.get("to"), body.get("recipient")
    if to is not None and (not isinstance(to, str) or not any(ch in "0123456789" for ch in to)):
        return "The parameter to is required and must be a phone number"
    if to is None and not (isinstance(user_id, str) and re.fullmatch(r"[A-Z]{2}\.[A-Za-z0-9.]+", user_id)):
        return "The parameter to is required and must be a phone number (or recipient a business-scoped user id)"
    if "biz_opaque_callback_data" in body:
        problem = _length("biz_opaque_callback_data", body["biz_opaque_callback_data"], 0, 512)
        if problem:
            return problem
    kind = body.get("type", "text")
    check = _CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        return f"Param type must be one of {{{', '.join(sorted(_CHECKS))}}}"
    return check(body.get(kind))


def message_summary(body: dict[str, Any]) -> dict[str, Any]:
    """What a person would see of an accepted message: type, text, buttons, list rows."""
    kind = body.get("type", "text")
    summary: dict[str, Any] = {"type": kind, "text": "", "buttons": [], "rows": [], "list_button": ""}
    if kind == "text":
        summary["text"] = body["text"]["body"]
    elif kind == "template":
        template = body["template"]
        params = [p.get("text", "") for c in template.get("components", []) for p in c.get("parameters", [])]
        summary["text"] = f"[template {template['name']}/{template['language']['code']}] " + " | ".join(params)
        summary["template"] = {"name": template["name"], "language": template["language"]["code"], "parameters": params}
    elif kind == "document":
        document = body["document"]
        summary["text"] = document.get("caption", "")
        summary["document"] = {"id": document.get("id", ""), "link": document.get("link", ""),
                               "filename": document.get("filename", "")}
    elif kind == "image":
        image = body["image"]
        summary["text"] = image.get("caption", "")
        summary["image"] = {"id": image.get("id", ""), "link": image.get("link", "")}
    else:
        interactive = body["interactive"]
        summary["text"] = interactive["body"]["text"]
        action = interactive["action"]
        if interactive["type"] == "button":
            summary["buttons"] = [dict(b["reply"]) for b in action["buttons"]]
        else:
            summary["list_button"] = action["button"]
            summary["rows"] = [_row(r) for s in action["sections"] for r in s["rows"]]
    return summary


def _row(row: dict[str, Any]) -> dict[str, str]:
    return {"id": row["id"], "title": row["title"], "description": row.get("description", "")}


def _check_text(text: Any) -> str:
    if not isinstance(text, dict):
        return "Param text is required for a text message"
    if "preview_url" in text and not isinstance(text["preview_url"], bool):
        return "Param text['preview_url'] must be a boolean"
    return _length("text['body']", text.get("body"), 1, TEXT_BODY_MAX)


def _check_template(template: Any) -> str:
    if not isinstance(template, dict):
        return "Param template is required for a template message"
    if not isinstance(template.get("name"), str) or not template["name"]:
        return "Param template['name'] is required"
    if not TEMPLATE_NAME.match(template["name"]):
        return "Param template['name'] must be lower-case letters, digits and underscores"
    language = template.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        return "Param template['language']['code'] is required"
    components = template.get("components", [])
    if not isinstance(components, list):
        return "Param template['components'] must be a list"
    for component in components:
        parameters = _obj(component).get("parameters", [])
        if not isinstance(parameters, list):
            return "Param template['components'][]['parameters'] must be a list"
        for parameter in parameters:
            parameter = _obj(parameter)
            if parameter.get("type") != "text":
                continue
            problem = _length("template parameter text", parameter.get("text"), 1, 32768)
            if problem:
                return problem
            if _BAD_PARAMETER.search(parameter["text"]):
                return GRAPH_ERRORS[132018][1]
    return ""


def template_parameter_count(template: dict[str, Any]) -> int:
    """How many body parameters a (checked) template body fills."""
    return sum(len(_obj(c).get("parameters", [])) for c in template.get("components", []) if _obj(c).get("type") == "body")


def _check_document(document: Any) -> str:
    if not isinstance(document, dict):
        return "Param document is required for a document message"
    has_id, has_link = isinstance(document.get("id"), str), isinstance(document.get("link"), str)
    if has_id == has_link:
        return "Param document must have exactly one of id or link"
    if "caption" in document:
        problem = _length("document['caption']", document["caption"], 0, CAPTION_MAX)
        if problem:
            return problem
    if "filename" in document:
        return _length("document['filename']", document["filename"], 1, FILENAME_MAX)
    return ""


def _check_image(image: Any) -> str:
    if not isinstance(image, dict):
        return "Param image is required for an image message"
    has_id, has_link = isinstance(image.get("id"), str), isinstance(image.get("link"), str)
    if has_id == has_link:
        return "Param image must have exactly one of id or link"
    if "filename" in image:
        return "Param image['filename'] is only for document messages"
    if "caption" in image:
        return _length("image['caption']", image["caption"], 0, CAPTION_MAX)
    return ""


def _check_interactive(interactive: Any) -> str:
    if not isinstance(interactive, dict):
        return "Param interactive is required for an interactive message"
    body = interactive.get("body")
    action = interactive.get("action")
    if not isinstance(body, dict) or not isinstance(action, dict):
        return "Params interactive['body'] and interactive['action'] are required"
    footer = interactive.get("footer")
    if footer is not None:
        problem = _length("interactive['footer']['text']", _obj(footer).get("text"), 1, FOOTER_MAX)
        if problem:
            return problem
    if interactive.get("type") == "button":
        return _length("interactive['body']['text']", body.get("text"), 1, BUTTON_BODY_MAX) or _check_buttons(action)
    if interactive.get("type") == "list":
        header = interactive.get("header")
        if header is not None:
            problem = _length("interactive['header']['text']", _obj(header).get("text"), 1, FOOTER_MAX)
            if problem:
                return problem
        return _length("interactive['body']['text']", body.get("text"), 1, TEXT_BODY_MAX) or _check_list(action)
    return "Param interactive['type'] must be one of {button, list}"


def _check_buttons(action: dict[str, Any]) -> str:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= BUTTONS_MAX:
        return f"Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: {BUTTONS_MAX}"
    replies = []
    for button in buttons:
        reply = _obj(button).get("reply")
        if _obj(button).get("type") != "reply" or not isinstance(reply, dict):
            return "Param interactive['action']['buttons'][]['type'] must be 'reply' with a reply object"
        title = reply.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= BUTTON_TITLE_MAX:
            return f"Button title length invalid. Min length: 1, Max length: {BUTTON_TITLE_MAX}"
        problem = _length("interactive['action']['buttons'][]['reply']['id']", reply.get("id"), 1, BUTTON_ID_MAX)
        if problem:
            return problem
        replies.append(reply)
    if len({r["id"] for r in replies}) < len(replies):
        return "Duplicate button id"
    if len({r["title"] for r in replies}) < len(replies):
        return "Button title must be unique"
    return ""


def _check_list(action: dict[str, Any]) -> str:
    problem = _length("interactive['action']['button']", action.get("button"), 1, LIST_BUTTON_MAX)
    sections = action.get("sections")
    if problem:
        return problem
    if not isinstance(sections, list) or not 1 <= len(sections) <= LIST_SECTIONS_MAX:
        return f"Invalid sections count. Min allowed: 1, Max allowed: {LIST_SECTIONS_MAX}"
    if len(sections) > 1 and not all(isinstance(_obj(s).get("title"), str) and _obj(s)["title"] for s in sections):
        return "Param interactive['action']['sections'][]['title'] is required when there are several sections"
    for section in sections:
        if "title" in _obj(section):
            problem = _length("section title", _obj(section)["title"], 1, SECTION_TITLE_MAX)
            if problem:
                return problem
    rows = [row for section in sections for row in _list(_obj(section).get("rows"))]
    if not 1 <= len(rows) <= LIST_ROWS_MAX:
        return f"Invalid number of rows. Min allowed: 1, Max allowed: {LIST_ROWS_MAX}"
    for row in rows:
        row = _obj(row)
        problem = (
            _length("row id", row.get("id"), 1, ROW_ID_MAX)
            or _length("row title", row.get("title"), 1, ROW_TITLE_MAX)
            or _length("row description", row.get("description", ""), 0, ROW_DESCRIPTION_MAX)
        )
        if problem:
            return problem
    if len({_obj(r).get("id") for r in rows}) < len(rows):
        return "Row ids must be unique"
    return ""


def _length(name: str, value: Any, low: int, high: int) -> str:
    if not isinstance(value, str):
        return f"Param {name} is required and must be a string"
    if not low <= len(value) <= high:
        return f"Param {name} must be between {low} and {high} characters long"
    return ""


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_CHECKS = {
    "text": _check_text,
    "interactive": _check_interactive,
    "template": _check_template,
    "document": _check_document,
    "image": _check_image,
}
