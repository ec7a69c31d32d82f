"""Saving an approved list to Zotero, as a collection named after the patron's request.

Every saved list sits in one parent collection (:data:`PARENT_NAME`), titled ``refbot #<draft>
— <topic words>``: the request's number and the topics refbot understood, never the patron's
own sentence, which may name them, their thesis or their supervisor. When the patron erases
their data (``HAPUS DATA``) the collection loses the topic words too and keeps only its
number (:meth:`ZoteroSaver.forget_erased`): the list itself is bibliographic and stays the
library's. A save can be repeated safely — after a crash, a 500 whose write may or may not
have landed, a 429 — because each step looks before it writes: the collection is found by the
key stored for the draft (or by its name) before one is created, and items already in it (by
the ``refbot:`` line in their ``extra``) are not created again. Retracted items are never saved,
as they are never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyzotero import zotero

from connectors.zotero.client import ZoteroClient, everything
from connectors.zotero.items import TYPE_BY_KIND, candidate_to_item, marker, markers_in
from refbot.errors import SourceError
from refbot.models import Candidate, Draft, InformationNeed
from refbot.store import Store

log = logging.getLogger(__name__)

PARENT_NAME = "refbot: daftar yang disetujui"
MAX_WRITE = 50
TOPIC_WORDS = 6
TOPIC_CHARS = 60


@dataclass(frozen=True)
class ItemsOutcome:
    """What one pass of adding items did."""

    created: int
    already: int
    failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SaveResult:
    """Where an approved list went in Zotero."""

    collection: str
    name: str
    created: int
    already: int
    failed: tuple[str, ...] = ()


class ZoteroSaver:
    """Saves approved drafts into one Zotero library."""

    def __init__(self, client: ZoteroClient, store: Store) -> None:
        """Write through ``client``; remember in ``store`` which collection each draft went to."""
        self._client = client
        self._store = store
        self.library = client.library

    async def save(self, draft: Draft) -> SaveResult:
        """Save a draft's items (retracted ones left out) as a collection; safe to call again.

        Raises:
            SourceError: Zotero refused or could not be reached, after retries.
        """
        candidates = [r.candidate for r in draft.items if not r.candidate.retracted]
        request = await self._store.get_request(draft.request_id)
        name = collection_name(draft.id, request.need if request is not None else None)
        known = await self._known_collection(draft.id)
        key = await self._client.run(lambda zot: find_or_create_collection(zot, name, known), "save collection")
        await self._record(draft.id, key, 0)
        outcome = await self._client.run(lambda zot: add_missing_items(zot, key, candidates), "save items")
        await self._record(draft.id, key, outcome.created + outcome.already)
        if outcome.failed:
            log.warning("zotero refused %d items of draft %d: %s", len(outcome.failed), draft.id, outcome.failed)
        return SaveResult(key, name, outcome.created, outcome.already, outcome.failed)

    async def save_pending(self, since: float = 0.0, limit: int = 10) -> list[SaveResult]:
        """Save approved drafts (decided at or after ``since``) whose save never finished.

        Called on a schedule, this makes "save each approved list" survive a crash or a Zotero
        outage at the moment of approval; a failure is logged and tried again next time.
        """
        saved = []
        for draft_id in await self._store.drafts_unsaved_to_zotero(self.library, since, limit):
            draft = await self._store.get_draft(draft_id)
            if draft is None:
                continue
            try:
                saved.append(await self.save(draft))
            except SourceError as e:
                log.warning("zotero: draft %d not saved yet: %s", draft.id, e.reason)
        await self.forget_erased(limit)
        return saved

    async def forget_erased(self, limit: int = 10) -> int:
        """Take the topic words off the collections of patrons who erased their data; returns how many.

        Runs with :meth:`save_pending` on the chores' schedule, so an erasure made while Zotero
        was down is carried out on a later round; the store stops offering a collection once
        its new name is recorded after the erasure.
        """
        done = 0
        for saved in await self._store.zotero_saved_of_erased(self.library, limit):
            try:
                await self._forget(saved.draft_id, saved.collection)
            except SourceError as e:
                log.warning("zotero: the collection of erased draft %d keeps its name for now: %s",
                            saved.draft_id, e.reason)
                continue
            done += 1
        return done

    async def _forget(self, draft_id: int, collection: str) -> None:
        name = collection_name(draft_id, None)
        await self._client.run(lambda zot: rename_collection(zot, collection, name), "rename collection")
        await self._store.record_zotero_renamed(draft_id, self.library, collection, name)

    async def _known_collection(self, draft_id: int) -> str:
        return await self._store.zotero_saved_collection(draft_id, self.library)

    async def _record(self, draft_id: int, collection: str, items: int) -> None:
        await self._store.record_zotero_saved(draft_id, self.library, collection, items)


def collection_name(draft_id: int, need: InformationNeed | None) -> str:
    """"refbot #12 — literasi informasi": the draft's number and the topics, never the patron's sentence.

    Phrases come first, then the heaviest single terms, up to :data:`TOPIC_WORDS` words; with
    no topics (an erased request) the name is the number alone.
    """
    topics = topic_words(need) if need is not None else ""
    return f"refbot #{draft_id} — {topics}" if topics else f"refbot #{draft_id}"


def topic_words(need: InformationNeed) -> str:
    """A few of the words refbot searched for, phrases first, each word once."""
    words: list[str] = []
    for part in (*need.phrases, *(t.text for t in need.terms)):
        for word in part.split():
            if word.lower() not in (w.lower() for w in words) and len(words) < TOPIC_WORDS:
                words.append(word)
    text = " ".join(words)
    return text if len(text) <= TOPIC_CHARS else text[: TOPIC_CHARS - 1].rstrip() + "…"


def rename_collection(zot: zotero.Zotero, key: str, name: str) -> None:
    """Give a saved list's collection a new name; one gone already needs nothing (runs in a thread)."""
    try:
        found = zot.collection(key)
    except Exception as e:  # a librarian deleted it: nothing of the patron's words is left there
        if "ResourceNotFound" in type(e).__name__:
            return
        raise
    data = dict(found["data"])
    if data.get("name") == name:
        return
    # pyzotero raises on a refusal (412: changed since it was read; the next round reads it again).
    zot.update_collection({**data, "name": name})


def find_or_create_collection(zot: zotero.Zotero, name: str, known: str = "") -> str:
    """The key of the list's collection, created (under :data:`PARENT_NAME`) only if missing."""
    if known:
        try:
            found = zot.collection(known)
        except Exception as e:  # gone (deleted by a librarian), or not readable: look by name
            if "ResourceNotFound" not in type(e).__name__:
                raise
        else:
            return str(found["data"]["key"])
    parent = _find_or_create(zot, PARENT_NAME, "")
    return _find_or_create(zot, name, parent)


def add_missing_items(zot: zotero.Zotero, collection: str, candidates: Sequence[Candidate]) -> ItemsOutcome:
    """Create the items the collection does not hold yet (runs in a worker thread)."""
    present: set[str] = set()
    for item in everything(zot, zot.collection_items_top(collection, limit=100)):
        present |= markers_in(item.get("data", {}))
    todo = [c for c in candidates if marker(c) not in present]
    templates: dict[str, Any] = {}
    payload = []
    for c in todo:
        item_type = TYPE_BY_KIND.get(c.kind, "document")
        if item_type not in templates:
            templates[item_type] = zot.item_template(item_type)
        payload.append(candidate_to_item(c, templates[item_type], collection))
    created, failed = 0, []
    for start in range(0, len(payload), MAX_WRITE):
        result = zot.create_items(payload[start : start + MAX_WRITE])
        created += len(result.get("success", {}))
        failed += [str(f.get("message", f)) for f in result.get("failed", {}).values()]
    return ItemsOutcome(created, len(candidates) - len(todo), tuple(failed))


def _find_or_create(zot: zotero.Zotero, name: str, parent: str) -> str:
    listing = zot.collections_sub(parent, limit=100) if parent else zot.collections_top(limit=100)
    for collection in everything(zot, listing):
        if collection.get("data", {}).get("name") == name:
            return str(collection["data"]["key"])
    result = zot.create_collections([{"name": name, "parentCollection": parent}])
    created = result.get("success", {}).get("0")
    if not created:
        failed: dict[str, Any] = next(iter(result.get("failed", {}).values()), {})
        reason = failed.get("message", "no reason given")
        raise SourceError("zotero", f"Zotero would not create the collection '{name}': {reason}")
    return str(created)
