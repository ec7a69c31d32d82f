"""The WhatsApp webhook: verify, store, answer 200 at once; the worker does the rest.

Meta delivers at least once and retries for days, so the handler's only jobs are to check
the signature over the raw bytes, commit each message as a row (its unique wamid absorbs
redeliveries) and return quickly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from refbot.models import IgnoredUpdate, InboundMessage, StatusUpdate
from refbot.ports import Channel
from refbot.render import mask_phone
from refbot.store import Store
from refbot.web.errors import error_response

log = logging.getLogger(__name__)


@dataclass
class WebhookHandler:
    """The two webhook routes, over a store and a channel."""

    store: Store
    channel: Channel
    verify_token: str
    on_inbound: Callable[[], None] = lambda: None

    async def verify(self, request: web.Request) -> web.StreamResponse:
        """Meta's subscription handshake: echo the challenge when the verify token matches."""
        q = request.query
        if self.verify_token and q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == self.verify_token:
            return web.Response(text=q.get("hub.challenge", ""))
        log.warning("webhook verification refused (mode=%r)", q.get("hub.mode"))
        return error_response(403, "verification_failed", "verify token does not match")

    async def receive(self, request: web.Request) -> web.StreamResponse:
        """Check the signature, store every update, answer 200."""
        body = await request.read()
        if not self.channel.verify_signature(body, request.headers.get("X-Hub-Signature-256", "")):
            log.warning("webhook refused: bad or missing signature from %s", request.remote)
            return error_response(401, "bad_signature", "X-Hub-Signature-256 does not match the body")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            log.warning("webhook refused: body is not JSON (%s)", e)
            return error_response(400, "malformed_body", "the body is not valid JSON")
        stored = 0
        for update in self.channel.parse_updates(payload):
            stored += await self._apply(update)
        if stored:
            self.on_inbound()
        return web.json_response({"ok": True})

    async def _apply(self, update: InboundMessage | StatusUpdate | IgnoredUpdate) -> int:
        if isinstance(update, InboundMessage):
            new = await self.store.record_inbound(update)
            if not new:
                log.info("duplicate delivery of %s ignored", update.wamid)
            return int(new)
        if isinstance(update, StatusUpdate):
            matched = await self.store.record_status(update)
            log.info("status %s for %s to %s%s", update.status, update.wamid, mask_phone(update.recipient),
                     "" if matched else " (no matching outbox row)")
            return 0
        log.info("webhook update ignored: %s %s", update.kind, update.detail[:200])
        return 0
