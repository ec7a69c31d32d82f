"""The queue: every waiting draft, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from refbot.web.console import queries
from refbot.web.console.formatting import duration, window_left
from refbot.web.console.language import Texts
from refbot.web.console.state import console, render, services, texts

FLASHES = {"approved": "done_approved", "rejected": "done_rejected"}


LATE, SLOW, CLOSING = 4 * 3600, 3600, 3 * 3600


@dataclass(frozen=True)
class Line:
    """A queue row with its times already in words (calls from a template are slow; 1,000 rows add up)."""

    row: queries.QueueRow
    items: str
    waited: str
    waited_class: str
    window: str
    window_class: str


async def queue_page(request: web.Request) -> web.Response:
    """The queue page, with a line about what was just done."""
    svc, t, now = services(request), texts(request), console(request).clock()
    lines = [_line(row, t, now) for row in await queries.queue(svc.store)]
    decided = await queries.recently_decided(svc.store, svc.settings)
    return render(request, "queue.html", lines=lines, decided=decided, flash=flash(request, t))


def _line(row: queries.QueueRow, t: Texts, now: float) -> Line:
    waited = now - row.asked_at
    left = window_left(row.last_inbound_at, now)
    if left is None:
        window, window_class = "—", ""
    elif left <= 0:
        window, window_class = t("window_closed"), "closed"
    else:
        window, window_class = duration(left, t), "closing" if left < CLOSING else "open"
    waited_class = "late" if waited > LATE else "warn" if waited > SLOW else ""
    return Line(row, t("n_items", n=row.items), duration(waited, t), waited_class, window, window_class)


def flash(request: web.Request, t: Texts) -> str:
    """The message for ``?done=…&draft=N`` after a redirect; only known keys and a number get through."""
    key = FLASHES.get(request.query.get("done", ""))
    draft = request.query.get("draft", "")
    if key is None or not (draft.isascii() and draft.isdigit()) or len(draft) > 18:
        return ""
    return t(key, id=int(draft))
