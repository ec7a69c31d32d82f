"""A Crossref REST API stand-in on loopback, for the demo and the tests.

It speaks Crossref's wire format — the ``status / message-type / message`` envelope, 400
``validation-failure`` bodies, ``Resource not found.`` 404s with Crossref's content types, and
the ``X-Rate-Limit-Limit`` / ``X-Rate-Limit-Interval`` headers on every answer — from one of
two data sets:

* **demo** (:mod:`.demo`): work items from a fixture (by default the bundled
  ``refbot/data/crossref_demo.json``) searched by term overlap on title, subjects and abstract,
  honouring ``filter``, ``select``, ``rows``, ``offset``, ``sort`` and ``cursor`` on ``/works``,
  ``/works/{doi}``, ``/journals``, ``/journals/{issn}`` and ``/journals/{issn}/works``
  (``facet`` is accepted but counts nothing);
* **replay** (:mod:`.replay`): recorded real answers listed in a ``manifest.json``, served for
  requests whose path and parameters match a recorded URL (order and ``mailto`` ignored).

``POST /_control`` injects faults (delay, error status, Retry-After, extra headers, broken
body, for N requests); ``GET /_stats`` counts requests per path (see
:mod:`refbot.sandbox.faults`). Every route is resolved relative to where the app is mounted,
so ``http://host:port/sandbox/crossref`` works as a base URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from aiohttp import web

from refbot.sandbox.crossref.demo import DemoWorks
from refbot.sandbox.crossref.replay import Replay
from refbot.sandbox.faults import FAULTS, Answer, Fault, install

# What Crossref announces on every answer (its public pool, at the time of writing).
RATE_LIMIT_HEADERS = {"X-Rate-Limit-Limit": "50", "X-Rate-Limit-Interval": "1s"}


class Responder(Protocol):
    """Demo or replay: what answers Crossref's own routes."""

    async def answer(self, path: str, params: Mapping[str, str]) -> Answer: ...


RESPONDER = web.AppKey("crossref_responder", Responder)


def create_crossref_standin(fixture: str | Path | None = None, replay_dir: str | Path | None = None) -> web.Application:
    """Build the stand-in app, in demo mode (default) or replay mode.

    Args:
        fixture: a JSON file of work items; None: the bundled demo fixture.
        replay_dir: a directory with ``manifest.json`` and recorded bodies; replay mode.

    Raises:
        ValueError: both a fixture and a replay directory were given, or the fixture holds no items.
    """
    if fixture is not None and replay_dir is not None:
        raise ValueError("give a fixture or a replay directory, not both")
    responder: Responder = Replay.load(replay_dir) if replay_dir is not None else DemoWorks.load(fixture)
    app = web.Application()
    app[RESPONDER] = responder
    install(app)
    app.router.add_get("/{tail:.*}", _crossref)
    return app


async def _crossref(request: web.Request) -> web.Response:
    path = "/" + request.match_info["tail"]
    fault = await request.app[FAULTS].take(path, request)
    error = fault.error() if fault else None
    if error is not None:
        return error.with_headers({**RATE_LIMIT_HEADERS, **(fault.headers if fault else {})}).response()
    answer = (await request.app[RESPONDER].answer(path, request.query)).with_headers(RATE_LIMIT_HEADERS)
    return (fault.spoil(answer) if fault else answer).response()


__all__ = ["Answer", "DemoWorks", "Fault", "Replay", "create_crossref_standin"]
