"""What every connector needs from the outside services' answers, read without ever raising.

Loosely typed JSON (:func:`as_dict`, :func:`as_list`, :func:`as_text`): a wrong type becomes an
empty value, never an error. ``Retry-After`` headers (:func:`parse_retry_after`): seconds, or
``None`` when the header is absent or unreadable.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime
from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value if it is an array, else an empty one."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """A string field; numbers are accepted (ids sometimes arrive unquoted).

    JSON may carry lone surrogates (``"\\ud800"``) that no UTF-8 store can hold; they become
    U+FFFD here, so a stored value can always be written and read back.
    """
    if isinstance(value, str):
        if value.isascii():
            return value
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def parse_retry_after(value: str) -> float | None:
    """Seconds a ``Retry-After`` (or Zotero's ``Backoff``) header asks for, or ``None``.

    Takes delta-seconds (``"7"``, ``"1.5"``) or an HTTP date; a date in the past is ``0.0``.
    Anything else (empty, words, ``nan``, ``inf``) is ``None``; never raises.
    """
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": a date in UTC with no zone given
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
