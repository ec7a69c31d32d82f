"""Writing harvested records into the served catalog generation, as ``refbot index update`` does.

A harvest changes the generation CURRENT names in place, a batch at a time: each batch is
one Whoosh commit (atomic: searches see the index before or after it, never between), then
the manifest and CURRENT are rewritten so every node reopens — the same switch a build and
an update use. With no index built yet, the first harvest makes an empty generation first,
so a repository alone can be a library's whole catalog.

The caller holds the index directory's lock (:func:`refbot.catalog.generations.exclusive`)
for the whole harvest: one build, update, delete or harvest at a time.
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import LockError

from refbot.catalog import generations as gens
from refbot.catalog.record import CatalogRecord
from refbot.catalog.schema import RECORD_VERSION, SCHEMA_VERSION, catalog_schema, to_document
from refbot.errors import CatalogError

SOURCES = "harvested"
"""The manifest's key for the harvested sources: name → records of it in the generation."""
_LIMIT_MB = 128


@dataclass
class Target:
    """The generation a harvest writes to, and the ids of the source's records already in it."""

    index_dir: Path
    generation: str
    source: str
    existing: set[str] = field(default_factory=set)

    @property
    def path(self) -> Path:
        """The generation's folder."""
        return self.index_dir / self.generation


@dataclass(frozen=True)
class Applied:
    """What one batch changed."""

    added: int = 0
    updated: int = 0
    deleted: int = 0


def open_target(index_dir: Path, source: str) -> Target:
    """The served generation (made, empty, when there is none) and the source's ids in it.

    Raises:
        CatalogError: CURRENT names a missing generation, or one of an older layout.
    """
    name = gens.current_name(index_dir)
    if name is None:
        name = _empty_generation(index_dir)
    path = index_dir / name
    if not path.is_dir():
        raise CatalogError(f"CURRENT names generation {name}, which is missing from {index_dir}")
    layout = gens.read_manifest(path).get("schema_version")
    if layout != SCHEMA_VERSION:
        raise CatalogError(f"the catalog index in {path} was built by an older refbot (layout {layout}, now "
                           f"{SCHEMA_VERSION}); rebuild it with `refbot index build` before harvesting into it")
    return Target(index_dir, name, source, ids_of(path, source))


@dataclass
class InPlace:
    """An incremental harvest's writes: each batch committed to the served generation as it comes."""

    target: Target
    batch: int = 5000
    """Records per commit: a hang or a failure part way loses at most the batch being read."""

    def expect(self, size: int | None) -> None:
        """The list's size changes nothing here."""

    def apply(self, records: Iterable[CatalogRecord], deleted: Iterable[str]) -> Applied:
        """Write one batch (see :func:`apply_batch`)."""
        return apply_batch(self.target, records, deleted)

    def finish(self) -> str:
        """Nothing is left to write: the generation served afterwards."""
        return self.target.generation

    def abandon(self) -> None:
        """What was committed stays: each batch was whole."""


def apply_batch(target: Target, records: Iterable[CatalogRecord], deleted: Iterable[str]) -> Applied:
    """Add or replace ``records`` and remove the ``deleted`` ids, in one commit; then tell readers."""
    ix = whoosh_index.open_dir(str(target.path))
    try:
        writer = ix.writer(limitmb=_LIMIT_MB)
    except LockError as error:
        raise CatalogError(f"the catalog index in {target.path} is locked by another writer") from error
    added = updated = removed = 0
    try:
        for record in records:
            if record.id in target.existing:
                writer.update_document(**to_document(record))
                updated += 1
            else:
                # A record new to the index needs no look-up of an older copy to replace.
                writer.add_document(**to_document(record))
                target.existing.add(record.id)
                added += 1
        for record_id in deleted:
            if record_id in target.existing:
                removed += writer.delete_by_term("id", record_id)
                target.existing.discard(record_id)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    _note(target, ix.doc_count())
    return Applied(added, updated, removed)


def _note(target: Target, records: int) -> None:
    manifest = gens.read_manifest(target.path)
    manifest["records"] = records
    manifest["updated_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    manifest.setdefault(SOURCES, {})[target.source] = len(target.existing)
    gens.write_manifest(target.path, manifest)
    gens.switch_current(target.index_dir, target.generation)


def ids_of(path: Path, source: str) -> set[str]:
    """The ids of ``source``'s records in a generation."""
    ix = whoosh_index.open_dir(str(path))
    with ix.reader() as reader:
        ids = {term.decode("utf-8") if isinstance(term, bytes) else term
               for term in reader.expand_prefix("id", f"{source}:")}
        return ids - _deleted_only(reader, ids)


def _deleted_only(reader: Any, ids: set[str]) -> set[str]:
    """Ids whose every copy is deleted: Whoosh keeps a deleted record's terms until a merge."""
    deleted = set()
    for leaf, _ in reader.leaf_readers():
        if leaf.has_deletions():
            deleted |= {leaf.stored_fields(docnum).get("id") for docnum in range(leaf.doc_count_all()) if leaf.is_deleted(docnum)}
    return {i for i in deleted & ids if not reader.postings("id", i).is_active()}


def _empty_generation(index_dir: Path) -> str:
    name = gens.new_name()
    staging = index_dir / (gens.STAGING + name)
    try:
        staging.mkdir(parents=True)
        whoosh_index.create_in(str(staging), catalog_schema()).writer().commit()
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
        gens.write_manifest(staging, {"generation": name, "schema_version": SCHEMA_VERSION,
                                      "record_version": RECORD_VERSION, "built_at": now,
                                      "updated_at": None, "records": 0, "read": 0, "indexed": 0, "rejected": 0,
                                      "rejected_by_reason": {}, "files": [], "duration": 0.0})
        staging.rename(index_dir / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    gens.switch_current(index_dir, name)
    return name
