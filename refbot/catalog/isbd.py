"""ISBD punctuation at the ends of a subfield value, which a catalog shows and a citation must not."""

from __future__ import annotations

import re

_ISBD_CHARACTERS = frozenset(" /:;=,.")
_ISBD_END = re.compile(r"[\s/:;=,]+$")
_CLOSING_PERIOD = re.compile(r"(?<=[^\s.A-Z])\.$")


def clean(text: str) -> str:
    """Collapse whitespace and strip ISBD punctuation from the ends of a subfield value."""
    text = " ".join(text.split())
    if not text or text[-1] not in _ISBD_CHARACTERS:
        return text
    text = _CLOSING_PERIOD.sub("", _ISBD_END.sub("", text))
    return _ISBD_END.sub("", text).strip()
