"""Office hours: when librarians answer, so a patron writing at night knows when to expect them.

The timetable itself (open or not, the next opening, the morning digest's time) is
:class:`refbot.delivery.office_hours.OfficeHours`, a layer down so the sender can keep
librarians' phones quiet at night; this module adds the words a patron is told it in.

Every acknowledgement that says when the desk opens words it the same way, with the date
written out as everywhere else a patron reads one: "Senin, 7 Desember 2026 pukul 08:00"
(:func:`opening_text`; :meth:`OfficeHours.closed_note` for the sentence a reply ends with).
"""

from __future__ import annotations

import datetime as dt

from refbot.delivery import office_hours
from refbot.delivery.office_hours import DAYS
from refbot.services.dates import long_date
from refbot.texts import t

__all__ = ["DAYS", "OfficeHours", "opening_text"]


class OfficeHours(office_hours.OfficeHours):
    """The desk's timetable (read with ``OfficeHours.from_settings(settings.desk)``), told in a patron's words."""

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


def opening_text(opening: dt.datetime, language: str) -> str:
    """An opening as a patron reads it: "Senin, 7 Desember 2026 pukul 08:00" / "Monday, 7 December 2026 at 08:00"."""
    weekday = t(language, f"weekday_{opening.weekday()}")
    date = long_date(opening, language, opening.tzinfo or dt.UTC)
    return t(language, "when", weekday=weekday, date=date, time=opening.strftime("%H:%M"))
