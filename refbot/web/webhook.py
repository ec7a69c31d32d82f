"""The WhatsApp webhook: verify, write down, answer 200 at once; the worker does the rest.

Meta delivers at least once, retries for days, and wants its 200 quickly. The handler checks
the signature over the raw bytes and that the body is JSON, appends the body to the webhook
journal (:class:`refbot.ports.Journal`: a file only this process writes beside a SQLite store,
so the append never waits behind the worker; a table every web node appends to, in groups, on
PostgreSQL) and answers. The worker parses and applies the journal
(:mod:`refbot.intake.applier`), where each message's unique wamid absorbs Meta's redeliveries.
A body the journal could not take (a full disk) gets a 500, and Meta delivers it again.

Meta batches many updates into one body, documented to be up to 3 MB ("Webhooks payloads can
be up to 3MB", the WhatsApp Cloud API webhooks overview, developers.facebook.com/docs/whatsapp/
cloud-api/webhooks). aiohttp's default cap of 1 MiB would refuse such a batch with a 413, and
Meta would redeliver it, refused each time, for days; so the webhook takes bodies up to
:data:`MAX_BODY_BYTES` (8 MiB: the documented figure with room to spare) and refuses larger
ones, which no Meta delivery is, with a 413 before anything is written down.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from refbot.errors import JournalError
from refbot.intake.routing import message_ids, split_by_number
from refbot.logs import request_context, request_id_for
from refbot.metrics import NO_METRICS, Metrics
from refbot.ports import Channel, Journal
from refbot.web.addresses import Network, client_address
from refbot.web.errors import error_response

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest webhook body taken: Meta documents up to 3 MB per delivery; this leaves room."""


@dataclass
class WebhookHandler:
    """The two webhook routes, over the libraries' journals and a channel (for the signature).

    ``journals`` has each library's journal by library id; ``numbers`` maps each library's
    WhatsApp phone number id to its id. Each change goes to the journal of the library whose
    number it came to (:func:`refbot.intake.routing.split_by_number`); a change for a number no
    library has is acknowledged, logged and handed to ``set_aside``, never answered. Without
    any number configured (one library), every body goes to that library whole.
    """

    journals: dict[str, Journal]
    channel: Channel
    verify_token: str
    numbers: dict[str, str] = field(default_factory=dict)
    on_inbound: Callable[[str], None] = lambda library: None
    set_aside: Callable[[list[str], bytes], Awaitable[None]] | None = None
    metrics: Metrics = NO_METRICS
    trusted_proxies: tuple[Network, ...] = ()

    async def verify(self, request: web.Request) -> web.StreamResponse:
        """Meta's subscription handshake: echo the challenge when the verify token matches."""
        q = request.query
        if self.verify_token and q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == self.verify_token:
            return web.Response(text=q.get("hub.challenge", ""))
        log.warning("webhook verification refused (mode=%r)", q.get("hub.mode"))
        return error_response(403, "verification_failed", "verify token does not match")

    async def receive(self, request: web.Request) -> web.StreamResponse:
        """Check the size, the signature and the JSON, write the body down, answer 200."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._too_large(request.content_length)
        try:
            # Per route: the rest of the app (the console's forms) keeps aiohttp's 1 MiB.
            body = await request.clone(client_max_size=MAX_BODY_BYTES).read()
        except web.HTTPRequestEntityTooLarge:  # a chunked body with no Content-Length
            return self._too_large(None)
        if not self._signed(body, request.headers.get("X-Hub-Signature-256", "")):
            log.warning("webhook refused: bad or missing signature from %s", client_address(request, self.trusted_proxies))
            self.metrics.webhook_refused("bad_signature")
            return error_response(401, "bad_signature", "X-Hub-Signature-256 does not match the body")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            log.warning("webhook refused: body is not JSON (%s)", e)
            self.metrics.webhook_refused("malformed_body")
            return error_response(400, "malformed_body", "the body is not valid JSON")
        bodies, unknown = self._route(payload, body)
        try:
            for library, part in bodies.items():
                await self.journals[library].append(part)
        except JournalError as e:
            log.error("webhook not written down, Meta will deliver it again: %s", e)
            self.metrics.webhook_refused("not_stored")
            return error_response(500, "not_stored", "the webhook could not be stored; deliver it again")
        self.metrics.webhook_received()
        _log_taken_in(payload, bodies)
        if unknown:
            log.warning("webhook for WhatsApp number(s) %s, which no library here has: not answered",
                        ", ".join(sorted(set(unknown))))
            self.metrics.webhook_refused("unknown_number", len(unknown))
            if self.set_aside is not None:
                await self.set_aside(unknown, body)
        for library in bodies:
            self.on_inbound(library)
        return web.json_response({"ok": True})

    def _too_large(self, size: int | None) -> web.Response:
        self.metrics.webhook_refused("body_too_large")
        return _too_large(size)

    def _route(self, payload: object, body: bytes) -> tuple[dict[str, bytes], list[str]]:
        """Each library's part of the body (the body itself when it is all one library's), and unknown numbers."""
        if not self.numbers:
            return {library: body for library in self.journals}, []
        split = split_by_number(payload, self.numbers)
        if len(split.bodies) == 1 and not split.unknown and len(self.journals) == 1:
            return {library: body for library in split.bodies}, []
        return {library: json.dumps(part, ensure_ascii=False).encode() for library, part in split.bodies.items()}, \
            split.unknown

    def _signed(self, body: bytes, header: str) -> bool:
        # A header that cannot even be compared (bytes that are not UTF-8 arrive as lone
        # surrogates) is a bad signature like any other: 401, never a 500.
        try:
            return self.channel.verify_signature(body, header)
        except (UnicodeError, ValueError, TypeError) as e:
            log.warning("webhook signature could not be checked: %s", type(e).__name__)
            return False


def _log_taken_in(payload: object, bodies: dict[str, bytes]) -> None:
    """One line per patron's message taken in, carrying its request id (statuses go unlogged: they are many)."""
    if not log.isEnabledFor(logging.INFO):
        return
    for wamid in message_ids(payload):
        with request_context(request_id_for(wamid)):
            log.info("message taken in for %s", ", ".join(bodies) or "no library")


def _too_large(size: int | None) -> web.Response:
    log.warning("webhook refused: body of %s bytes is over the %d-byte cap",
                size if size is not None else "more than that", MAX_BODY_BYTES)
    return error_response(413, "body_too_large", f"the body is over {MAX_BODY_BYTES} bytes")
