"""Small presentation helpers the templates use: durations, times, links that are safe to follow."""

from __future__ import annotations

import datetime
import urllib.parse

from refbot.models import Candidate
from refbot.web.console.language import Texts

WINDOW_SECONDS = 24 * 3600
"""WhatsApp's customer-service window: free-form replies only within 24 h of the patron's last message."""


def duration(seconds: float, texts: Texts) -> str:
    """A span of time in its two largest units: ``2 j 5 mnt``, ``3 hr 4 j``, ``45 dtk``."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = [("dur_d", days), ("dur_h", hours), ("dur_m", minutes)]
    shown = [texts(key, n=n) for key, n in _two_largest(units)]
    return " ".join(shown) if shown else texts("dur_s", n=secs)


def _two_largest(units: list[tuple[str, int]]) -> list[tuple[str, int]]:
    for i, (_key, n) in enumerate(units):
        if n:
            return [u for u in units[i : i + 2] if u[1]]
    return []


def local_time(timestamp: float | None, zone: datetime.tzinfo | None = None) -> str:
    """A stored timestamp in the library's time zone (``desk.timezone``), to the minute.

    Without a zone, the server's: a librarian in Makassar reads 10:34 WITA whatever the
    server's clock is set to, because the console passes the library's zone.
    """
    if not timestamp:
        return ""
    return datetime.datetime.fromtimestamp(float(timestamp), zone).strftime("%Y-%m-%d %H:%M")


def safe_url(url: str) -> str:
    """``url`` when it is an http(s) link; otherwise empty, so no ``javascript:`` ever becomes a link."""
    url = (url or "").strip()
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url


def doi_url(doi: str) -> str:
    """The resolver link for a DOI, its characters quoted so it stays one link."""
    doi = (doi or "").strip()
    return f"https://doi.org/{urllib.parse.quote(doi, safe='/:;()._-')}" if doi else ""


def candidate_link(c: Candidate) -> str:
    """Where a librarian can look an item up: its DOI, else its own (http) link."""
    return doi_url(c.doi) or safe_url(c.url)


def shelf_location(c: Candidate) -> str:
    """Where an available copy stands, or empty."""
    return next((h.location for h in c.holdings if h.available and h.location), "")


def window_left(last_inbound_at: float | None, now: float) -> float | None:
    """Seconds the patron's 24-hour window stays open; None when the patron never wrote."""
    if last_inbound_at is None:
        return None
    return float(last_inbound_at) + WINDOW_SECONDS - now
