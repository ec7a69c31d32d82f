"""DOAJ's answer to ``issn:NNNN-NNNC`` → whether that ISSN belongs to a journal DOAJ lists.

A journal search answer (v2 to v4 alike) is ``{"total", "page", "pageSize", "query", "results":
[{"id", "bibjson": {"title", "pissn", "eissn", …}, "admin": {"seal", "ticked", …}}]}``. Only a
record whose own ``pissn`` or ``eissn`` is the ISSN asked about counts: DOAJ's free-text
matching must not make one journal stand for another. A record marked ``"in_doaj": false``
(DOAJ's single-record route shows withdrawn journals so) is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors._http import as_dict, as_list, as_text


@dataclass(frozen=True)
class Listing:
    """What DOAJ says of one ISSN."""

    listed: bool
    title: str = ""
    seal: bool = False

    def plain(self) -> dict[str, Any]:
        """As kept in the cache."""
        return {"listed": self.listed, "title": self.title, "seal": self.seal}

    @classmethod
    def from_plain(cls, value: Any) -> Listing | None:
        """Back from the cache; None for an entry that is not one of ours."""
        data = as_dict(value)
        if not isinstance(data.get("listed"), bool):
            return None
        return cls(data["listed"], as_text(data.get("title")), data.get("seal") is True)


def listing(body: Any, issn: str) -> Listing:
    """Whether DOAJ's search answer lists a journal under ``issn``."""
    for record in as_list(as_dict(body).get("results")):
        bibjson = as_dict(as_dict(record).get("bibjson"))
        own = {as_text(bibjson.get(key)).strip().upper() for key in ("pissn", "eissn")}
        if issn.upper() not in own:
            continue
        admin = as_dict(as_dict(record).get("admin"))
        if admin.get("in_doaj") is False:
            continue
        return Listing(True, as_text(bibjson.get("title")).strip(), admin.get("seal") is True)
    return Listing(False)
