"""Office hours: when librarians answer, so a patron writing at night knows when to expect them.

Every acknowledgement that says when the desk opens words it the same way, with the date
written out as everywhere else a patron reads one: "Senin, 7 Desember 2026 pukul 08:00"
(:func:`opening_text`; :meth:`OfficeHours.closed_note` for the sentence a reply ends with).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from refbot.config import DeskSettings
from refbot.errors import ConfigError
from refbot.services.dates import long_date
from refbot.texts import t

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPEC = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class OfficeHours:
    """Opening hours per weekday (0 = Monday) in the library's time zone, and closed dates."""

    zone: dt.tzinfo
    spans: dict[int, tuple[dt.time, dt.time]]
    holidays: frozenset[dt.date]

    @classmethod
    def from_settings(cls, desk: DeskSettings) -> OfficeHours:
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
        return cls(zone, spans, holidays)

    def is_open(self, at: dt.datetime) -> bool:
        """Whether a librarian is at the desk at ``at``."""
        local = at.astimezone(self.zone)
        span = self._span(local.date())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, at: dt.datetime) -> dt.datetime | None:
        """When the desk next opens after ``at`` (``at`` itself when open), or None if never."""
        local = at.astimezone(self.zone)
        if self.is_open(local):
            return local
        for offset in range(0, 60):
            day = local.date() + dt.timedelta(days=offset)
            span = self._span(day)
            if span is None:
                continue
            opening = dt.datetime.combine(day, span[0], self.zone)
            if opening > local:
                return opening
        return None

    def when_open(self, at: dt.datetime, language: str) -> str | None:
        """When a librarian next answers, in words; None while the desk is open (or when it never opens)."""
        opening = self.next_opening(at)
        if opening is None or self.is_open(at):
            return None
        return opening_text(opening, language)

    def closed_note(self, at: dt.datetime, language: str) -> str:
        """" Saat ini di luar jam layanan; …" to end a reply with while the desk is closed; "" while it is open."""
        when = self.when_open(at, language)
        return " " + t(language, "closed_note", when=when) if when else ""

    def _span(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        if day in self.holidays:
            return None
        return self.spans.get(day.weekday())


def opening_text(opening: dt.datetime, language: str) -> str:
    """An opening as a patron reads it: "Senin, 7 Desember 2026 pukul 08:00" / "Monday, 7 December 2026 at 08:00"."""
    weekday = t(language, f"weekday_{opening.weekday()}")
    date = long_date(opening, language, opening.tzinfo or dt.UTC)
    return t(language, "when", weekday=weekday, date=date, time=opening.strftime("%H:%M"))


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
