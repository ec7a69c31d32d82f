"""The Zotero Web API v3 routes the stand-in answers, as plain functions of a request context."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from refbot.sandbox.faults import JSON, Answer
from refbot.sandbox.zotero import templates
from refbot.sandbox.zotero.library import Library

API_HEADERS = {"Zotero-API-Version": "3"}
MAX_LIMIT, DEFAULT_LIMIT, MAX_WRITE = 100, 25, 50


@dataclass(frozen=True)
class Context:
    """What a route needs: the request, its path below the mount, the base URL, the libraries."""

    request: web.Request
    path: str
    base: str
    libraries: Mapping[str, Library]
    api_key: str

    @property
    def params(self) -> Mapping[str, str]:
        """The query parameters."""
        return self.request.query


async def route(ctx: Context) -> Answer:
    """The answer to one request."""
    parts = ctx.path.strip("/").split("/")
    method = ctx.request.method
    if parts == ["items", "new"] and method == "GET":
        found = templates.template(ctx.params.get("itemType", ""))
        return _json(found) if found else _text(400, f"Invalid item type '{ctx.params.get('itemType', '')}'")
    if parts == ["itemTypes"]:
        return _json([{"itemType": t, "localized": t} for t in templates.FIELDS])
    if parts == ["itemFields"]:
        fields = sorted({f for fs in templates.FIELDS.values() for f in fs})
        return _json([{"field": f, "localized": f} for f in fields])
    if len(parts) < 3 or parts[0] not in ("users", "groups"):
        return _text(404, "Not found")
    library = ctx.libraries.get(f"{parts[0]}/{parts[1]}")
    if library is None:
        return _text(404, "Not found")
    if ctx.api_key and _key_of(ctx.request) != ctx.api_key:
        return _text(403, "Forbidden")
    return await _library_route(ctx, library, parts[2:], method)


async def _library_route(ctx: Context, lib: Library, rest: list[str], method: str) -> Answer:
    if method == "POST" and rest in (["collections"], ["items"]):
        return await _write(ctx, lib, rest[0])
    if method in ("PATCH", "PUT") and len(rest) == 2 and rest[0] == "items":
        return await _patch_item(ctx, lib, rest[1].upper())
    if method in ("PATCH", "PUT") and len(rest) == 2 and rest[0] == "collections":
        return await _update_collection(ctx, lib, rest[1].upper())
    if method == "DELETE" and len(rest) == 2 and rest[0] == "collections":
        return _delete_collection(ctx, lib, rest[1].upper())
    if method != "GET":
        return _text(405, "Method not allowed")
    since = ctx.request.headers.get("If-Modified-Since-Version", "")
    if since.isdigit() and lib.version <= int(since):
        return Answer(304, b"", None, (("Last-Modified-Version", str(lib.version)),))
    if rest == ["deleted"]:
        return _json(lib.deleted_since(_int(ctx.params.get("since"), 0)), lib)
    tag = rest[-1] if len(rest) > 2 or rest[-1] == "top" else ""
    reader = _READERS.get((rest[0], len(rest), tag))
    return reader(ctx, lib, rest) if reader else _text(404, "Not found")


# --- reads ------------------------------------------------------------------------------


def _collections(ctx: Context, lib: Library, rest: list[str]) -> Answer:
    found = list(lib.collections.values())
    if rest[-1] == "top":
        found = [c for c in found if not c["parentCollection"]]
    return _listing(ctx, lib, "collection", found)


def _collection(ctx: Context, lib: Library, rest: list[str]) -> Answer:
    data = lib.collections.get(rest[1].upper())
    return _json(lib.object_json("collection", data, ctx.base), lib) if data else _text(404, "Collection not found")


def _subcollections(ctx: Context, lib: Library, rest: list[str]) -> Answer:
    key = rest[1].upper()
    if key not in lib.collections:
        return _text(404, "Collection not found")
    return _listing(ctx, lib, "collection", [c for c in lib.collections.values() if c["parentCollection"] == key])


def _collection_items(ctx: Context, lib: Library, rest: list[str]) -> Answer:
    key = rest[1].upper()
    if key not in lib.collections:
        return _text(404, "Collection not found")
    found = [i for i in lib.items.values() if key in i.get("collections", [])]
    return _listing(ctx, lib, "item", _top(found) if rest[-1] == "top" else found)


def _items(ctx: Context, lib: Library, rest: list[str]) -> Answer:
    found = list(lib.items.values())
    return _listing(ctx, lib, "item", _top(found) if rest[-1] == "top" else found)


def _item(ctx: Context, lib: Library, rest: list[str]) -> Answer:
    data = lib.items.get(rest[1].upper())
    return _json(lib.object_json("item", data, ctx.base), lib) if data else _text(404, "Item not found")


def _children(ctx: Context, lib: Library, rest: list[str]) -> Answer:
    key = rest[1].upper()
    if key not in lib.items:
        return _text(404, "Item not found")
    return _listing(ctx, lib, "item", [i for i in lib.items.values() if i.get("parentItem") == key])


_READERS: dict[tuple[str, int, str], Callable[[Context, Library, list[str]], Answer]] = {
    ("collections", 1, ""): _collections,
    ("collections", 2, "top"): _collections,
    ("collections", 2, ""): _collection,
    ("collections", 3, "collections"): _subcollections,
    ("collections", 3, "items"): _collection_items,
    ("collections", 4, "top"): _collection_items,
    ("items", 1, ""): _items,
    ("items", 2, "top"): _items,
    ("items", 2, ""): _item,
    ("items", 3, "children"): _children,
}


def _top(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if not i.get("parentItem")]


def _listing(ctx: Context, lib: Library, kind: str, objects: list[dict[str, Any]]) -> Answer:
    params = ctx.params
    limit, start = _int(params.get("limit"), DEFAULT_LIMIT), _int(params.get("start"), 0)
    if limit < 0 or start < 0:
        return _text(400, "Invalid 'limit' or 'start' value")
    found = [o for o in objects if o["version"] > _int(params.get("since"), 0)]
    if kind == "item":
        found = _filtered(found, params)
    fmt = params.get("format", "json")
    if fmt == "versions":
        return _json({o["key"]: o["version"] for o in found}, lib)
    if fmt == "keys":
        return Answer(200, "\n".join(o["key"] for o in found).encode(), "text/plain",
                      (("Last-Modified-Version", str(lib.version)),))
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    page = [lib.object_json(kind, o, ctx.base) for o in found[start : start + limit]]
    headers = {"Total-Results": str(len(found)), "Link": _links(ctx, start, limit, len(found), lib)}
    return _json(page, lib).with_headers(headers)


def _filtered(items: list[dict[str, Any]], params: Mapping[str, str]) -> list[dict[str, Any]]:
    if params.get("includeTrashed") not in ("1", "true"):
        items = [i for i in items if not i.get("deleted")]
    wanted = params.get("itemType", "")
    if wanted.startswith("-"):
        items = [i for i in items if i.get("itemType") not in wanted[1:].split("||")]
    elif wanted:
        items = [i for i in items if i.get("itemType") in wanted.split("||")]
    q = params.get("q", "").lower()
    if q:
        items = [i for i in items if q in json.dumps([i.get("title", ""), i.get("creators", [])]).lower()]
    return items


def _links(ctx: Context, start: int, limit: int, total: int, lib: Library) -> str:
    url = ctx.request.url
    links = []
    if start + limit < total:
        links.append(f'<{url.update_query(start=start + limit, limit=limit)}>; rel="next"')
    if total > limit:
        last = (total - 1) // limit * limit
        links.append(f'<{url.update_query(start=last, limit=limit)}>; rel="last"')
    links.append(f'<https://www.zotero.org/{lib.path}/items>; rel="alternate"')
    return ", ".join(links)


# --- writes -----------------------------------------------------------------------------


async def _write(ctx: Context, lib: Library, kind: str) -> Answer:
    refused = _preconditions(ctx, lib)
    if refused is not None:
        return refused
    try:
        objects = await ctx.request.json()
    except ValueError:
        return _text(400, "Invalid JSON")
    if not isinstance(objects, list):
        return _text(400, "Uploaded data must be a JSON array")
    if len(objects) > MAX_WRITE:
        return _text(413, f"Only {MAX_WRITE} objects can be saved in a single request")
    check = _collection_problem if kind == "collections" else _item_problem
    problems = {i: check(lib, o) for i, o in enumerate(objects)}
    version = lib.bump() if any(p is None for p in problems.values()) else lib.version
    result: dict[str, dict[str, Any]] = {"successful": {}, "success": {}, "unchanged": {}, "failed": {}}
    for i, obj in enumerate(objects):
        problem = problems[i]
        if problem is not None:
            result["failed"][str(i)] = {"key": obj.get("key", "") if isinstance(obj, dict) else "", **problem}
            continue
        stored = lib.put_collection(obj, version) if kind == "collections" else lib.put_item(obj, version)
        result["successful"][str(i)] = lib.object_json(kind[:-1], stored, ctx.base)
        result["success"][str(i)] = stored["key"]
    token = ctx.request.headers.get("Zotero-Write-Token")
    if token:
        lib.write_tokens.add(token)
    return _json(result, lib)


def _preconditions(ctx: Context, lib: Library) -> Answer | None:
    token = ctx.request.headers.get("Zotero-Write-Token")
    if token and token in lib.write_tokens:
        return _text(412, "Write token already used")
    expected = ctx.request.headers.get("If-Unmodified-Since-Version", "")
    if expected.isdigit() and int(expected) != lib.version:
        return _text(412, f"Library has been modified since specified version (expected {expected}, found {lib.version})")
    return None


def _collection_problem(lib: Library, obj: Any) -> dict[str, Any] | None:
    if not isinstance(obj, dict) or not str(obj.get("name", "")).strip():
        return {"code": 400, "message": "Collection name cannot be empty"}
    parent = obj.get("parentCollection")
    if parent and parent not in lib.collections:
        return {"code": 409, "message": f"Parent collection {parent} not found"}
    return None


def _item_problem(lib: Library, obj: Any) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return {"code": 400, "message": "Item must be an object"}
    invalid = templates.invalid_field(obj)
    if invalid:
        return {"code": 400, "message": invalid}
    missing = [c for c in obj.get("collections", []) if c not in lib.collections]
    if missing:
        return {"code": 409, "message": f"Collection {missing[0]} doesn't exist"}
    return None


async def _changes(ctx: Context, current: dict[str, Any], what: str) -> dict[str, Any] | Answer:
    """The JSON object a write sends, or Zotero's refusal: not JSON, not an object, or a stale version."""
    try:
        changes = await ctx.request.json()
    except ValueError:
        return _text(400, "Invalid JSON")
    if not isinstance(changes, dict):
        return _text(400, "Uploaded data must be a JSON object")
    expected = ctx.request.headers.get("If-Unmodified-Since-Version") or str(changes.get("version", ""))
    if expected.isdigit() and int(expected) != current["version"]:
        return _text(412, f"{what} has been modified since specified version (expected {expected},"
                          f" found {current['version']})")
    return changes


async def _patch_item(ctx: Context, lib: Library, key: str) -> Answer:
    item = lib.items.get(key)
    if item is None:
        return _text(404, "Item not found")
    changes = await _changes(ctx, item, "Item")
    if isinstance(changes, Answer):
        return changes
    merged = {**item, **changes}
    problem = _item_problem(lib, merged)
    if problem is not None:
        return _text(problem["code"], problem["message"])
    lib.put_item(merged, lib.bump())
    return Answer(204, b"", None, (("Last-Modified-Version", str(lib.version)),))


async def _update_collection(ctx: Context, lib: Library, key: str) -> Answer:
    collection = lib.collections.get(key)
    if collection is None:
        return _text(404, "Collection not found")
    changes = await _changes(ctx, collection, "Collection")
    if isinstance(changes, Answer):
        return changes
    merged = {**collection, **{k: v for k, v in changes.items() if k in ("name", "parentCollection", "relations")}}
    problem = _collection_problem(lib, merged)
    if problem is not None:
        return _text(problem["code"], problem["message"])
    lib.put_collection(merged, lib.bump())
    return Answer(204, b"", None, (("Last-Modified-Version", str(lib.version)),))


def _delete_collection(ctx: Context, lib: Library, key: str) -> Answer:
    collection = lib.collections.get(key)
    if collection is None:
        return _text(404, "Collection not found")
    expected = ctx.request.headers.get("If-Unmodified-Since-Version", "")
    if expected.isdigit() and int(expected) not in (collection["version"], lib.version):
        return _text(412, f"Collection has been modified since specified version (expected {expected})")
    lib.delete_collection(key)
    return Answer(204, b"", None, (("Last-Modified-Version", str(lib.version)),))


# --- helpers ----------------------------------------------------------------------------


def _key_of(request: web.Request) -> str:
    bearer = request.headers.get("Authorization", "")
    if bearer.startswith("Bearer "):
        return bearer[7:].strip()
    return request.headers.get("Zotero-API-Key") or request.query.get("key", "")


def _json(payload: Any, lib: Library | None = None) -> Answer:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = (("Last-Modified-Version", str(lib.version)),) if lib else ()
    return Answer(200, body, JSON, headers)


def _text(status: int, message: str) -> Answer:
    return Answer(status, message.encode(), "text/plain")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return -1
