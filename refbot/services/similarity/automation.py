"""Checks run by a similarity checker (Turnitin) so a librarian only approves the result.

Each automated check moves through ``turnitin_state`` one step per look, each look a chore
(:meth:`SimilarityRunner.poll_due`, run by :class:`refbot.delivery.chores.Chores`):

``submit``      create the submission and upload the manuscript → ``processing``
``processing``  ask how far it is; once the file is processed the checker is asked for the
                report; once the report is complete → ``report``
``report``      ask for the report's PDF and fetch it when rendered → ``ready``: every
                librarian is asked to approve (``SETUJU#12`` or the console)
``failed``      the checker refused (no text, too large, a bad key…) or did not finish within
                ``similarity.turnitin_give_up_minutes``: the check goes to the librarians by
                hand, with a note saying why

A transient failure (the checker down, slow, asking refbot to wait) is tried again at the
next look, later each time; every state is a row, so a crash resumes where it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from refbot.config import Settings
from refbot.decisions import fanout
from refbot.models import OutgoingMessage
from refbot.ports import MediaStore, SimilarityError, SimilarityService
from refbot.services.replies import clip
from refbot.services.similarity import results
from refbot.services.similarity.links import console_link
from refbot.services.similarity.service import librarian_notice
from refbot.store import Store
from refbot.store.similarity import SimilarityCheck, SimilarityStore
from refbot.texts import t

log = logging.getLogger(__name__)


@dataclass
class SimilarityRunner:
    """Advances automated checks (a :class:`refbot.ports.SimilarityPolling`)."""

    store: Store
    settings: Settings
    media: MediaStore
    checker: SimilarityService

    @property
    def checks(self) -> SimilarityStore:
        return SimilarityStore(self.store)

    async def poll_due(self) -> int:
        """Take every due check one step; returns how many were looked at."""
        due = await self.checks.due(self.store.clock())
        for check in due:
            try:
                await self._step(check)
            except SimilarityError as e:
                await self._failed(check, e)
        return len(due)

    async def _step(self, check: SimilarityCheck) -> None:
        if check.turnitin_state == "submit":
            await self._submit(check)
            return
        progress = await self.checker.progress(check.turnitin_id)
        if progress.state == "failed":
            await self._fall_back(check, t(self._language, "similarity_note_turnitin_failed",
                                           reason=progress.reason or "ERROR"))
        elif progress.state != "complete" or progress.percent is None:
            await self._again(check, "processing")
        else:
            await self._report(check, progress.percent)

    async def _submit(self, check: SimilarityCheck) -> None:
        data = await self.media.get(check.manuscript) if check.manuscript else None
        if data is None:
            await self._fall_back(check, t(self._language, "similarity_note_file_missing"))
            return
        filename = check.detail_filename or f"naskah-{check.id}"
        submission = await self.checker.submit(title=f"refbot #{check.id}", owner=self.settings.similarity.turnitin_owner,
                                               filename=filename, data=data)
        await self.checks.advance(check.id, state="processing", turnitin_id=submission, next_poll_at=self._next())

    async def _report(self, check: SimilarityCheck, percent: float) -> None:
        rendered = await self.checker.report(check.turnitin_id, check.turnitin_pdf)
        if rendered.data is None:
            await self.checks.advance(check.id, state="report", turnitin_pdf=rendered.pdf_id, next_poll_at=self._next())
            return
        try:
            report = results.check_report(rendered.data)
        except results.ResultRefused:
            await self._fall_back(check, t(self._language, "similarity_note_turnitin_failed", reason="PDF"))
            return
        key = results.report_key(check.id, report)
        await self.media.put(key, report, "application/pdf")
        async with self.store.tx() as db:
            await self.checks.record_result(db, check.id, percent, key, sent=False)
            ask = t(self._language, "similarity_approve", id=check.id, percent=results.percent_text(percent),
                    url=console_link(self.settings, check.id))
            await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{check.id}:ready",
                                       [OutgoingMessage(to="", text=ask)])

    async def _failed(self, check: SimilarityCheck, error: SimilarityError) -> None:
        log.warning("similarity check #%d at %s: %s", check.id, self.checker.name, error.reason)
        if error.transient and not self._overdue(check):
            await self._again(check, check.turnitin_state)
            return
        await self._fall_back(check, t(self._language, "similarity_note_turnitin_failed", reason=clip(error.reason, 200)))

    async def _again(self, check: SimilarityCheck, state: str) -> None:
        if self._overdue(check):
            await self._fall_back(check, t(self._language, "similarity_note_turnitin_slow",
                                           minutes=round(self.settings.similarity.turnitin_give_up_minutes)))
            return
        await self.checks.advance(check.id, state=state, next_poll_at=self._next())

    async def _fall_back(self, check: SimilarityCheck, note: str) -> None:
        """Hand the check to the librarians by hand, saying why the checker did not do it."""
        detail = {"filename": check.detail_filename, "mime_type": check.mime_type, "pages": check.pages,
                  "words": check.words, "has_text": check.has_text, "size": check.size}
        async with self.store.tx() as db:
            await self.checks.advance_in(db, check.id, state="failed", next_poll_at=None, note=note)
            notice = librarian_notice(self.settings, check.id, check.patron, detail, note)
            await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{check.id}:manual", [notice])

    def _overdue(self, check: SimilarityCheck) -> bool:
        return self.store.clock() - check.created_at > self.settings.similarity.turnitin_give_up_minutes * 60

    def _next(self) -> float:
        return self.store.clock() + self.settings.similarity.turnitin_poll_seconds

    @property
    def _language(self) -> str:
        return self.settings.language.default
