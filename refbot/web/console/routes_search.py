"""The search page: what the catalog and Crossref hold for a librarian's words."""

from __future__ import annotations

from aiohttp import web

from refbot.web.console.lookup import look_up
from refbot.web.console.state import console, render, services


async def search_page(request: web.Request) -> web.Response:
    """Search every source (or one) and list what each found."""
    state, svc = console(request), services(request)
    assert state.signer is not None
    text = request.query.get("q", "")
    lookup = await look_up(svc.sources, text, request.query.get("source", ""), svc.settings, state.signer)
    return render(request, "search.html", lookup=lookup, source_names=[s.name for s in svc.sources])
