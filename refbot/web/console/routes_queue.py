"""The queue: every waiting draft, oldest first."""

from __future__ import annotations

from aiohttp import web

from refbot.web.console import queries
from refbot.web.console.language import Texts
from refbot.web.console.state import render, services, texts

FLASHES = {"approved": "done_approved", "rejected": "done_rejected"}


async def queue_page(request: web.Request) -> web.Response:
    """The queue page, with a line about what was just done."""
    svc = services(request)
    rows = await queries.queue(svc.store)
    decided = await queries.recently_decided(svc.store, svc.settings)
    return render(request, "queue.html", rows=rows, decided=decided, flash=flash(request, texts(request)))


def flash(request: web.Request, t: Texts) -> str:
    """The message for ``?done=…&draft=N`` after a redirect; only known keys and a number get through."""
    key = FLASHES.get(request.query.get("done", ""))
    draft = request.query.get("draft", "")
    if key is None or not draft.isdigit():
        return ""
    return t(key, id=int(draft))
