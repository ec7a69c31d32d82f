"""The desk's short answers to small talk, and to a service asked about in words that needs a code.

A greeting is answered with an invitation to write what the patron looks for (and MENU); thanks
or an "ok" with a short word — or with nothing when the desk wrote to the patron within
``desk.quiet_after_answer_minutes``: the patron is closing a conversation the desk just had, and
answering would only invite another "ok". A question about renewing, suggesting a book, linking
a card, a clearance letter, the language or erasure is answered with the exact code to send; a
question about opening hours with the timetable of ``desk.office_hours``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from refbot.config import Settings
from refbot.desk.hours import OfficeHours
from refbot.desk.replies import reply_once
from refbot.desk.smalltalk import Kind, Verdict
from refbot.models import InboxRow
from refbot.services.patrons import patron_language
from refbot.store import Store
from refbot.texts import t

log = logging.getLogger(__name__)

_KEYS = {Kind.GREETING: "smalltalk_greeting", Kind.THANKS: "smalltalk_thanks", Kind.ACK: "smalltalk_ack"}


@dataclass
class Courtesy:
    """Answers what :mod:`refbot.desk.smalltalk` found is not an information need."""

    store: Store
    settings: Settings
    hours: OfficeHours
    clock: Callable[[], float] = time.time

    async def answer(self, row: InboxRow, verdict: Verdict) -> None:
        """Reply once (or stay quiet after an answer) and finish the row (idempotent)."""
        sender = row.message.sender
        language = await patron_language(self.store, sender, self.settings.language.default, verdict.language)
        if verdict.kind in (Kind.THANKS, Kind.ACK) and await self.just_answered(sender):
            log.info("inbox row %d is %s right after an answer: no reply", row.id, verdict.kind.value)
            await self.store.finish_inbox(row.id)
            return
        if verdict.kind is Kind.HOURS:
            await reply_once(self.store, self.settings, row, "smalltalk_hours", language,
                             hours=timetable(self.hours, language), now=self._now_line(language))
        elif verdict.kind is Kind.HINT:
            await reply_once(self.store, self.settings, row, f"smalltalk_hint_{verdict.topic}", language)
        else:
            await reply_once(self.store, self.settings, row, _KEYS[verdict.kind], language)

    async def just_answered(self, phone: str) -> bool:
        """Whether the desk's newest message to ``phone`` is younger than ``desk.quiet_after_answer_minutes``."""
        window = self.settings.desk.quiet_after_answer_minutes * 60
        if window <= 0:
            return False
        last = await self.store.last_queued_to(phone)
        return last is not None and self.clock() - last <= window

    def _now_line(self, language: str) -> str:
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        if self.hours.is_open(now):
            span = self.hours.spans[now.astimezone(self.hours.zone).weekday()]
            return t(language, "smalltalk_open_now", closes=span[1].strftime("%H:%M"))
        when = self.hours.when_open(now, language)
        return t(language, "smalltalk_closed_now", when=when) if when else ""


def timetable(hours: OfficeHours, language: str) -> str:
    """The office hours in words, days with the same hours together: "Senin–Jumat 08:00–16:00; Sabtu 08:00–12:00"."""
    groups: list[tuple[int, int, tuple[dt.time, dt.time]]] = []
    for day in range(7):
        span = hours.spans.get(day)
        if span is None:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == span:
            groups[-1] = (groups[-1][0], day, span)
        else:
            groups.append((day, day, span))
    if not groups:
        return t(language, "smalltalk_no_hours")
    return "; ".join(_day_hours(first, last, span, language) for first, last, span in groups)


def _day_hours(first: int, last: int, span: tuple[dt.time, dt.time], language: str) -> str:
    days = t(language, f"weekday_{first}")
    if last != first:
        days = t(language, "smalltalk_day_range", first=days, last=t(language, f"weekday_{last}"))
    return t(language, "smalltalk_day_hours", days=days, opens=span[0].strftime("%H:%M"),
             closes=span[1].strftime("%H:%M"))
