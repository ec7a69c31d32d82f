"""Misbehaviour on demand for the stand-ins: slow answers, error statuses, broken bodies.

A stand-in mounts :func:`install`'s two routes next to its own:

* ``POST /_control`` with ``{"delay": s, "status": 429, "retry_after": s, "body": "truncated" |
  "not-json", "headers": {...}, "times": n, "match": "POST /groups"}`` sets the fault for the
  next ``times`` requests (all of them when ``times`` is null) whose route starts with
  ``match`` (every route when it is null); an empty object ends it;
* ``GET /_stats`` counts requests per route (``{"requests": {...}, "last": {...}}``).

The stand-in's handler asks :meth:`Faults.take` for the fault of each request and lets it
delay, replace or spoil the real answer. On shutdown every delayed answer returns at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

JSON = "application/json"


@dataclass(frozen=True)
class Answer:
    """One HTTP answer before it becomes an aiohttp response (faults may still bend it)."""

    status: int
    body: bytes
    content_type: str | None = JSON
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> web.Response:
        """The aiohttp response, with the content type exactly as the real service writes it."""
        headers = dict(self.headers)
        if self.content_type:
            headers["Content-Type"] = self.content_type
        return web.Response(status=self.status, body=self.body, headers=headers)

    def with_headers(self, extra: dict[str, str]) -> Answer:
        """This answer with more headers (a fault's wins over the answer's own)."""
        if not extra:
            return self
        kept = tuple((k, v) for k, v in self.headers if k.lower() not in {e.lower() for e in extra})
        return dataclasses.replace(self, headers=kept + tuple(extra.items()))


@dataclass(frozen=True)
class Fault:
    """A misbehaviour the stand-in shows for the next ``times`` requests (None: until reset)."""

    delay: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    match: str | None = None

    @classmethod
    def parse(cls, data: Any) -> Fault | None:
        """A fault from ``POST /_control`` JSON; None when it asks for no misbehaviour.

        Raises:
            ValueError: a key is unknown or a value of the wrong kind.
        """
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; known: {sorted(known)}")
        fault = cls(**{k: v for k, v in data.items() if v is not None})
        fault.check()
        wanted = (fault.delay or fault.status or fault.body or fault.headers) and fault.times != 0
        return fault if wanted else None

    def check(self) -> None:
        """Raise ValueError when a field holds something the stand-in cannot act on."""
        numbers = (self.delay, self.retry_after or 0, self.times or 0)
        if not all(isinstance(n, int | float) and not isinstance(n, bool) and n >= 0 for n in numbers):
            raise ValueError("delay, retry_after and times must be non-negative numbers")
        if self.status is not None and not (
            isinstance(self.status, int) and not isinstance(self.status, bool) and 400 <= self.status <= 599
        ):
            raise ValueError("status must be an HTTP error status, 400-599")
        if self.body not in (None, "truncated", "not-json"):
            raise ValueError('body must be "truncated", "not-json" or null')
        if self.match is not None and not isinstance(self.match, str):
            raise ValueError("match must be a string: the start of the routes the fault applies to")
        if not isinstance(self.headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()
        ):
            raise ValueError("headers must be an object of strings")

    def spent(self) -> Fault | None:
        """This fault after one more request: None once its ``times`` are used up."""
        if self.times is None:
            return self
        return dataclasses.replace(self, times=self.times - 1) if self.times > 1 else None

    def error(self) -> Answer | None:
        """The error answer given instead of a real one, if this fault has a status."""
        if self.status is None:
            return None
        extra = (("Retry-After", f"{self.retry_after:g}"),) if self.retry_after is not None else ()
        return Answer(self.status, reason(self.status).encode(), "text/plain", extra).with_headers(self.headers)

    def spoil(self, answer: Answer) -> Answer:
        """The real answer with its body spoiled (and headers added) as this fault asks."""
        answer = answer.with_headers(self.headers)
        if self.body == "not-json":
            # What a proxy in front of an API tends to send while the API is down.
            page = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
            return Answer(200, page, "text/html;charset=utf-8", answer.headers)
        if self.body == "truncated":
            cut = len(answer.body) // 2
            while cut and answer.body[cut] & 0xC0 == 0x80:  # never split a UTF-8 character
                cut -= 1
            return dataclasses.replace(answer, body=answer.body[:cut])
        return answer


def reason(status: int) -> str:
    """The standard reason phrase of an HTTP status."""
    with contextlib.suppress(ValueError):
        return HTTPStatus(status).phrase
    return "Error"


@dataclass
class Faults:
    """A stand-in's fault in force and its request counts."""

    fault: Fault | None = None
    requests: Counter[str] = field(default_factory=Counter)
    last: dict[str, Any] = field(default_factory=dict)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def take(self, route: str, request: web.Request) -> Fault | None:
        """Count a request, spend one use of the fault in force, and serve its delay."""
        self.requests[route] += 1
        self.last = {"path": route, "params": [[k, v] for k, v in request.query.items()]}
        if self.fault is None or not route.startswith(self.fault.match or ""):
            return None
        fault, self.fault = self.fault, self.fault.spent()
        if fault and fault.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.released.wait(), fault.delay)
        return fault


FAULTS = web.AppKey("standin_faults", Faults)


def install(app: web.Application) -> Faults:
    """Add ``/_control`` and ``/_stats`` to a stand-in app; returns its fault state."""
    faults = Faults()
    app[FAULTS] = faults
    app.router.add_post("/_control", _control)
    app.router.add_get("/_stats", _stats)
    app.on_shutdown.append(_release_delayed)
    return faults


async def _control(request: web.Request) -> web.Response:
    try:
        fault = Fault.parse(await request.json())
    except (ValueError, TypeError) as e:
        return web.json_response({"error": str(e)}, status=400)
    request.app[FAULTS].fault = fault
    return web.json_response({"fault": dataclasses.asdict(fault) if fault else None})


async def _stats(request: web.Request) -> web.Response:
    faults = request.app[FAULTS]
    return web.json_response({"requests": dict(faults.requests), "last": faults.last})


async def _release_delayed(app: web.Application) -> None:
    # Delayed answers return at once on shutdown, so stopping never waits out a delay.
    app[FAULTS].released.set()
