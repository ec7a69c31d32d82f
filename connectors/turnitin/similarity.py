"""A similarity check through Turnitin's Core API, step by step (the :class:`refbot.ports.SimilarityService`).

The calls, as TCA documents them (``/api/v1`` under the tenant's address):

1. ``POST /submissions`` with ``owner``, ``title`` and ``owner_default_permission_set`` → ``201``
   and the submission's ``id`` (status ``CREATED``);
2. ``PUT /submissions/{id}/original`` with the file's bytes → ``202``; the submission is
   ``PROCESSING`` and then ``COMPLETE`` — or ``ERROR`` with an ``error_code`` such as
   ``CANNOT_EXTRACT_TEXT``, ``TOO_LITTLE_TEXT``, ``TOO_MANY_PAGES``, ``FILE_LOCKED``,
   ``CORRUPT_FILE`` or ``PROCESSING_ERROR``;
3. ``GET /submissions/{id}`` to see which (or Turnitin's ``SUBMISSION_COMPLETE`` webhook);
4. ``PUT /submissions/{id}/similarity`` with ``generation_settings`` → ``202``;
5. ``GET /submissions/{id}/similarity`` → ``status`` ``PROCESSING`` or ``COMPLETE`` with
   ``overall_match_percentage`` (or the ``SIMILARITY_COMPLETE`` webhook);
6. ``POST /submissions/{id}/similarity/pdf`` → the PDF's ``id``;
   ``GET /submissions/{id}/similarity/pdf/{pdf_id}/status`` → ``PENDING``, ``SUCCESS`` or
   ``FAILED``; ``GET /submissions/{id}/similarity/pdf/{pdf_id}`` → the report.

refbot polls (steps 3 and 5) from its chores rather than registering a webhook: a library's
desk is rarely reachable from Turnitin's side, and a poll a minute is well within TCA's limits.
"""

from __future__ import annotations

import aiohttp

from connectors._http import as_list, as_text
from connectors.turnitin.client import TurnitinClient
from refbot.config import Secret, SimilaritySettings
from refbot.ports import SimilarityError, SimilarityProgress, SimilarityReport

# Search everything the licence allows; exclude matches with the library's own earlier submissions
# of the same work (a student checking chapter 2 twice must not match themselves).
GENERATION_SETTINGS = {
    "search_repositories": ["INTERNET", "PUBLICATION", "SUBMITTED_WORK", "CROSSREF", "CROSSREF_POSTED_CONTENT"],
    "auto_exclude_self_matching_scope": "ALL",
}


class TurnitinSimilarity:
    """Turnitin's Core API behind :class:`refbot.ports.SimilarityService`."""

    name = "turnitin"

    def __init__(
        self, settings: SimilaritySettings, api_key: Secret, session: aiohttp.ClientSession, *, backoff: float = 1.0,
    ) -> None:
        self.client = TurnitinClient(settings.turnitin_base_url, api_key.get(), session,
                                     integration=settings.turnitin_integration_name,
                                     timeout=settings.turnitin_timeout, backoff=backoff)

    async def submit(self, *, title: str, owner: str, filename: str, data: bytes) -> str:
        """Create the submission, then upload the file to it."""
        created = await self.client.json("POST", "/submissions", {
            "owner": owner, "title": title[:200], "owner_default_permission_set": "INSTRUCTOR",
            "extract_text_only": False,
        }, ok=(200, 201))
        submission = as_text(created.get("id"))
        if not submission:
            raise SimilarityError("POST /submissions: Turnitin gave no submission id", transient=True)
        await self.client.upload(f"/submissions/{submission}/original", filename, data)
        return submission

    async def progress(self, submission_id: str) -> SimilarityProgress:
        """The submission's state; once processed, the report's (asking for it the first time)."""
        info = await self.client.json("GET", f"/submissions/{submission_id}", ok=(200,))
        status = as_text(info.get("status")).upper()
        if status == "ERROR":
            return SimilarityProgress("failed", reason=as_text(info.get("error_code")) or "ERROR")
        if status != "COMPLETE":
            return SimilarityProgress("processing")
        return await self._similarity(submission_id)

    async def _similarity(self, submission_id: str) -> SimilarityProgress:
        path = f"/submissions/{submission_id}/similarity"
        try:
            report = await self.client.json("GET", path, ok=(200,))
        except SimilarityError as e:
            if e.status != 404:
                raise
            await self.client.json("PUT", path, {"generation_settings": GENERATION_SETTINGS}, ok=(200, 202))
            return SimilarityProgress("processing")
        status = as_text(report.get("status")).upper()
        if status == "COMPLETE":
            percent = report.get("overall_match_percentage")
            if isinstance(percent, int | float) and not isinstance(percent, bool):
                return SimilarityProgress("complete", percent=float(percent))
            raise SimilarityError(f"GET {path}: COMPLETE without overall_match_percentage", transient=True)
        if status == "ERROR" or status == "FAILED":
            return SimilarityProgress("failed", reason=_errors(report) or status)
        return SimilarityProgress("processing")

    async def report(self, submission_id: str, pdf_id: str = "") -> SimilarityReport:
        """Ask for the report's PDF (once), then fetch it when Turnitin has rendered it."""
        base = f"/submissions/{submission_id}/similarity/pdf"
        if not pdf_id:
            asked = await self.client.json("POST", base, {"locale": "en-US"}, ok=(200, 201, 202))
            pdf_id = as_text(asked.get("id"))
            if not pdf_id:
                raise SimilarityError(f"POST {base}: Turnitin gave no PDF id", transient=True)
        state = await self.client.json("GET", f"{base}/{pdf_id}/status", ok=(200,))
        status = as_text(state.get("status")).upper()
        if status == "FAILED":
            raise SimilarityError(f"GET {base}/{pdf_id}/status: the report PDF failed", transient=False)
        if status != "SUCCESS":
            return SimilarityReport(pdf_id)
        return SimilarityReport(pdf_id, await self.client.binary(f"{base}/{pdf_id}"))


def _errors(report: dict[str, object]) -> str:
    return ", ".join(as_text(e) for e in as_list(report.get("errors")))
