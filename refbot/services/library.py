"""The library system when none is configured.

:class:`refbot.ports.LibrarySystem` is the port; :mod:`connectors.koha` implements it over
Koha's REST API and :mod:`refbot.sandbox.koha` stands in for Koha in tests and the demo; its
records (:class:`~refbot.models.LibraryPatron`, :class:`~refbot.models.Loan`, …) are in
:mod:`refbot.models`. Every call may raise :class:`refbot.errors.LibraryUnavailable`.
:class:`NoLibrarySystem` is what the desk gets when ``koha.enabled`` is false.
"""

from __future__ import annotations

from refbot.errors import LibraryUnavailable
from refbot.models import Account, LibraryPatron, Loan, Renewal


class NoLibrarySystem:
    """The library system when none is configured: every call is unavailable."""

    name = "none"

    async def patron_by_card(self, cardnumber: str) -> LibraryPatron | None:
        raise LibraryUnavailable("no library system is configured (neither koha.enabled nor slims.enabled is on)")

    async def patrons_by_phone(self, phone: str) -> list[LibraryPatron]:
        raise LibraryUnavailable("no library system is configured (neither koha.enabled nor slims.enabled is on)")

    async def loans(self, patron_id: str) -> list[Loan]:
        raise LibraryUnavailable("no library system is configured (neither koha.enabled nor slims.enabled is on)")

    async def renew(self, loan: Loan) -> Renewal:
        raise LibraryUnavailable("no library system is configured (neither koha.enabled nor slims.enabled is on)")

    async def account(self, patron_id: str) -> Account:
        raise LibraryUnavailable("no library system is configured (neither koha.enabled nor slims.enabled is on)")
