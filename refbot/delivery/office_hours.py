"""Office hours as a timetable: when a librarian is at the desk, and when their morning digest goes.

The sender needs them to keep librarians' phones quiet at night (:mod:`refbot.delivery.quiet`),
the desk to tell a patron when to expect an answer; the words a patron reads are the desk's
(:mod:`refbot.desk.hours`, which builds on this class). Times are in ``desk.timezone``; a date in
``desk.holidays`` is closed all day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from refbot.config import DeskSettings
from refbot.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AT_OPENING = "opening"
"""``desk.digest_at`` for a morning digest at the moment the desk opens."""
_SPEC = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class OfficeHours:
    """Opening hours per weekday (0 = Monday) in the library's time zone, closed dates, and the digest's time."""

    zone: dt.tzinfo
    spans: dict[int, tuple[dt.time, dt.time]]
    holidays: frozenset[dt.date]
    digest_at: dt.time | None = None
    """When the librarians' morning digest goes on an office day; None: when the desk opens."""

    @classmethod
    def from_settings(cls, desk: DeskSettings) -> Self:
        """Read ``desk.*`` settings.

        Raises:
            ConfigError: naming the key that cannot be read.
        """
        try:
            zone: dt.tzinfo = ZoneInfo(desk.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ConfigError("desk.timezone", f"unknown time zone {desk.timezone!r}") from e
        spans: dict[int, tuple[dt.time, dt.time]] = {}
        for spec in desk.office_hours:
            for day, span in _parse_span(spec):
                spans[day] = span
        try:
            holidays = frozenset(dt.date.fromisoformat(d) for d in desk.holidays)
        except ValueError as e:
            raise ConfigError("desk.holidays", f"dates must be YYYY-MM-DD ({e})") from e
        return cls(zone, spans, holidays, _parse_digest_at(desk.digest_at))

    def is_open(self, at: dt.datetime) -> bool:
        """Whether a librarian is at the desk at ``at``."""
        local = at.astimezone(self.zone)
        span = self.span_on(local.date())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, at: dt.datetime) -> dt.datetime | None:
        """When the desk next opens after ``at`` (``at`` itself when open), or None if never."""
        local = at.astimezone(self.zone)
        if self.is_open(local):
            return local
        for offset in range(0, 60):
            day = local.date() + dt.timedelta(days=offset)
            span = self.span_on(day)
            if span is None:
                continue
            opening = dt.datetime.combine(day, span[0], self.zone)
            if opening > local:
                return opening
        return None

    def digest_due(self, at: dt.datetime) -> dt.date | None:
        """The office day whose morning digest is due at ``at``; None on a closed day or outside its window.

        The window runs from the digest's time (``digest_at``, or the opening) to the closing:
        a digest missed all day (no worker ran) is not sent in the evening, when it would be
        the very noise it replaces; what it would have listed goes into the next one. A
        ``digest_at`` after a short day's closing means that day's opening.
        """
        local = at.astimezone(self.zone)
        span = self.span_on(local.date())
        if span is None:
            return None
        starts = self.digest_at if self.digest_at is not None and self.digest_at < span[1] else span[0]
        return local.date() if starts <= local.time() < span[1] else None

    def span_on(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        """The opening and closing time on ``day``; None when the desk is closed all day."""
        if day in self.holidays:
            return None
        return self.spans.get(day.weekday())


def _parse_span(spec: str) -> list[tuple[int, tuple[dt.time, dt.time]]]:
    match = _SPEC.match(spec.lower())
    if not match or match[1] not in DAYS or (match[2] and match[2] not in DAYS):
        raise ConfigError("desk.office_hours", f"cannot read {spec!r}; write e.g. 'mon-fri 08:00-16:00'")
    first = DAYS.index(match[1])
    last = DAYS.index(match[2]) if match[2] else first
    try:
        span = (dt.time(int(match[3]), int(match[4])), dt.time(int(match[5]), int(match[6])))
    except ValueError as e:
        raise ConfigError("desk.office_hours", f"bad time in {spec!r}") from e
    if span[0] >= span[1]:
        raise ConfigError("desk.office_hours", f"{spec!r} closes before it opens")
    # A range may wrap past Sunday ("sun-thu", "fri-mon"): count on from the first day.
    return [((first + n) % 7, span) for n in range((last - first) % 7 + 1)]


def _parse_digest_at(text: str) -> dt.time | None:
    if text.strip().lower() == AT_OPENING:
        return None
    match = _CLOCK.match(text)
    try:
        if match:
            return dt.time(int(match[1]), int(match[2]))
    except ValueError:
        pass
    raise ConfigError("desk.digest_at", f"cannot read {text!r}; write 'opening' or a time such as '07:30'")
