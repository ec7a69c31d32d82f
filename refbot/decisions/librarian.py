"""A librarian's moves on WhatsApp: the draft buttons and the ``#12 hapus 2`` edit commands.

A thin adapter over :mod:`refbot.decisions.drafts`; what it adds is reading the librarian's words
and answering them in the desk's language. It keeps the librarians' phones quiet: a colleague's
approval or rejection reaches the others as one line (their old buttons then answer "already
approved by Dewi"), and an edit is confirmed to its editor only, as what changed rather than
the whole draft again (``#12 lihat`` shows the whole draft on request). ``#12 jawab <teks>``
answers the patron in the librarian's own words: instead of the list, or after *Tolak*. On a weak
draft, *Tanya pemustaka* (or ``#12 tanya [teks]``) sends the patron a clarifying question instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from refbot.config import Settings
from refbot.decisions import deciders, drafts, fanout
from refbot.delivery import render
from refbot.errors import DraftConflict, EditRefused
from refbot.models import Button, Draft, DraftStatus, InboundMessage, OutgoingMessage
from refbot.store import InboxRow, Store
from refbot.texts import TEXT_LIMIT, t

log = logging.getLogger(__name__)

_BUTTON = re.compile(r"^(approve|edit|reject|clarify):(\d+)$")
_COMMAND = re.compile(r"^\s*#(\d+)\s+(\w+)\s*(.*)$", re.DOTALL)
_REMOVE = {"hapus", "buang", "remove", "delete", "drop"}
_ORDER = {"urut", "urutkan", "order", "reorder"}
_NOTE = {"catatan", "note", "pesan"}
_SHOW = {"lihat", "show", "tampilkan"}
_ANSWER = {"jawab", "answer", "balas"}
_CLARIFY = {"tanya", "tanyakan", "clarify", "ask"}


def is_librarian_action(message: InboundMessage) -> bool:
    """Whether a librarian's message is a draft button or an edit command."""
    return bool(_BUTTON.match(message.button_id) or _COMMAND.match(message.text))


@dataclass
class LibrarianActions:
    """Carries out a librarian's button press or command and queues the answer."""

    store: Store
    settings: Settings
    notify: Callable[[int], Awaitable[None]]

    @property
    def language(self) -> str:
        return self.settings.language.default

    async def handle(self, row: InboxRow) -> None:
        """Act on the draft the message names, reply to the librarian, finish the row."""
        message = row.message
        button = _BUTTON.match(message.button_id)
        command = _COMMAND.match(message.text)
        draft_id = int(button[2]) if button else int(command[1]) if command else 0
        reply: str | list[OutgoingMessage]
        try:
            if button:
                reply = await self._button(button[1], draft_id, message.sender)
            else:
                assert command is not None
                reply = await self._command(draft_id, command[2].lower(), command[3], message.sender, row.id)
        except DraftConflict as e:
            reply = await self._conflict_text(draft_id, str(e))
        except EditRefused as e:
            reason = t(self.language, e.key, **e.values) if e.key else str(e)
            reply = t(self.language, "edit_failed", id=draft_id, reason=reason)
        replies = [OutgoingMessage(to=message.sender, text=reply)] if isinstance(reply, str) and reply else reply or []
        async with self.store.tx() as db:
            for n, answer in enumerate(replies):
                key = f"reply:{row.id}" if n == 0 else f"reply:{row.id}:{n}"
                await self.store.enqueue(db, key, replace(answer, to=message.sender))
            await self.store.finish_inbox(row.id, db)

    async def _button(self, action: str, draft_id: int, actor: str) -> str:
        if action == "approve":
            await drafts.approve(self.store, draft_id, actor, language=self.language)
            await self._announce(draft_id, DraftStatus.APPROVED, actor)
            return t(self.language, "approved_ack", id=draft_id)
        if action == "reject":
            await drafts.reject(self.store, draft_id, actor, language=self.language)
            await self._announce(draft_id, DraftStatus.REJECTED, actor)
            return t(self.language, "rejected_ack", id=draft_id)
        if action == "clarify":
            return await self._clarify(draft_id, actor, "")
        console = ""
        if self.settings.secrets.console_secret or self.settings.sandbox.enabled:
            library = f"/{self.settings.library_id}" if self.settings.library_id else ""  # as web.console.draft_url
            console = t(self.language, "edit_console", url=f"{self.settings.public_url}/console{library}/drafts/{draft_id}")
        return t(self.language, "edit_help", id=draft_id, console=console)

    async def _command(
        self, draft_id: int, verb: str, rest: str, actor: str, inbox_id: int,
    ) -> str | list[OutgoingMessage]:
        numbers = [int(n) for n in re.findall(r"\d+", rest)]
        idem = f"inbox:{inbox_id}"
        if verb in _SHOW:
            return await self._whole_draft(draft_id)
        if verb in _ANSWER:
            return await answer_draft(self.store, self.settings, draft_id, actor, rest)
        if verb in _CLARIFY:
            return await self._clarify(draft_id, actor, rest)
        before = await self.store.get_draft(draft_id)
        if verb in _REMOVE:
            decision = await drafts.edit(self.store, draft_id, actor, remove=numbers, idem=idem)
        elif verb in _ORDER:
            repeated = next((n for n in numbers if numbers.count(n) > 1), None)
            if repeated is not None:  # "urut 1 1" cannot say where item 1 goes
                return t(self.language, "edit_order_repeated", id=draft_id, number=repeated)
            decision = await drafts.edit(self.store, draft_id, actor, order=numbers, idem=idem)
        elif verb in _NOTE:
            decision = await drafts.edit(self.store, draft_id, actor, note=rest, idem=idem)
        else:
            raise EditRefused(f"unknown command '{verb}'", key="edit_unknown_command", verb=verb)
        if not decision.changed:  # said so, rather than silence the librarian would wait on
            return t(self.language, "edit_unchanged", id=draft_id)
        assert before is not None  # the edit found it
        return [edit_diff(before, decision.draft, numbers if verb in _REMOVE else [],
                          numbers if verb in _ORDER else [], self.language)]

    async def _clarify(self, draft_id: int, actor: str, text: str) -> str:
        """Ask the patron to clarify (in ``text``, or refbot's question in their language)."""
        await drafts.clarify(self.store, draft_id, actor, text=text, language=self.language)
        await self._announce(draft_id, DraftStatus.ASKED, actor)
        return t(self.language, "clarify_ack", id=draft_id)

    async def _whole_draft(self, draft_id: int) -> list[OutgoingMessage]:
        draft = await self.store.get_draft(draft_id)
        request = await self.store.get_request(draft.request_id) if draft else None
        if draft is None or request is None:
            raise DraftConflict(f"draft {draft_id} does not exist")
        return render.librarian_draft(draft, request.need, self.language, to="")

    async def _announce(self, draft_id: int, status: DraftStatus, actor: str) -> None:
        await announce(self.store, self.settings, draft_id, status, actor)

    async def _conflict_text(self, draft_id: int, reason: str) -> str:
        log.info("librarian action on draft %s refused: %s", draft_id, reason)
        return await conflict_text(self.store, self.settings, draft_id)


async def conflict_text(store: Store, settings: Settings, draft_id: int) -> str:
    """What a librarian is told when a draft was decided before them: who, and what, in words."""
    language = settings.language.default
    draft = await store.get_draft(draft_id)
    if draft is None:
        return t(language, "not_found", id=draft_id)
    decided_by = await store.draft_decided_by(draft_id)
    if draft.status is DraftStatus.EXPIRED and not decided_by:
        return t(language, "conflict_erased", id=draft_id)  # only erasure closes a draft nobody decided
    who = deciders.who(decided_by, await deciders.actor_names(store, settings.librarians), language,
                       patron=draft.patron)
    return t(language, "conflict", id=draft_id, status=t(language, f"status_{draft.status.value}"), who=who)


async def announce(store: Store, settings: Settings, draft_id: int, status: DraftStatus, actor: str) -> None:
    """Tell the other librarians, in one line, that ``actor`` decided a draft."""
    language = settings.language.default
    who = deciders.who(actor, await deciders.actor_names(store, settings.librarians), language)
    line = OutgoingMessage(to="", text=t(language, "decided_notice", id=draft_id,
                                         status=t(language, f"status_{status.value}"), who=who))
    async with store.tx() as db:
        await fanout.to_colleagues(store, db, settings.librarians, actor, f"draft:{draft_id}:decided", [line],
                                   draft_id=draft_id)


async def answer_draft(store: Store, settings: Settings, draft_id: int, actor: str, text: str) -> str:
    """Answer a draft's patron in the librarian's own words; the acknowledgement (or why not).

    A pending draft is rejected with these words as the patron's message; a rejected one (the
    patron was told a librarian will reply personally) gets them as that reply, once.
    """
    language, text = settings.language.default, text.strip()
    if not text:
        return t(language, "draft_answer_usage", id=draft_id)
    draft = await store.get_draft(draft_id)
    try:
        if draft is not None and draft.status is DraftStatus.REJECTED:
            await _reply_after_rejection(store, draft, actor, text)
        else:
            await drafts.reject(store, draft_id, actor, reply=text, language=language)
            await announce(store, settings, draft_id, DraftStatus.REJECTED, actor)
    except DraftConflict:
        return await conflict_text(store, settings, draft_id)
    return t(language, "draft_answer_ack", id=draft_id)


async def _reply_after_rejection(store: Store, draft: Draft, actor: str, text: str) -> None:
    # One personal reply per rejected draft: the outbox key makes it exactly-once, so a second
    # librarian's is refused (and told who decided) rather than sent twice.
    message = OutgoingMessage(to=draft.patron, text=text[:TEXT_LIMIT])
    async with store.tx() as db:
        if not await store.enqueue(db, f"draft:{draft.id}:answer:patron:0", message, draft.id):
            raise DraftConflict(f"draft {draft.id} was already answered")
        await store.add_event(db, actor, "answer", f"draft:{draft.id}", {"after": "rejected"})


def edit_diff(
    before: Draft, after: Draft, removed: list[int], order: list[int], language: str,
) -> OutgoingMessage:
    """What an edit changed, for its editor: removed titles, the new order, the note; with the buttons."""
    lines = [t(language, "edit_diff", id=after.id, version=after.version, count=len(after.items))]
    titles = [before.items[n - 1].candidate.title[:60] for n in dict.fromkeys(removed) if 1 <= n <= len(before.items)]
    if titles:
        lines.append(t(language, "edit_diff_removed", items="; ".join(titles)))
    if order:
        lines.append(t(language, "edit_diff_order", order=" ".join(str(n) for n in order)))
    if after.note != before.note:
        lines.append(t(language, "edit_diff_note", note=after.note[:300] or "—"))
    lines.append(t(language, "edit_diff_actions", id=after.id, version=after.version))
    buttons = (Button(f"approve:{after.id}", t(language, "button_approve")),
               Button(f"edit:{after.id}", t(language, "button_edit")),
               Button(f"reject:{after.id}", t(language, "button_reject")))
    return OutgoingMessage(to="", text="\n".join(lines)[:1024], buttons=buttons)
