"""What the Graph API stand-in knows, shared by :mod:`.graph`, :mod:`.graph_media` and :mod:`.graph_statuses`.

The state (recorded messages, media, faults to play back), the app key it is reached by, and
the Graph API's error answer. It imports none of the stand-in's endpoint modules, so they can
all import it.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from refbot.sandbox.graph_rules import GRAPH_ERRORS, digits
from refbot.sandbox.payloads import BusinessNumber


@dataclass(frozen=True)
class MediaFile:
    """One file in the stand-in's media store."""

    id: str
    data: bytes
    mime_type: str
    filename: str
    sha256: str


@dataclass
class Fault:
    """A failure the stand-in plays back for the next ``times`` sends."""

    status: int | None = None
    code: int | None = None
    times: int = 0
    delay: float = 0.0
    as_status: bool = False
    statuses_first: bool = False
    on: str = "messages"
    until: float | None = None  # when set, the fault plays for every send until this time, whatever ``times`` says


@dataclass
class GraphState:
    """What the stand-in knows and has recorded; reachable as ``app[GRAPH_STATE]``."""

    token: str
    app_secret: str
    business: BusinessNumber
    webhook_url: str = ""
    status_delay: float = 0.05
    messages: list[dict[str, Any]] = field(default_factory=list)
    fault: Fault = field(default_factory=Fault)
    session: aiohttp.ClientSession | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    media: dict[str, MediaFile] = field(default_factory=dict)
    templates: Mapping[tuple[str, str], int] | None = None
    statuses_first: bool = False
    retry_cap: float = 2.0  # longest pause between two deliveries of one status webhook
    retry_for: float = 3600.0  # Meta keeps trying for days; the stand-in gives up sooner
    clock: Callable[[], float] = time.time  # what time it is for faults that last a while (``for``)

    def sent_to(self, phone: str) -> list[dict[str, Any]]:
        """Recorded messages to one number (digits compared, so ``+62…`` matches ``62…``)."""
        wanted = digits(phone)
        return [m for m in self.messages if digits(m["to"]) == wanted]

    def take_fault(self, on: str = "messages") -> Fault | None:
        """The fault to play for this call, counting it down (or until its time is up)."""
        if self.fault.on != on:
            return None
        if self.fault.until is not None:
            if self.clock() >= self.fault.until:
                self.fault = Fault()
                return None
            return Fault(**asdict(self.fault))
        if self.fault.times <= 0:
            return None
        self.fault.times -= 1
        return Fault(**asdict(self.fault))


GRAPH_STATE = web.AppKey("graph_state", GraphState)


def graph_error_response(status: int, code: int | None, *, details: str = "") -> web.Response:
    """A Graph API error answer: ``{"error": {message, type, code, error_data, fbtrace_id}}``."""
    title, default_details = GRAPH_ERRORS.get(code or 0, ("An unknown error occurred", ""))
    error: dict[str, Any] = {
        "message": f"(#{code}) {title}" if code is not None else title,
        "type": "OAuthException",
        "fbtrace_id": "A" + secrets.token_urlsafe(16),
    }
    if code is not None:
        error["code"] = code
        error["error_data"] = {"messaging_product": "whatsapp", "details": details or default_details or title}
    return web.json_response({"error": error}, status=status)
