"""A Zotero Web API v3 stand-in on loopback: the routes pyzotero uses, with faults on demand.

Reads: ``/{users|groups}/{id}/collections`` (``/top``, ``/{key}``, ``/{key}/collections``,
``/{key}/items``, ``/{key}/items/top``), ``/items`` (``/top``, ``/{key}``, ``/{key}/children``)
and ``/deleted``, with ``since``, ``start``/``limit`` paging, ``format=json|versions|keys``,
``itemType`` and ``q``; answers carry ``Zotero-API-Version``, ``Last-Modified-Version``,
``Total-Results`` and ``Link`` (next, last, alternate) as the real API does, and honour
``If-Modified-Since-Version`` (304). Writes: ``POST …/collections`` and ``POST …/items`` (at
most 50 objects, ``Zotero-Write-Token`` used once, ``If-Unmodified-Since-Version``, per-object
``successful`` / ``failed``), ``PATCH …/items/{key}``, ``PUT``/``PATCH …/collections/{key}`` (a rename)
and ``DELETE …/collections/{key}``; ``GET /items/new?itemType=…`` hands
out templates. A key given to :func:`create_zotero_standin` is required as ``Zotero-API-Key``,
``Authorization: Bearer`` or ``?key=``.

``POST /_control`` and ``GET /_stats`` (per ``"METHOD /path"``) come from
:mod:`refbot.sandbox.faults`: slow answers, 429 with ``Retry-After``, 500, truncated or
non-JSON bodies. The library lives in memory (:class:`Library`): tests read and change it
through ``app[ZOTERO].libraries``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from aiohttp import web

from refbot.sandbox.faults import FAULTS, Answer, install
from refbot.sandbox.zotero.library import Library
from refbot.sandbox.zotero.routes import API_HEADERS, Context, route


@dataclass
class ZoteroStandin:
    """The libraries served, by path ("groups/2501"), and the API key they require ("" for none)."""

    libraries: dict[str, Library]
    api_key: str = ""


ZOTERO = web.AppKey("zotero_standin", ZoteroStandin)


def create_zotero_standin(
    fixture: str | Path | None = None, *, libraries: Iterable[Library] = (), api_key: str = ""
) -> web.Application:
    """Build the stand-in app.

    Args:
        fixture: a library as JSON (``library``, ``collections``, ``items``); None: the bundled demo.
        libraries: libraries to serve instead of a fixture.
        api_key: the key requests must carry; empty: the libraries are public.
    """
    served = list(libraries)
    if not served and fixture is not None:
        served = [Library.load(fixture)]
    if not served:
        demo = resources.files("refbot") / "data" / "zotero_demo.json"
        served = [Library.from_fixture(json.loads(demo.read_text("utf-8")))]
    app = web.Application()
    app[ZOTERO] = ZoteroStandin({lib.path: lib for lib in served}, api_key)
    install(app)
    app.router.add_route("*", "/{tail:.*}", _zotero)
    return app


async def _zotero(request: web.Request) -> web.Response:
    state = request.app[ZOTERO]
    path = "/" + request.match_info["tail"]
    fault = await request.app[FAULTS].take(f"{request.method} {path}", request)
    error = fault.error() if fault else None
    if error is not None:
        return error.with_headers(API_HEADERS).response()
    prefix = request.path[: len(request.path) - len(path)] if request.path.endswith(path) else ""
    context = Context(request, path, f"{request.url.origin()}{prefix}", state.libraries, state.api_key)
    answer: Answer = (await route(context)).with_headers(API_HEADERS)
    return (fault.spoil(answer) if fault else answer).response()


__all__ = ["ZOTERO", "Library", "ZoteroStandin", "create_zotero_standin"]
