"""Quiet nights: which librarian notices wait for the morning instead of ringing a phone at 22:00.

With ``desk.hold_librarian_notices`` (the default), a new draft to review or a new service
request that would reach a librarian while the desk is closed — at night, at the weekend, on a
holiday — is not sent: the sender parks its outbox row as ``quiet``. At the next opening (or
at ``desk.digest_at``) each librarian gets one morning digest listing what still waits
(:mod:`refbot.delivery.digest`). Everything else goes out as always: patrons' messages (they
already get an after-hours acknowledgement), answers to a librarian's own command, failure
and held-list notices.

The notices are told apart by their outbox keys (:func:`refbot.decisions.fanout.librarian_key`):
``draft:{id}:v{n}:librarian:…`` (a draft's review copy) and ``svc:{id}:{new|ready|manual}:librarian:…``
(a service request a librarian must decide).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from refbot.config import DeskSettings
from refbot.delivery.office_hours import OfficeHours

_DRAFT = re.compile(r"^draft:(\d+):v\d+:librarian:")
_REQUEST = re.compile(r"^svc:(\d+):(?:new|ready|manual):librarian:")


@dataclass(frozen=True)
class Notice:
    """What a held notice is about: a draft or a service request, by its number."""

    kind: str  # "draft" or "request"
    id: int


def notice_of(key: str) -> Notice | None:
    """The draft or service request an outbox key announces to a librarian; None for any other message."""
    if match := _DRAFT.match(key):
        return Notice("draft", int(match[1]))
    if match := _REQUEST.match(key):
        return Notice("request", int(match[1]))
    return None


@dataclass(frozen=True)
class QuietHours:
    """When librarians' notices are held, and when the morning digest is due."""

    hours: OfficeHours

    @classmethod
    def from_settings(cls, desk: DeskSettings) -> QuietHours | None:
        """The quiet hours ``desk.*`` asks for; None when ``desk.hold_librarian_notices`` is off."""
        return cls(OfficeHours.from_settings(desk)) if desk.hold_librarian_notices else None

    def holds(self, key: str, now: float) -> bool:
        """Whether the message under outbox key ``key`` waits for the morning digest at ``now``."""
        if notice_of(key) is None:
            return False
        at = _moment(now)
        # A desk that never opens would hold them forever: then they go out as they come.
        return not self.hours.is_open(at) and self.hours.next_opening(at) is not None

    def digest_due(self, now: float) -> dt.date | None:
        """The office day whose morning digest is due at ``now`` (see :meth:`OfficeHours.digest_due`)."""
        return self.hours.digest_due(_moment(now))

    def is_open(self, now: float) -> bool:
        """Whether the desk is open at ``now``."""
        return self.hours.is_open(_moment(now))

    def today(self, now: float) -> dt.date:
        """The library's date at ``now``."""
        return _moment(now).astimezone(self.hours.zone).date()


def _moment(now: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(now, dt.UTC)
