"""Similarity checks in the console: the list, one check, its files, and the librarian's moves.

The same rules as on WhatsApp (:mod:`refbot.services.similarity.results`): the first librarian
to take a check keeps it, and a result reaches the patron once. The manuscript is unpublished
work: it is served only to a signed-in librarian, as a download, and every download is an
audit event (``similarity_download``) naming who fetched which file.
"""

from __future__ import annotations

from aiohttp import web

from refbot.errors import RequestConflict
from refbot.services.similarity import results
from refbot.services.similarity.documents import PDF
from refbot.store.media import media_store
from refbot.store.similarity import KIND, SimilarityCheck, SimilarityStore
from refbot.web.console.state import console, current_account, redirect, render, services, texts

STAGES = ("open", "checking", "ready", "claimed", "done")
MAX_ID = 2**63 - 1
FLASHES = {"taken": "similarity_flash_taken", "sent": "similarity_flash_sent"}


async def similarity_list(request: web.Request) -> web.Response:
    """Every check, pending first; ``?stage=open`` (claimed, ready, done…) shows one kind."""
    stage = request.query.get("stage", "")
    checks = await SimilarityStore(services(request).store).listed()
    shown = [c for c in checks if not stage or c.stage == stage] if stage in ("", *STAGES) else checks
    counts = {s: sum(1 for c in checks if c.stage == s) for s in STAGES}
    return render(request, "similarity.html", checks=shown, stage=stage, stages=STAGES, counts=counts)


async def similarity_page(request: web.Request, *, status: int = 200, error: str = "") -> web.Response:
    """One check: its facts, its files, and the forms to take it, attach the result or approve Turnitin's."""
    check = await _check(request)
    t = texts(request)
    key = FLASHES.get(request.query.get("done", ""))
    return render(request, "similarity_request.html", status=status, check=check, error=error,
                  flash=t(key, id=check.id) if key else "", percent=_shown(check.percent))


async def similarity_file(request: web.Request) -> web.StreamResponse:
    """The manuscript or the report, as a download; each one is written in the audit log."""
    check = await _check(request)
    which = request.match_info["file"]
    key = check.manuscript if which == "manuscript" else check.report
    svc = services(request)
    data = await media_store(svc.settings, svc.store).get(key) if key else None
    if data is None:
        raise web.HTTPGone(text=texts(request)("similarity_file_gone"))
    async with svc.store.tx() as db:
        await svc.store.add_event(db, current_account(request).actor, "similarity_download", f"{KIND}:{check.id}",
                                  {"file": which, "bytes": len(data)})
    suffix = ".docx" if key.endswith(".docx") else ".pdf"
    name = f"similarity-{check.id}-{'naskah' if which == 'manuscript' else 'laporan'}{suffix}"
    mime = check.mime_type if which == "manuscript" else PDF
    return web.Response(body=data, content_type=mime, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def similarity_action(request: web.Request) -> web.Response:
    """Take the check, attach the result, or approve Turnitin's result."""
    check = await _check(request)
    action = request.match_info["action"]
    actor = current_account(request).actor
    svc = services(request)
    t = texts(request)
    try:
        if action == "take":
            holder = await results.take(svc.store, check.id, actor)
            if holder != actor:
                raise RequestConflict("taken", decided_by=holder, status="claimed")
            done = "taken"
        elif action in ("result", "approve"):
            percent, report = await _result_form(request) if action == "result" else (None, None)
            await results.send_result(svc.store, svc.settings, media_store(svc.settings, svc.store), check.id, actor,
                                      percent, report)
            svc.wake()  # send now rather than at the next poll
            done = "sent"
        else:
            raise web.HTTPNotFound()
    except RequestConflict as e:
        who = e.decided_by or "?"
        return await similarity_page(request, status=409, error=t("similarity_conflict", id=check.id, who=who))
    except results.ResultRefused as e:
        return await similarity_page(request, status=400, error=t(e.key, id=check.id))
    return redirect(f"{console(request).prefix}/similarity/{check.id}?done={done}")


async def _result_form(request: web.Request) -> tuple[float | None, bytes | None]:
    form = await request.post()  # read once by the guard (CSRF) and cached
    raw = str(form.get("percent", "")).strip().rstrip("%").replace(",", ".")
    try:
        percent = float(raw) if raw else None
    except ValueError:
        percent = None
    upload = form.get("report")
    report = None
    if isinstance(upload, web.FileField):
        with upload.file:  # a large upload is spooled to a temporary file: close it
            report = upload.file.read()
    results.check_percent(percent)
    if not report:
        raise results.ResultRefused("similarity_report_missing")
    return percent, report


async def _check(request: web.Request) -> SimilarityCheck:
    request_id = int(request.match_info["id"])
    if request_id > MAX_ID:
        raise web.HTTPNotFound()
    check = await SimilarityStore(services(request).store).get(request_id)
    if check is None:
        raise web.HTTPNotFound()
    return check


def _shown(percent: float | None) -> str:
    return results.percent_text(percent) if percent is not None else ""
