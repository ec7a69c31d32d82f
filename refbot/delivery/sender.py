"""The sender: outbox rows out through the channel, in order per person, within WhatsApp's rules.

- **Order.** One person's messages go out in the order they were queued (a draft's text before
  its buttons); different people's go out side by side. A message never overtakes an earlier
  one to the same person that may still arrive: while that one is sending, unsure, or waiting
  for a retry, the later ones wait too. The store enforces this where rows are claimed
  (:meth:`~refbot.store.outbox.OutboxStore.claim_outbox`), so it holds across worker
  processes; within a batch, the rows behind one that was not sent are put back. Held and
  failed rows do not block: a held list must not stop the template that asks the person to
  write again, and a failed row will never arrive. Held messages are released, in their
  order, when the person writes again.
- At most ``whatsapp.messages_per_second`` leave the library's number, shared among the live
  workers (each takes its part, :meth:`RateLimit.set_share`).
- **Transient failures** (429, 5xx, timeouts before the request left, no connection, Meta's
  temporary error codes) are retried with exponential backoff and full jitter, capped at five
  minutes, for as long as the message is still useful: ``whatsapp.retry_for_minutes`` after it
  was queued (a free-form message whose recipient's 24-hour window shuts meanwhile is held,
  as always, not sent). **Permanent failures** are marked failed at once with WhatsApp's reason
  in the row's ``error``; when the message was part of a patron's list or reply (an
  idempotency key with ``:patron:``), the librarians get one WhatsApp message saying so.
- **Exactly once.** A send whose outcome is unknown (a timeout or a dropped connection after
  the request went out, or a crash mid-send) is *unsure*, not retried: WhatsApp may have taken
  it. Each send carries its outbox row's id as callback data, which WhatsApp echoes in the
  message's status webhooks, so a status settles the row, however late it comes. The row is
  sent again only on evidence that WhatsApp never took it: after ``whatsapp.unsure_wait_seconds``
  a send that left *later* has been reported on while this one has not. Without evidence it
  waits ``whatsapp.unsure_give_up_minutes`` before it is sent again (at least once beats
  never); such resends are logged and counted (``store.resends_without_evidence(since)``).
  A row is sent again in doubt at most ``whatsapp.max_attempts`` times.
- **Quiet nights.** With quiet hours (:mod:`refbot.delivery.quiet`; the worker passes them when
  ``desk.hold_librarian_notices`` is on), a librarian's notice of a new draft or service request
  that comes due while the desk is closed is kept ``quiet``, not sent; the morning digest
  (:mod:`refbot.delivery.digest`) takes its place.
- Outside a person's 24-hour window a message is held (never sent as free text) and, when a
  template is configured, the template goes out instead; the held messages follow as soon as
  the person writes again. When an approved list is held, the librarian who approved it (every
  librarian, for a console approval) is told once that it waits for the patron, and once more
  when it finally went out; a held list that then fails is told of as every failure is.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from refbot.config import Librarian, Settings
from refbot.decisions import fanout
from refbot.delivery.quiet import QuietHours
from refbot.delivery.render import mask_phone
from refbot.errors import ChannelError, MessageRefused, SendInDoubt
from refbot.logs import request_context, request_id_for
from refbot.metrics import NO_METRICS, LibraryMetrics
from refbot.models import DraftStatus, OutgoingMessage, Template
from refbot.pacing import TokenBucket
from refbot.ports import Channel
from refbot.store import WINDOW_SHUT, OutboxRow, Store
from refbot.store.held import held_lists_untold
from refbot.texts import t

log = logging.getLogger(__name__)

WINDOW = 24 * 3600.0


class RateLimit(TokenBucket):
    """WhatsApp's pace: ``rate`` messages a second from the library's number, shared out among the workers sending from it."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(rate, 1.0, clock)


class Sender:
    """Sends what the outbox holds; one call of :meth:`send_due` sends one batch."""

    def __init__(self, store: Store, channel: Channel, settings: Settings, worker: str = "",
                 metrics: LibraryMetrics | None = None, quiet: QuietHours | None = None) -> None:
        self.store = store
        self.quiet = quiet  # None: librarians' notices go out day and night
        self.channel = channel
        self.settings = settings
        self.worker = worker  # claims carry its name, so another worker can tell whether its sends are orphaned
        self.limit = RateLimit(settings.whatsapp.messages_per_second)
        self.metrics = metrics or NO_METRICS.library(settings.library_id)

    async def send_due(self, batch: int = 50) -> int:
        """Send the messages that are due; returns how many rows were claimed."""
        w = self.settings.whatsapp
        rows = await self.store.claim_outbox(limit=batch, unsure_wait=w.unsure_wait_seconds,
                                             unsure_give_up=w.unsure_give_up_minutes * 60, worker=self.worker)
        by_person: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_person.setdefault(row.message.to, []).append(row)
        await asyncio.gather(*(self._send_in_order(queue) for queue in by_person.values()))
        return len(rows)

    async def _send_in_order(self, queue: list[OutboxRow]) -> None:
        for n, row in enumerate(queue):
            if not await self.send_one(row):
                # It may still arrive (unsure) or goes again later: nothing may overtake it.
                await self.store.release(queue[n + 1:])
                return

    async def send_one(self, row: OutboxRow) -> bool:
        """Send one row and record what happened; whether later messages to its recipient may go.

        False when the row may still arrive or will be tried again (unsure, or a retry is
        due later); True when it was sent, held, or failed for good. Its log lines carry the
        request id of the patron's message it answers.
        """
        with request_context(await self._request_id(row)):
            return await self._send_one(row)

    async def _request_id(self, row: OutboxRow) -> str:
        """The request id of the patron's message the row answers ('' for one that answers none)."""
        kind, _, rest = row.idem_key.partition(":")
        number = rest.split(":", 1)[0]
        named = {"ack": "request_id", "reply": "inbox_id", "svc-reply": "inbox_id", "svc": "service_request_id"}
        if row.draft_id is not None:
            wamid = await self.store.origin_wamid(draft_id=row.draft_id)
        elif kind in named and number.isdigit():
            wamid = await self.store.origin_wamid(**{named[kind]: int(number)})
        else:
            return ""
        return request_id_for(wamid) if wamid else ""

    async def _send_one(self, row: OutboxRow) -> bool:
        if row.in_doubt and not await self._send_again(row):
            return True
        if self.quiet is not None and self.quiet.holds(row.idem_key, self.store.clock()):
            await self.store.keep_quiet(row)
            log.info("send %s kept quiet until the desk opens (morning digest)", _safe(row.idem_key))
            return True
        if row.message.template is None and await self._window_shut(row.message.to):
            await self._hold(row, f"{WINDOW_SHUT}: the 24-hour window is shut")
            return True
        await self.limit.acquire()
        await self.store.mark_sending(row)
        try:
            wamid = await self.channel.send(row.message, callback_data=row.callback_data)
        except SendInDoubt as e:
            settled = await self.store.mark_unsure(row, str(e))
            self.metrics.send("sent" if settled else "unsure")
            if not settled:
                log.warning("send %s unsure (%s); waiting for WhatsApp to say whether it arrived",
                            _safe(row.idem_key), e)
            return settled
        except MessageRefused as e:  # the channel's rules forbid it: retrying will not help
            await self._give_up(row, str(e))
            log.error("send %s refused before sending: %s", _safe(row.idem_key), e)
            return True
        except ChannelError as e:
            return await self._failed(row, e)
        await self.store.mark_sent(row, wamid)
        self.metrics.send("sent")
        log.info("send %s went out (attempt %d)", _safe(row.idem_key), row.attempts)
        if row.draft_id is not None and ":patron:" in row.idem_key and row.attempts > 1:
            await self._tell_released(row.draft_id)  # a held list is sent again, so attempts > 1
        return True

    async def _hold(self, row: OutboxRow, reason: str) -> None:
        await self.store.hold(row, reason)
        self.metrics.send("held")
        log.info("send %s held until the patron writes again (24-hour window shut)", _safe(row.idem_key))
        if row.draft_id is not None and ":patron:" in row.idem_key:
            await self._tell_held(row.draft_id)

    async def report_held(self, within: float = 86400.0) -> int:
        """Tell the librarians of each approved list held in the last ``within`` seconds not told of yet.

        The sender tells of the lists it holds itself; these are the ones a status webhook held
        (WhatsApp took the send, then refused it for the shut window).
        """
        told = 0
        for draft_id in await held_lists_untold(self.store, self.store.clock() - within):
            told += await self._tell_held(draft_id)
        return told

    async def _tell_held(self, draft_id: int) -> int:
        """Once per draft: its approved list waits for the patron to write again."""
        text = t(self.settings.language.default, "list_held", id=draft_id)
        approver = await self._approver(draft_id)  # read before the write transaction, which holds the writer
        async with self.store.tx() as db:
            told = await fanout.to_librarians(self.store, db, approver, f"held:{draft_id}",
                                              [OutgoingMessage(to="", text=text)], draft_id=draft_id)
            if told:
                await self.store.add_event(db, "sender", "list_held", f"draft:{draft_id}", {})
        return told

    async def _tell_released(self, draft_id: int) -> None:
        """Once per draft told of as held: its list has now gone out whole."""
        draft = await self.store.get_draft(draft_id)
        kinds = {e["kind"] for e in await self.store.events(f"draft:{draft_id}")}
        if draft is None or draft.status is not DraftStatus.SENT or "list_held" not in kinds:
            return
        text = t(self.settings.language.default, "list_released", id=draft_id)
        approver = await self._approver(draft_id)
        async with self.store.tx() as db:
            await fanout.to_librarians(self.store, db, approver, f"held-sent:{draft_id}",
                                       [OutgoingMessage(to="", text=text)], draft_id=draft_id)

    async def _approver(self, draft_id: int) -> tuple[Librarian, ...]:
        """The WhatsApp librarian who approved the draft; every librarian when it was approved elsewhere."""
        actor = await self.store.draft_decided_by(draft_id)
        approver = tuple(lib for lib in self.settings.librarians if lib.phone == actor)
        return approver or self.settings.librarians

    async def _failed(self, row: OutboxRow, e: ChannelError) -> bool:
        if e.code == int(WINDOW_SHUT):
            await self._hold(row, str(e))
            return True
        now = self.store.clock()
        useful_until = row.created_at + self.settings.whatsapp.retry_for_minutes * 60
        if e.transient and now < useful_until:
            retry_at = min(now + backoff(row.attempts - 1), useful_until)
            await self.store.mark_unsent(row, str(e), retry_at)
            self.metrics.send("retry")
            log.warning("send %s failed (%s); will retry in %.0f s", _safe(row.idem_key), e, retry_at - now)
            return False
        reason = str(e) if not e.transient else f"{e} (still failing {self.settings.whatsapp.retry_for_minutes:g} minutes after it was queued)"
        await self._give_up(row, reason)
        log.error("send %s failed for good: %s", _safe(row.idem_key), reason)
        return True

    async def _give_up(self, row: OutboxRow, reason: str) -> None:
        """Mark a row failed for good with ``reason``, and tell the librarians if a patron misses out."""
        await self.store.mark_unsent(row, reason, None)
        self.metrics.send("failed")
        await self.report_failures()

    async def report_failures(self, within: float = 86400.0) -> int:
        """Tell the librarians, once per row, of each patron's message that failed for good
        in the last ``within`` seconds (those reported by a status webhook too), and of lists
        held for a shut window (:meth:`report_held`); returns how many messages were queued."""
        told = await self.report_held(within)  # the chores' one call for lists that did not arrive
        language = self.settings.language.default
        for row in await self.store.failed_patron_rows(self.store.clock() - within):
            what = row["idem_key"].split(":", 2)
            key = "send_failed_draft" if what[0] == "draft" else "send_failed_request"
            number = row["draft_id"] if row["draft_id"] is not None else what[1]
            text = t(language, key, id=number, reason=row["error"] or "?")
            async with self.store.tx() as db:
                told += await fanout.to_librarians(self.store, db, self.settings.librarians,
                                                   f"send-failed:{row['id']}", [OutgoingMessage(to="", text=text)])
        return told

    async def _send_again(self, row: OutboxRow) -> bool:
        """Whether a row in doubt is sent again (else it is marked failed)."""
        w = self.settings.whatsapp
        if row.doubts > w.max_attempts or self.store.clock() >= row.created_at + w.retry_for_minutes * 60:
            await self._give_up(row, "no word from WhatsApp whether the last try arrived")
            log.error("send %s: no status came for its last try; gave up", _safe(row.idem_key))
            return False
        await self.store.note_resend(row)
        if row.evidence:
            log.warning("send %s: no status came, but later sends were reported on; sending it again",
                        _safe(row.idem_key))
        else:
            log.warning("send %s: no word from WhatsApp in %g minutes and no evidence either way; sending it "
                        "again, which may deliver it twice (at-least-once fallback)", _safe(row.idem_key),
                        w.unsure_give_up_minutes)
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
    """Seconds to wait before attempt ``attempt + 1``: exponential with full jitter, at most ``cap``."""
    return random.uniform(0, min(cap, base * 2 ** min(max(attempt, 0), 32)))


def _safe(key: str) -> str:
    # Idempotency keys carry librarians' numbers; logs get them masked.
    return ":".join(mask_phone(part) if part.isdigit() and len(part) > 8 else part for part in key.split(":"))
