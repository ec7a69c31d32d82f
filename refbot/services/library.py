"""The library system as the desk sees it: patrons, loans, renewals and fines.

:class:`LibrarySystem` is the port; ``connectors/koha.py`` implements it over Koha's REST API
and ``refbot/sandbox/koha.py`` stands in for Koha in tests and the demo. Every call may raise
:class:`LibraryUnavailable` — the system is down, slow or refusing refbot's credentials — and
the desk then tells the patron and hands the request to a librarian.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from refbot.errors import RefbotError


class LibraryUnavailable(RefbotError):
    """The library system could not be asked: down, too slow, or refusing refbot's credentials."""

    transient = True


@dataclass(frozen=True)
class LibraryPatron:
    """A borrower in the library system."""

    id: str
    cardnumber: str
    name: str
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loan:
    """One item a patron has on loan."""

    id: str
    barcode: str
    title: str
    due: datetime.datetime | None = None
    renewals: int = 0

    def overdue(self, now: datetime.datetime) -> bool:
        """Whether the item should have been back by ``now``."""
        return self.due is not None and self.due < now


@dataclass(frozen=True)
class Renewal:
    """What the library system said to a renewal.

    ``reason`` is the system's own code when refused (Koha: ``too_many``, ``on_reserve``,
    ``overdue``, ``restriction``, ``too_soon``, …), so the desk can word it for the patron.
    """

    renewed: bool
    due: datetime.datetime | None = None
    reason: str = ""
    renewals: int | None = None
    max_renewals: int | None = None


@dataclass(frozen=True)
class Fine:
    """One unpaid charge."""

    description: str
    amount: float


@dataclass(frozen=True)
class Account:
    """What a patron owes: the balance and the charges behind it."""

    balance: float
    fines: tuple[Fine, ...] = ()


class LibrarySystem(Protocol):
    """The circulation side of the library system (Koha, or a stand-in)."""

    name: str

    async def patron_by_card(self, cardnumber: str) -> LibraryPatron | None:
        """The patron holding a card number, or None."""
        ...

    async def patrons_by_phone(self, phone: str) -> list[LibraryPatron]:
        """Patrons whose phone or mobile number is this WhatsApp number."""
        ...

    async def loans(self, patron_id: str) -> list[Loan]:
        """The patron's current loans, soonest due first."""
        ...

    async def renew(self, loan: Loan) -> Renewal:
        """Ask for one loan to be renewed; a refusal is a :class:`Renewal`, not an error."""
        ...

    async def account(self, patron_id: str) -> Account:
        """The patron's balance and unpaid charges."""
        ...


class NoLibrarySystem:
    """The library system when none is configured: every call is unavailable."""

    name = "none"

    async def patron_by_card(self, cardnumber: str) -> LibraryPatron | None:
        raise LibraryUnavailable("no library system is configured (koha.enabled is false)")

    async def patrons_by_phone(self, phone: str) -> list[LibraryPatron]:
        raise LibraryUnavailable("no library system is configured (koha.enabled is false)")

    async def loans(self, patron_id: str) -> list[Loan]:
        raise LibraryUnavailable("no library system is configured (koha.enabled is false)")

    async def renew(self, loan: Loan) -> Renewal:
        raise LibraryUnavailable("no library system is configured (koha.enabled is false)")

    async def account(self, patron_id: str) -> Account:
        raise LibraryUnavailable("no library system is configured (koha.enabled is false)")
