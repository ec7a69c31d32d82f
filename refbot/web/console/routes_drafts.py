"""A draft: look at it, edit it, approve or reject it, or ask the patron to clarify — each change
through :mod:`refbot.decisions.drafts`.

Every form carries the version the librarian was looking at. When someone else changed or
decided the draft in between, approvals raises :class:`DraftConflict` and the page comes back
with status 409, a message saying who did what, and the draft as it is now: nothing is
applied to a version the librarian has not seen.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from multidict import MultiDictProxy

from refbot.decisions import drafts, librarian
from refbot.delivery import render as patron_render
from refbot.delivery.confidence import clarify_question
from refbot.errors import DraftConflict, EditRefused
from refbot.models import Draft, DraftStatus, InformationNeed, Ranked, Score
from refbot.web.console import queries
from refbot.web.console.accounts import Account
from refbot.web.console.lookup import Lookup, candidate_from_form, look_up
from refbot.web.console.state import LANGUAGE, console, current_account, redirect, render, services, texts

Form = MultiDictProxy[str | bytes | bytearray | web.FileField]
Action = Callable[[web.Request, Draft, Form, Account], Awaitable[str]]

NOTE_LIMIT = 1000
REPLY_LIMIT = 4000
ADDED_SCORE = Score(0.0, (("librarian", 0.0),))
MAX_ID = 2**63 - 1  # the largest SQLite integer


class BadForm(ValueError):
    """The form cannot be acted on; the message is shown to the librarian."""


async def draft_page(request: web.Request) -> web.Response:
    """The draft, with the search box's results when ``?q=`` is given."""
    draft = await _draft(request)
    lookup = None
    if draft.status.value == "pending" and request.query.get("q", "").strip():
        state, svc = console(request), services(request)
        assert state.signer is not None
        lookup = await look_up(svc.sources, request.query["q"], request.query.get("source", ""), svc.settings,
                               state.signer)
    done = request.query.get("done") == "saved"
    flash = texts(request)("done_saved", n=draft.version) if done else ""
    return await show(request, draft, lookup=lookup, flash=flash)


async def history_page(request: web.Request) -> web.Response:
    """Everything the patron and the library said to each other."""
    draft = await _draft(request)
    svc = services(request)
    meta = await queries.draft_meta(svc.store, svc.settings, draft.id)
    turns = await queries.conversation(svc.store, draft.patron, limit=500)
    return render(request, "history.html", draft=draft, meta=meta, turns=turns)


async def show(request: web.Request, draft: Draft, *, status: int = 200, lookup: Lookup | None = None,
               conflict: str = "", error: str = "", flash: str = "") -> web.Response:
    """Render the draft page for ``draft`` as it is stored now."""
    svc = services(request)
    meta = await queries.draft_meta(svc.store, svc.settings, draft.id)
    request_row = await svc.store.get_request(draft.request_id)
    summary = patron_render.summarise(request_row.need, request.get(LANGUAGE, "id")) if request_row else ""
    turns = await queries.conversation(svc.store, draft.patron, limit=8)
    # The question the patron would get, in their language, for the librarian to send or reword.
    question = clarify_question(request_row.need if request_row else InformationNeed(draft.question),
                                              draft.confidence, draft.language)
    return render(
        request, "draft.html", status=status, draft=draft, meta=meta, summary=summary, turns=turns,
        lookup=lookup, conflict=conflict, error=error, flash=flash, clarify_question=question,
        source_names=[s.name for s in svc.sources],
        in_draft={(r.candidate.source, r.candidate.source_id) for r in draft.items},
    )


async def draft_action(request: web.Request) -> web.Response:
    """One of the draft's forms: take, release, move, remove, add, note, approve, reject."""
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise web.HTTPNotFound()
    draft = await _draft(request)
    form = await request.post()
    account = current_account(request)
    try:
        location = await action(request, draft, form, account)
    except DraftConflict as e:
        return await _conflict(request, draft.id, str(e))
    except (ValueError, EditRefused) as e:  # BadForm, or a position the draft does not have
        return await show(request, draft, status=400, error=str(e))
    return redirect(location)


async def _take(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    await queries.take(services(request).store, draft.id, account)
    return _page(request, draft.id)


async def _release(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    await queries.release(services(request).store, draft.id, account)
    return _page(request, draft.id)


async def _move(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    position = _position(form)
    other = position - 1 if form.get("direction") == "up" else position + 1
    if not 1 <= other <= len(draft.items):
        return _page(request, draft.id)
    order = list(range(1, len(draft.items) + 1))
    order[position - 1], order[other - 1] = other, position
    return await _edit(request, draft, form, account, order=order)


async def _remove(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    return await _edit(request, draft, form, account, remove=[_position(form)])


async def _add(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    signer = console(request).signer
    assert signer is not None
    candidate = candidate_from_form(str(form.get("candidate", "")), str(form.get("signature", "")), signer)
    if candidate is None:
        raise BadForm(texts(request)("error_not_a_result"))
    if any((r.candidate.source, r.candidate.source_id) == (candidate.source, candidate.source_id) for r in draft.items):
        raise BadForm(texts(request)("already_in"))
    await _edit(request, draft, form, account, add=[Ranked(candidate, ADDED_SCORE)])
    query = urllib.parse.urlencode({"q": str(form.get("q", "")), "source": str(form.get("source", "")), "done": "saved"})
    return f"{console(request).prefix}/drafts/{draft.id}?{query}#add"


async def _note(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    note = _text(request, form, "note", NOTE_LIMIT)
    return await _edit(request, draft, form, account, note=note)


async def _approve(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    svc = services(request)
    effort = _effort(form)
    await drafts.approve(svc.store, draft.id, account.actor, language=svc.settings.language.default,
                         expected_version=_version(form))
    await _after_decision(request, draft, account, DraftStatus.APPROVED, effort)
    return f"{console(request).prefix}/?done=approved&draft={draft.id}"


async def _reject(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    svc = services(request)
    effort = _effort(form)
    reply = _text(request, form, "reply", REPLY_LIMIT)
    await drafts.reject(svc.store, draft.id, account.actor, reply=reply, language=svc.settings.language.default,
                        expected_version=_version(form))
    await _after_decision(request, draft, account, DraftStatus.REJECTED, effort)
    return f"{console(request).prefix}/?done=rejected&draft={draft.id}"


async def _clarify(request: web.Request, draft: Draft, form: Form, account: Account) -> str:
    svc = services(request)
    question = _text(request, form, "question", REPLY_LIMIT)
    await drafts.clarify(svc.store, draft.id, account.actor, text=question, language=svc.settings.language.default,
                         expected_version=_version(form))
    await _after_decision(request, draft, account, DraftStatus.ASKED, None)
    return _page(request, draft.id)


ACTIONS: dict[str, Action] = {
    "take": _take, "release": _release, "move": _move, "remove": _remove, "add": _add, "note": _note,
    "approve": _approve, "reject": _reject, "clarify": _clarify,
}


async def _edit(
    request: web.Request, draft: Draft, form: Form, account: Account, *, remove: Sequence[int] = (),
    order: Sequence[int] | None = None, add: Sequence[Ranked] = (), note: str | None = None,
) -> str:
    store = services(request).store
    version = _version(form)
    # The same form sent twice (a double click, a reload) names the same edit and is made once.
    intent = json.dumps([request.match_info["action"], version, list(remove), list(order or []),
                         [f"{r.candidate.source}:{r.candidate.source_id}" for r in add], note], ensure_ascii=False)
    idem = f"{account.actor}:{hashlib.sha256(intent.encode()).hexdigest()[:20]}"
    await drafts.edit(store, draft.id, account.actor, remove=remove, order=order, add=add, note=note,
                         expected_version=version, idem=idem)
    await queries.take(store, draft.id, account)  # whoever edits a draft is working on it
    return _page(request, draft.id, saved=True)


async def _after_decision(
    request: web.Request, draft: Draft, account: Account, status: DraftStatus, effort: int | None,
) -> None:
    """The other librarians told who decided, the effort noted, and the patron's messages sent now."""
    svc = services(request)
    await librarian.announce(svc.store, svc.settings, draft.id, status, account.actor)
    if effort is not None:
        await queries.set_effort(svc.store, draft.id, effort, account)
    svc.wake()  # send now rather than at the next poll


async def _conflict(request: web.Request, draft_id: int, reason: str) -> web.Response:
    svc = services(request)
    current = await svc.store.get_draft(draft_id)
    if current is None:
        raise web.HTTPNotFound()
    meta = await queries.draft_meta(svc.store, svc.settings, draft_id)
    t = texts(request)
    who = (meta.decided_by if current.status.value != "pending" else meta.last_change_by) if meta else ""
    message = t("conflict_message", id=draft_id, who=who or "?", version=current.version,
                status=t("status_" + current.status.value))
    return await show(request, current, status=409, conflict=message, error="" if who else reason)


async def _draft(request: web.Request) -> Draft:
    draft_id = int(request.match_info["id"])
    if draft_id > MAX_ID:  # SQLite cannot even look for it: there is no such draft
        raise web.HTTPNotFound()
    draft = await services(request).store.get_draft(draft_id)
    if draft is None:
        raise web.HTTPNotFound()
    return draft


def _page(request: web.Request, draft_id: int, *, saved: bool = False) -> str:
    return f"{console(request).prefix}/drafts/{draft_id}" + ("?done=saved#items" if saved else "")


def _version(form: Form) -> int:
    value = _number(str(form.get("version", "")))
    if value is None:
        raise BadForm("the form has no draft version; reload the page")
    return value


def _position(form: Form) -> int:
    value = _number(str(form.get("position", "")))
    if value is None:
        raise BadForm("the form has no item position; reload the page")
    return value


def _number(value: str) -> int | None:
    """A whole number SQLite can hold, written in ASCII digits (``str.isdigit`` also takes '²')."""
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


def _text(request: web.Request, form: Form, name: str, limit: int) -> str:
    """The librarian's text in the field ``name``, trimmed; refused when longer than ``limit``."""
    value = str(form.get(name, "")).strip()
    if len(value) > limit:
        raise BadForm(texts(request)("error_too_long", n=limit))
    return value


def _effort(form: Form) -> int | None:
    value = str(form.get("effort", "")).strip()
    if not value:
        return None
    if value not in {"1", "2", "3", "4", "5", "6"}:
        raise BadForm("effort is a READ-scale level from 1 to 6")
    return int(value)

