"""One Zotero library as the stand-in keeps it: collections, items, versions, deletions.

Zotero versions everything by library: each successful write raises the library's version by
one, and every object it touched takes that version. ``since=N`` asks for objects changed
after version N; ``/deleted?since=N`` for keys removed after it. This class keeps exactly that.
"""

from __future__ import annotations

import datetime
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"


@dataclass
class Library:
    """A user or group library and everything in it."""

    type: str
    id: str
    name: str = ""
    version: int = 0
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: dict[str, dict[str, int]] = field(default_factory=lambda: {"collections": {}, "items": {}})
    write_tokens: set[str] = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(5))

    @property
    def path(self) -> str:
        """How the API names it: ``groups/2501`` or ``users/42``."""
        return f"{self.type}s/{self.id}"

    @classmethod
    def from_fixture(cls, data: dict[str, Any]) -> Library:
        """A library from ``{"library": {type, id, name}, "collections": [...], "items": [...]}``.

        Collections and items are added in order, each as one write, as if typed in by hand.
        """
        meta = data.get("library", {})
        library = cls(str(meta.get("type", "group")), str(meta.get("id", "1")), str(meta.get("name", "")))
        for collection in data.get("collections", []):
            library.put_collection(dict(collection), library.bump())
        for item in data.get("items", []):
            library.put_item(dict(item), library.bump())
        return library

    @classmethod
    def load(cls, path: str | Path) -> Library:
        """A library from a JSON fixture file."""
        return cls.from_fixture(json.loads(Path(path).read_text("utf-8")))

    def bump(self) -> int:
        """Start a write: the library's next version."""
        self.version += 1
        return self.version

    def new_key(self) -> str:
        """An unused eight-character object key."""
        while True:
            key = "".join(self.rng.choice(KEY_CHARS) for _ in range(8))
            if key not in self.items and key not in self.collections:
                return key

    def put_collection(self, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Create or replace a collection at ``version``."""
        key = str(data.get("key") or self.new_key())
        parent = data.get("parentCollection") or False
        stored = {"key": key, "version": version, "name": str(data.get("name", "")), "parentCollection": parent,
                  "relations": data.get("relations") or {}}
        self.collections[key] = stored
        self.deleted["collections"].pop(key, None)
        return stored

    def put_item(self, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Create or replace an item at ``version``."""
        key = str(data.get("key") or self.new_key())
        now = _now()
        previous = self.items.get(key, {})
        stored = {**data, "key": key, "version": version}
        stored.setdefault("creators", [])
        stored.setdefault("tags", [])
        stored.setdefault("collections", [])
        stored.setdefault("relations", {})
        stored["dateAdded"] = previous.get("dateAdded") or data.get("dateAdded") or now
        stored["dateModified"] = now
        self.items[key] = stored
        self.deleted["items"].pop(key, None)
        return stored

    def delete_item(self, key: str) -> None:
        """Remove an item for good (emptied from the trash)."""
        if self.items.pop(key, None) is not None:
            self.deleted["items"][key] = self.bump()

    def delete_collection(self, key: str) -> None:
        """Remove a collection; its items stay, out of it."""
        if self.collections.pop(key, None) is None:
            return
        version = self.bump()
        self.deleted["collections"][key] = version
        for item in self.items.values():
            if key in item.get("collections", []):
                item["collections"] = [c for c in item["collections"] if c != key]
                item["version"] = version

    def deleted_since(self, since: int) -> dict[str, list[str]]:
        """Keys removed after version ``since``, as ``/deleted`` lists them."""
        pick = {kind: [k for k, v in keys.items() if v > since] for kind, keys in self.deleted.items()}
        return {**pick, "searches": [], "tags": [], "settings": []}

    def object_json(self, kind: str, data: dict[str, Any], base: str) -> dict[str, Any]:
        """One collection or item in the API's envelope: key, version, library, links, meta, data."""
        route = "collections" if kind == "collection" else "items"
        meta: dict[str, Any]
        if kind == "collection":
            meta = {"numCollections": sum(1 for c in self.collections.values() if c["parentCollection"] == data["key"]),
                    "numItems": sum(1 for i in self.items.values() if data["key"] in i.get("collections", []))}
        else:
            meta = {"creatorSummary": _creator_summary(data), "numChildren": 0}
            year = re.search(r"\d{4}", str(data.get("date", "")))
            if year:
                meta["parsedDate"] = year.group(0)
        return {
            "key": data["key"],
            "version": data["version"],
            "library": {"type": self.type, "id": _number(self.id), "name": self.name,
                        "links": {"alternate": {"href": f"https://www.zotero.org/{self.path}", "type": "text/html"}}},
            "links": {"self": {"href": f"{base}/{self.path}/{route}/{data['key']}", "type": "application/json"},
                      "alternate": {"href": f"https://www.zotero.org/{self.path}/{route}/{data['key']}",
                                    "type": "text/html"}},
            "meta": meta,
            "data": data,
        }


def _creator_summary(item: dict[str, Any]) -> str:
    names = [c.get("lastName") or c.get("name") or "" for c in item.get("creators", []) if isinstance(c, dict)]
    names = [n for n in names if n]
    if len(names) > 2:
        return f"{names[0]} et al."
    return " and ".join(names)


def _number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
