"""Which library a webhook is for: each change names the business number it came to.

Meta sends one app's webhooks to one URL, and a consortium's libraries are numbers of one app.
Each change of a body carries ``value.metadata.phone_number_id``, the number that received
the message (or sent the message a status is about). :func:`split_by_number` cuts a body into
one body per library, keeping Meta's shape, so each library's journal holds only its own.
A change for a number no library has is set aside (acknowledged, logged, never answered); a
change without a number (about the whole account: template reviews, account errors) goes to
every library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Split:
    """A body cut up by library."""

    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Library id → a body with only that library's changes (same ``object`` and entry ids)."""
    unknown: list[str] = field(default_factory=list)
    """Numbers that changes came to and no library has."""


def split_by_number(payload: Any, libraries: dict[str, str]) -> Split:
    """Cut ``payload`` up by ``libraries`` (phone number id → library id).

    A body that is not Meta's usual shape (no ``entry`` list) goes to every library whole:
    each library's applier reads and sets it aside as it does today.
    """
    split = Split()
    entries = payload.get("entry") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        split.bodies = {library: payload for library in set(libraries.values())}
        return split
    everyone = set(libraries.values())
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            for library in everyone:
                _body(split, payload, library)["entry"].append(entry)
            continue
        copies: dict[str, dict[str, Any]] = {}  # this entry as each library gets it
        for change in changes:
            number = _number(change)
            if number is not None and number not in libraries:
                split.unknown.append(number)
                continue
            for library in everyone if number is None else {libraries[number]}:
                if library not in copies:
                    copies[library] = {**{k: v for k, v in entry.items() if k != "changes"}, "changes": []}
                    _body(split, payload, library)["entry"].append(copies[library])
                copies[library]["changes"].append(change)
    return split


def _number(change: Any) -> str | None:
    value = change.get("value") if isinstance(change, dict) else None
    metadata = value.get("metadata") if isinstance(value, dict) else None
    number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    return str(number) if number not in (None, "") else None


def _body(split: Split, payload: dict[str, Any], library: str) -> dict[str, Any]:
    """The library's body, made on first use with the payload's other top-level members."""
    if library not in split.bodies:
        split.bodies[library] = {**{k: v for k, v in payload.items() if k != "entry"}, "entry": []}
    return split.bodies[library]


def message_ids(payload: Any) -> list[str]:
    """The WhatsApp ids of the patrons' messages in a webhook body (none for statuses alone)."""
    found: list[str] = []
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else ():
            value = change.get("value") if isinstance(change, dict) else None
            messages = value.get("messages") if isinstance(value, dict) else None
            for message in messages if isinstance(messages, list) else ():
                wamid = message.get("id") if isinstance(message, dict) else None
                if isinstance(wamid, str) and wamid:
                    found.append(wamid)
    return found
