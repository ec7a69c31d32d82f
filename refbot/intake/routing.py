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
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            for library in set(libraries.values()):
                _add(split, library, payload, entry, None)
            continue
        for change in changes:
            number = _number(change)
            if number is None:
                targets = set(libraries.values())
            elif number in libraries:
                targets = {libraries[number]}
            else:
                split.unknown.append(number)
                continue
            for library in targets:
                _add(split, library, payload, entry, change)
    return split


def _number(change: Any) -> str | None:
    value = change.get("value") if isinstance(change, dict) else None
    metadata = value.get("metadata") if isinstance(value, dict) else None
    number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    return str(number) if number not in (None, "") else None


def _add(split: Split, library: str, payload: dict[str, Any], entry: Any, change: Any) -> None:
    body = split.bodies.setdefault(library, {**{k: v for k, v in payload.items() if k != "entry"}, "entry": []})
    if change is None:
        body["entry"].append(entry)
        return
    same = [e for e in body["entry"] if e.get("id") == entry.get("id") and "changes" in e]
    if same:
        same[0]["changes"].append(change)
    else:
        body["entry"].append({**{k: v for k, v in entry.items() if k != "changes"}, "changes": [change]})
