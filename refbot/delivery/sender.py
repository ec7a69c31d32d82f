"""The sender: outbox rows out through the channel, in order per person, within WhatsApp's rules.

- One person's messages go out in the order they were queued (a draft's text before its
  buttons); different people's go out side by side.
- At most ``whatsapp.messages_per_second`` leave the library's number.
- Transient failures (rate limits, 5xx, no connection) are retried with exponential backoff
  and full jitter; permanent ones are marked failed and never retried.
- A send whose outcome is unknown (a timeout or a dropped connection after the request went
  out, or a crash mid-send) is *unsure*, not retried: WhatsApp may have taken it. Each send
  carries its outbox row's id as callback data, which WhatsApp echoes in the message's status
  webhooks, so a status settles the row. Only when none comes within
  ``whatsapp.unsure_wait_seconds`` is it sent again (at least once beats never).
- Outside a person's 24-hour window a message is held (never sent as free text) and, when a
  template is configured, the template goes out instead; the held messages follow as soon as
  the person writes again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from refbot.config import Settings
from refbot.delivery.render import mask_phone
from refbot.errors import ChannelError, MessageRefused, SendInDoubt
from refbot.models import OutgoingMessage, Template
from refbot.ports import Channel
from refbot.store import WINDOW_SHUT, OutboxRow, Store

log = logging.getLogger(__name__)

WINDOW = 24 * 3600.0


class RateLimit:
    """A token bucket: on average ``rate`` acquisitions per second, bursts up to ``rate``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(rate, 0.001)
        self._tokens = self.rate
        self._clock = clock
        self._last = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more message may leave."""
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self.rate, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


class Sender:
    """Sends what the outbox holds; one call of :meth:`send_due` sends one batch."""

    def __init__(self, store: Store, channel: Channel, settings: Settings) -> None:
        self.store = store
        self.channel = channel
        self.settings = settings
        self.limit = RateLimit(settings.whatsapp.messages_per_second)

    async def send_due(self, batch: int = 50) -> int:
        """Send the messages that are due; returns how many rows were claimed."""
        rows = await self.store.claim_outbox(limit=batch, unsure_wait=self.settings.whatsapp.unsure_wait_seconds)
        by_person: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_person.setdefault(row.message.to, []).append(row)
        await asyncio.gather(*(self._send_in_order(queue) for queue in by_person.values()))
        return len(rows)

    async def _send_in_order(self, queue: list[OutboxRow]) -> None:
        for row in queue:
            await self.send_one(row)

    async def send_one(self, row: OutboxRow) -> None:
        """Send one row and record what happened."""
        if row.in_doubt and not await self._send_again(row):
            return
        if row.message.template is None and await self._window_shut(row.message.to):
            await self.store.hold(row, f"{WINDOW_SHUT}: the 24-hour window is shut")
            return
        await self.limit.acquire()
        await self.store.mark_sending(row)
        try:
            wamid = await self.channel.send(row.message, callback_data=row.callback_data)
        except SendInDoubt as e:
            settled = await self.store.mark_unsure(row, str(e))
            if not settled:
                log.warning("send %s unsure (%s); waiting up to %g s for WhatsApp to say whether it arrived",
                            _safe(row.idem_key), e, self.settings.whatsapp.unsure_wait_seconds)
            return
        except MessageRefused as e:  # the channel's rules forbid it: retrying will not help
            await self.store.mark_unsent(row, str(e), None)
            log.error("send %s refused before sending: %s", _safe(row.idem_key), e)
            return
        except ChannelError as e:
            await self._failed(row, e)
            return
        await self.store.mark_sent(row, wamid)

    async def _failed(self, row: OutboxRow, e: ChannelError) -> None:
        if e.code == int(WINDOW_SHUT):
            await self.store.hold(row, str(e))
            return
        retry = e.transient and row.attempts < self.settings.whatsapp.max_attempts
        retry_at = self.store.clock() + backoff(row.attempts) if retry else None
        await self.store.mark_unsent(row, str(e), retry_at)
        log.warning("send %s failed (%s)%s", _safe(row.idem_key), e, "; will retry" if retry else "; gave up")

    async def _send_again(self, row: OutboxRow) -> bool:
        """Whether a row no status settled in time is sent again (else it is marked failed)."""
        wait = self.settings.whatsapp.unsure_wait_seconds
        if row.attempts > self.settings.whatsapp.max_attempts:
            await self.store.mark_unsent(row, f"no word from WhatsApp within {wait:g} s of the last try", None)
            log.error("send %s: no status came for its last try; gave up", _safe(row.idem_key))
            return False
        log.warning("send %s: no status within %g s says whether WhatsApp took it; sending it again, "
                    "which may deliver it twice (at-least-once fallback)", _safe(row.idem_key), wait)
        return True

    async def _window_shut(self, phone: str) -> bool:
        # Only when a template can take the message's place do we hold it up front; without
        # one, the Cloud API's own verdict (131047) decides, so nothing waits needlessly.
        if not self.settings.whatsapp.window_template:
            return False
        last = await self.store.last_inbound(phone)
        return last is not None and self.store.clock() - last > WINDOW

    async def queue_templates(self) -> int:
        """Queue the configured template once for everyone with held messages; returns how many."""
        s = self.settings.whatsapp
        if not s.window_template:
            return 0
        queued = 0
        for phone, last in await self.store.held_without_template():
            message = OutgoingMessage(to=phone, text="", template=Template(s.window_template, s.window_template_language))
            async with self.store.tx() as db:
                queued += await self.store.enqueue(db, f"template:{phone}:{int(last)}", message)
        return queued


def backoff(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with full jitter."""
    return random.uniform(0, min(cap, base * 2**attempt))


def _safe(key: str) -> str:
    # Idempotency keys carry librarians' numbers; logs get them masked.
    return ":".join(mask_phone(part) if part.isdigit() and len(part) > 8 else part for part in key.split(":"))
