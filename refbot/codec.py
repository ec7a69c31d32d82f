"""Turning refbot's frozen dataclasses into JSON for the store, and back."""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def to_plain(value: Any) -> Any:
    """A JSON-ready copy of a dataclass value (tuples and sets become lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(to_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Serialise a dataclass value to compact JSON."""
    return json.dumps(to_plain(value), ensure_ascii=False, separators=(",", ":"))


def loads(cls: type[T], text: str) -> T:
    """Rebuild a dataclass value of type ``cls`` from :func:`dumps` output."""
    return typing.cast(T, from_plain(cls, json.loads(text)))


def from_plain(hint: Any, data: Any) -> Any:
    """Rebuild a value of type ``hint`` from plain JSON data, tolerating unknown keys."""
    if data is None:
        return None
    if dataclasses.is_dataclass(hint):
        hints = _hints(typing.cast(type, hint))
        known = {k: v for k, v in data.items() if k in hints}
        return typing.cast(Any, hint)(**{k: from_plain(hints[k], v) for k, v in known.items()})
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], v) for v in data)
        return tuple(from_plain(a, v) for a, v in zip(args, data, strict=False))
    if origin is frozenset:
        return frozenset(from_plain(args[0], v) for v in data)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return from_plain(options[0], data) if len(options) == 1 else data
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    return data


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)
