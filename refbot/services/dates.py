"""Dates as patrons read them, in the library's time zone: 5 Desember 2026."""

from __future__ import annotations

import datetime
import zoneinfo

from refbot.config import Settings
from refbot.texts import t

WIB = datetime.timezone(datetime.timedelta(hours=7), "WIB")


def library_zone(settings: Settings) -> datetime.tzinfo:
    """The library's time zone (``desk.timezone``), Western Indonesian Time when unknown."""
    try:
        return zoneinfo.ZoneInfo(settings.desk.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return WIB


def long_date(moment: datetime.datetime | None, language: str, zone: datetime.tzinfo = WIB) -> str:
    """``5 Desember 2026`` / ``5 December 2026``; ``-`` for no date."""
    if moment is None:
        return "-"
    local = moment.astimezone(zone)
    months = t(language, "months").split()
    return f"{local.day} {months[local.month - 1]} {local.year}"
