"""Service requests in the console: screenshots, card links, clearance letters, waiting codes, suggestions.

The same moves as the WhatsApp buttons and ``JAWAB#``, through the same decision functions
(:mod:`refbot.decisions.requests`), so the same rule holds: the first librarian to decide a
request decides it, and a colleague arriving second gets 409 and a sentence saying who did
what. Similarity checks have a page of their own (:mod:`.routes_similarity`); acquisition
suggestions (``USUL#``) are listed to read, as the librarians' ``USUL`` list shows them.

What each kind offers: every pending request can be answered in the librarian's own words;
a screenshot with a matched FAQ answer can have that answer sent; a card link can be approved;
screenshots, card links and letters can be rejected (the patron is told a librarian will reply
in person). A rejected request can still be answered once: that is the promised reply. Issuing
a clearance letter stays on WhatsApp, where the letter service checks loans and fines again.
"""

from __future__ import annotations

from aiohttp import web

from refbot.decisions import deciders, requests
from refbot.delivery.render import mask_phone
from refbot.errors import RequestConflict
from refbot.models import OutgoingMessage
from refbot.services.circulation.suggestions import open_suggestions
from refbot.store import Store
from refbot.store.history import service_requests_between
from refbot.store.service_requests import ServiceRequest
from refbot.texts import TEXT_LIMIT, t
from refbot.web.console.state import console, current_account, redirect, render, services, texts

MAX_ID = 2**63 - 1
LISTED_DAYS = 90
"""How far back the list reaches; older requests are in the history export."""
ANSWER_LIMIT = 4000
REJECTED_TEXT = {"snap": "snap_rejected", "link": "link_rejected", "letter": "letter_rejected"}
"""The kinds a librarian may reject, and what their patron is told."""
FLASHES = {"answered": "requests_flash_answered", "approved": "requests_flash_approved",
           "rejected": "requests_flash_rejected"}


async def requests_list(request: web.Request) -> web.Response:
    """Pending requests first, then the decided ones of the last days, and the open suggestions."""
    svc = services(request)
    now = svc.store.clock()
    rows = [r for r in await service_requests_between(svc.store, now - LISTED_DAYS * 86400, now + 1)
            if r["kind"] != "similarity"]
    names = await deciders.actor_names(svc.store, svc.settings.librarians)
    language = svc.settings.language.default  # the names are the desk's words, as on WhatsApp
    shown = [{"id": r["id"], "kind": r["kind"], "status": r["status"], "created_at": r["created_at"],
              "patron": mask_phone(r["patron"]),
              "decided_by": deciders.who(r["decided_by"], names, language, patron=r["patron"]) if r["decided_by"] else ""}
             for r in sorted(rows, key=lambda r: (r["status"] != "pending", -int(r["id"])))]
    pending = sum(1 for r in rows if r["status"] == "pending")
    suggestions = [{**s, "patron": mask_phone(str(s["patron"]))} for s in await open_suggestions(svc.store)]
    return render(request, "requests.html", rows=shown, pending=pending, suggestions=suggestions)


async def request_page(request: web.Request, *, status: int = 200, error: str = "") -> web.Response:
    """One request: what the patron sent, refbot's suggestion, and the forms the librarian may use."""
    found = await _request(request)
    svc = services(request)
    names = await deciders.actor_names(svc.store, svc.settings.librarians)
    who = deciders.who(found.decided_by, names, svc.settings.language.default, patron=found.patron)
    key = FLASHES.get(request.query.get("done", ""))
    return render(request, "request.html", status=status, error=error, req=found, who=who if found.decided_by else "",
                  patron=mask_phone(found.patron), facts=_facts(found), can_reject=found.kind in REJECTED_TEXT,
                  can_approve=(found.kind == "snap" and bool(found.suggestion)) or found.kind == "link",
                  flash=texts(request)(key, id=found.id) if key else "")


async def request_action(request: web.Request) -> web.Response:
    """Answer, approve or reject a request; 409 with who decided when a colleague was first."""
    found = await _request(request)
    action = request.match_info["action"]
    actor = current_account(request).actor
    svc = services(request)
    form = await request.post()  # read once by the guard (CSRF) and cached
    try:
        if action == "answer":
            text = str(form.get("text", "")).strip()[:ANSWER_LIMIT]
            if not text:
                return await request_page(request, status=400, error=texts(request)("requests_answer_empty"))
            await _answer(svc.store, found, actor, text)
            done = "answered"
        elif action == "approve":
            await _approve(svc.store, found, actor)
            done = "approved"
        elif action == "reject" and found.kind in REJECTED_TEXT:
            await _reject(svc.store, found, actor)
            done = "rejected"
        else:
            raise web.HTTPNotFound()
    except RequestConflict as e:
        return await request_page(request, status=409, error=await _conflict(request, found, e))
    svc.wake()  # send now rather than at the next poll
    return redirect(f"{console(request).prefix}/requests/{found.id}?done={done}")


async def _answer(store: Store, found: ServiceRequest, actor: str, text: str) -> None:
    if found.status == "rejected":  # the personal reply rejecting promised
        await requests.reply_after_rejection(store, found, actor, text)
        return
    async with store.tx() as db:
        await requests.answer(store, db, found.id, actor, text)


async def _approve(store: Store, found: ServiceRequest, actor: str) -> None:
    async with store.tx() as db:
        if found.kind == "snap" and found.suggestion:
            answer = OutgoingMessage(to=found.patron, text=found.suggestion[:TEXT_LIMIT])
            await requests.approve(store, db, found.id, actor, kind="snap", messages=[answer],
                                   answer=found.suggestion)
        elif found.kind == "link":
            card, name = str(found.detail.get("cardnumber", "")), str(found.detail.get("name", ""))
            told = OutgoingMessage(to=found.patron, text=t(found.language, "linked", name=name, card=card))
            await requests.approve(store, db, found.id, actor, kind="link", messages=[told])
            await store.set_card_linked(db, found.patron, actor)
        else:
            raise web.HTTPNotFound()


async def _reject(store: Store, found: ServiceRequest, actor: str) -> None:
    async with store.tx() as db:
        await requests.reject(store, db, found.id, actor, kind=found.kind,
                              text=t(found.language, REJECTED_TEXT[found.kind]))
        if found.kind == "link":
            await store.reject_card_link(db, found.patron, actor)


async def _conflict(request: web.Request, found: ServiceRequest, error: RequestConflict) -> str:
    svc = services(request)
    language = svc.settings.language.default
    if error.status == "withdrawn":
        return t(language, "request_withdrawn", id=found.id)
    names = await deciders.actor_names(svc.store, svc.settings.librarians)
    who = deciders.who(error.decided_by, names, language, patron=found.patron)
    return t(language, "request_conflict", id=found.id, status=t(language, f"status_{error.status}"), who=who)


def _facts(found: ServiceRequest) -> list[tuple[str, str]]:
    """What the request carries that a librarian reads (no file paths, no codes)."""
    keys = ("caption", "text", "cardnumber", "name", "command", "argument", "reason", "problem", "titles")
    return [(k, str(found.detail[k])) for k in keys if found.detail.get(k)]


async def _request(request: web.Request) -> ServiceRequest:
    request_id = int(request.match_info["id"])
    found = await requests.get(services(request).store, request_id) if request_id <= MAX_ID else None
    if found is None:
        raise web.HTTPNotFound()
    if found.kind == "similarity":
        raise web.HTTPSeeOther(f"{console(request).prefix}/similarity/{found.id}")
    return found
