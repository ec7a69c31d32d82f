"""A stand-in for Turnitin's Core API (TCA), for the tests and the demo.

The routes, headers, statuses and JSON shapes of the calls refbot makes
(:mod:`connectors.turnitin.similarity`), under ``/api/v1``:

- ``POST /submissions`` → 201 ``{id, owner, title, status: "CREATED"}``
- ``PUT /submissions/{id}/original`` → 202; 409 when a file was uploaded already, 413 over
  ``state.max_bytes``, 400 without ``Content-Disposition``
- ``GET /submissions/{id}`` → ``{id, status}``: ``PROCESSING`` for ``state.upload_polls`` looks,
  then ``COMPLETE`` — or ``ERROR`` with ``error_code`` when one was set (``{"error_code": …}``)
- ``PUT /submissions/{id}/similarity`` → 202; 409 while the submission is not ``COMPLETE``
- ``GET /submissions/{id}/similarity`` → 404 until asked for; ``PROCESSING`` for
  ``state.report_polls`` looks, then ``COMPLETE`` with ``overall_match_percentage``
- ``POST /submissions/{id}/similarity/pdf`` → ``{id}``; ``GET …/pdf/{pdf_id}/status`` →
  ``PENDING`` once, then ``SUCCESS``; ``GET …/pdf/{pdf_id}`` → the report, a real PDF

Every call needs ``Authorization: Bearer <key>`` (else 401) and ``X-Turnitin-Integration-Name``
and ``-Version`` (else 400); an unknown submission is 404. Errors are ``{"message": …}``.

Faults on demand, like the other stand-ins: ``POST /_control`` with ``{"status": 503,
"times": 2, "on": "upload"}`` (``on``: create, upload, submission, similarity, pdf or any),
``{"status": 429, "retry_after": 1}``, ``{"error_code": "CANNOT_EXTRACT_TEXT"}`` (the next
upload ends in ``ERROR``), ``{"percent": 12}``, ``{"report_polls": 3}``, ``{"max_bytes": 1000}``,
``{"reset": true}``. ``state.calls`` lists every call as ``"METHOD /path"``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from fpdf import FPDF

API = "/api/v1"


@dataclass
class Submission:
    """One submission as Turnitin keeps it."""

    id: str
    owner: str
    title: str
    status: str = "CREATED"
    error_code: str = ""
    looks: int = 0
    report: str = ""  # '' (not asked) | PROCESSING | COMPLETE
    report_looks: int = 0
    pdfs: dict[str, int] = field(default_factory=dict)  # pdf id → status looks so far
    size: int = 0


@dataclass
class TurnitinFault:
    status: int
    times: int
    on: str = "any"
    retry_after: float | None = None


@dataclass
class TurnitinState:
    """What the stand-in holds; tests read and set it directly."""

    api_key: str
    submissions: dict[str, Submission] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    faults: list[TurnitinFault] = field(default_factory=list)
    upload_polls: int = 1
    report_polls: int = 2
    percent: float = 12.0
    max_bytes: int = 100_000_000
    next_error: str = ""

    def reset(self) -> None:
        self.submissions.clear()
        self.calls.clear()
        self.faults.clear()
        self.upload_polls, self.report_polls, self.percent = 1, 2, 12.0
        self.max_bytes, self.next_error = 100_000_000, ""


TURNITIN_STATE = web.AppKey("turnitin_state", TurnitinState)


def create_turnitin_standin(api_key: str) -> web.Application:
    """The stand-in as an application to mount (``/sandbox/turnitin``) or serve on its own."""
    app = web.Application(middlewares=[_guard])
    app[TURNITIN_STATE] = TurnitinState(api_key)
    r = app.router
    r.add_post("/_control", _control)
    r.add_post(f"{API}/submissions", _create)
    r.add_get(f"{API}/submissions/{{id}}", _submission)
    r.add_put(f"{API}/submissions/{{id}}/original", _upload)
    r.add_put(f"{API}/submissions/{{id}}/similarity", _request_report)
    r.add_get(f"{API}/submissions/{{id}}/similarity", _report)
    r.add_post(f"{API}/submissions/{{id}}/similarity/pdf", _request_pdf)
    r.add_get(f"{API}/submissions/{{id}}/similarity/pdf/{{pdf}}/status", _pdf_status)
    r.add_get(f"{API}/submissions/{{id}}/similarity/pdf/{{pdf}}", _pdf)
    return app


def _state(request: web.Request) -> TurnitinState:
    return request.app[TURNITIN_STATE]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status, headers=headers)


_ROUTE_NAMES = {"_create": "create", "_upload": "upload", "_submission": "submission", "_request_report": "similarity",
                "_report": "similarity", "_request_pdf": "pdf", "_pdf_status": "pdf", "_pdf": "pdf"}


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Record the call, check the key and headers, and play any fault set for this route."""
    state = _state(request)
    if request.path == "/_control":
        return await handler(request)
    state.calls.append(f"{request.method} {request.path.removeprefix(API)}")
    if request.headers.get("Authorization", "") != f"Bearer {state.api_key}" or not state.api_key:
        return _error(401, "Unauthorized: the API key is missing or not valid")
    if not request.headers.get("X-Turnitin-Integration-Name") or not request.headers.get("X-Turnitin-Integration-Version"):
        return _error(400, "X-Turnitin-Integration-Name and X-Turnitin-Integration-Version are required")
    name = _ROUTE_NAMES.get(getattr(request.match_info.handler, "__name__", ""), "")
    fault = next((f for f in state.faults if f.on in ("any", name) and f.times > 0), None)
    if fault is not None:
        fault.times -= 1
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
        return _error(fault.status, "Too Many Requests" if fault.status == 429 else "stand-in fault", headers)
    return await handler(request)


async def _control(request: web.Request) -> web.Response:
    state = _state(request)
    body = await request.json()
    if body.get("reset"):
        state.reset()
    if "status" in body:
        state.faults.append(TurnitinFault(int(body["status"]), int(body.get("times", 1)), str(body.get("on", "any")),
                                          float(body["retry_after"]) if "retry_after" in body else None))
    for key in ("upload_polls", "report_polls", "max_bytes"):
        if key in body:
            setattr(state, key, int(body[key]))
    if "percent" in body:
        state.percent = float(body["percent"])
    if "error_code" in body:
        state.next_error = str(body["error_code"])
    return web.json_response({"ok": True})


def _find(request: web.Request) -> Submission | None:
    return _state(request).submissions.get(request.match_info["id"])


async def _create(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "the body must be JSON")
    if not isinstance(body, dict) or not body.get("owner") or not body.get("title"):
        return _error(400, "owner and title are required")
    submission = Submission(secrets.token_hex(8), str(body["owner"]), str(body["title"]))
    _state(request).submissions[submission.id] = submission
    return web.json_response({"id": submission.id, "owner": submission.owner, "title": submission.title,
                              "status": submission.status}, status=201)


async def _upload(request: web.Request) -> web.Response:
    state, submission = _state(request), _find(request)
    if submission is None:
        return _error(404, "Submission not found")
    if submission.status != "CREATED":
        return _error(409, "A file has already been uploaded to this submission")
    if "filename=" not in request.headers.get("Content-Disposition", ""):
        return _error(400, "Content-Disposition with a filename is required")
    data = await request.read()
    if len(data) > state.max_bytes:
        return _error(413, "File exceeds the maximum size")
    submission.size = len(data)
    submission.status = "PROCESSING"
    submission.error_code, state.next_error = state.next_error, ""
    return web.json_response({"message": f"Successfully uploaded file for Submission ID {submission.id}"}, status=202)


async def _submission(request: web.Request) -> web.Response:
    state, submission = _state(request), _find(request)
    if submission is None:
        return _error(404, "Submission not found")
    if submission.status == "PROCESSING":
        submission.looks += 1
        if submission.looks >= state.upload_polls:
            submission.status = "ERROR" if submission.error_code else "COMPLETE"
    found: dict[str, Any] = {"id": submission.id, "owner": submission.owner, "title": submission.title,
                             "status": submission.status}
    if submission.status == "ERROR":
        found["error_code"] = submission.error_code
    return web.json_response(found)


async def _request_report(request: web.Request) -> web.Response:
    submission = _find(request)
    if submission is None:
        return _error(404, "Submission not found")
    if submission.status != "COMPLETE":
        return _error(409, "The submission has not finished processing")
    body = await request.json()
    if not isinstance(body, dict) or "generation_settings" not in body:
        return _error(400, "generation_settings is required")
    submission.report = submission.report or "PROCESSING"
    return web.json_response({"message": "Successfully requested Similarity Report"}, status=202)


async def _report(request: web.Request) -> web.Response:
    state, submission = _state(request), _find(request)
    if submission is None or not submission.report:
        return _error(404, "Similarity Report not found")
    if submission.report == "PROCESSING":
        submission.report_looks += 1
        if submission.report_looks >= state.report_polls:
            submission.report = "COMPLETE"
    found: dict[str, Any] = {"submission_id": submission.id, "status": submission.report}
    if submission.report == "COMPLETE":
        found["overall_match_percentage"] = state.percent
    return web.json_response(found)


async def _request_pdf(request: web.Request) -> web.Response:
    submission = _find(request)
    if submission is None or submission.report != "COMPLETE":
        return _error(404, "Similarity Report not found")
    pdf_id = secrets.token_hex(6)
    submission.pdfs[pdf_id] = 0
    return web.json_response({"id": pdf_id})


async def _pdf_status(request: web.Request) -> web.Response:
    submission = _find(request)
    pdf_id = request.match_info["pdf"]
    if submission is None or pdf_id not in submission.pdfs:
        return _error(404, "PDF not found")
    submission.pdfs[pdf_id] += 1
    return web.json_response({"status": "SUCCESS" if submission.pdfs[pdf_id] > 1 else "PENDING"})


async def _pdf(request: web.Request) -> web.Response:
    state, submission = _state(request), _find(request)
    pdf_id = request.match_info["pdf"]
    if submission is None or submission.pdfs.get(pdf_id, 0) < 2:
        return _error(404, "PDF not found")
    return web.Response(body=report_pdf(submission.title, state.percent), content_type="application/pdf")


def report_pdf(title: str, percent: float) -> bytes:
    """A one-page similarity report, as the stand-in renders it."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(0, 12, "Similarity Report (sandbox)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, f"{title}: {percent:g}% overall similarity", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
