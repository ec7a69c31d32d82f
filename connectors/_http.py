"""Reading loosely typed JSON from outside services: a wrong type becomes an empty value, never an error."""

from __future__ import annotations

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
