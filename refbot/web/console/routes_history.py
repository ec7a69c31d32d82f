"""Downloading a patron's conversation for the library's records: a PDF and a JSON file.

Both hold the messages exchanged and what the patron was given (lists, letters, similarity
results), the patron named as the console names them (a masked number). Each download is
written to the audit trail (``conversation_downloaded``) with who took it and in which format.
Only this console's library's drafts are reachable (each library's console has its own store
and sign-in), and a patron who erased their data, or messages past the retention period,
are not there to download.
"""

from __future__ import annotations

import asyncio
import datetime
import json

from aiohttp import web

from refbot.delivery.render import mask_phone
from refbot.models import Draft
from refbot.services.dates import library_zone
from refbot.services.history.collect import History, gather, retention_cutoff
from refbot.services.history.pdf import Cover, Said, render_history
from refbot.services.history.records import conversation_record
from refbot.store import history as stored
from refbot.web.console import queries
from refbot.web.console.state import LANGUAGE, console, current_account, services

MAX_ID = 2**63 - 1  # the largest SQLite integer
MESSAGES = 5000
"""The most messages one download carries (the newest)."""


async def conversation_pdf(request: web.Request) -> web.Response:
    """``GET /drafts/<id>/history.pdf``: the conversation and what was given, as a PDF."""
    draft, history, said, made_at = await _gathered(request, "pdf")
    svc = services(request)
    cover = Cover(language=request.get(LANGUAGE, svc.settings.language.default),
                  library_name=svc.settings.letters.library_name, patron=await _label(request, draft),
                  made_at=made_at, title_key="history_record_title", made_by=current_account(request).display)
    pdf = await asyncio.to_thread(render_history, history, cover, said)
    return _attachment(pdf, "application/pdf", f"conversation-draft-{draft.id}.pdf")


async def conversation_json(request: web.Request) -> web.Response:
    """``GET /drafts/<id>/history.json``: the same, as JSON for the library's own systems."""
    draft, history, said, made_at = await _gathered(request, "json")
    record = conversation_record(
        history, said, patron=await _label(request, draft), draft_id=draft.id,
        library=services(request).settings.library_id or "default", made_by=current_account(request).display,
        made_at=made_at,
    )
    body = json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
    return _attachment(body, "application/json", f"conversation-draft-{draft.id}.json")


async def _gathered(request: web.Request, fmt: str) -> tuple[Draft, History, list[Said], datetime.datetime]:
    """The draft, its patron's history and messages still kept; the download written to the audit trail."""
    draft_id = int(request.match_info["id"])
    svc = services(request)
    draft = await svc.store.get_draft(draft_id) if draft_id <= MAX_ID else None
    if draft is None:
        raise web.HTTPNotFound()
    now = console(request).clock()
    patron = await stored.draft_patron(svc.store, draft.id)  # '' once the patron is forgotten
    language = request.get(LANGUAGE, svc.settings.language.default)
    history = await gather(svc.store, svc.settings, patron, now=now, language=language)
    cutoff = retention_cutoff(svc.settings, now)
    turns = await queries.conversation(svc.store, patron, limit=MESSAGES) if patron else []
    said = [Said(turn.at, turn.inbound, turn.text) for turn in turns if turn.at >= cutoff]
    account = current_account(request)
    await stored.record_download(svc.store, account.actor, "conversation_downloaded", f"draft:{draft.id}",
                                 {"format": fmt, "patron": mask_phone(patron) if patron else "",
                                  "messages": len(said), "lists": len(history.lists)})
    return draft, history, said, datetime.datetime.fromtimestamp(now, library_zone(svc.settings))


async def _label(request: web.Request, draft: Draft) -> str:
    svc = services(request)
    meta = await queries.draft_meta(svc.store, svc.settings, draft.id)
    return meta.patron if meta else mask_phone(draft.patron)


def _attachment(body: bytes, content_type: str, filename: str) -> web.Response:
    return web.Response(body=body, content_type=content_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
