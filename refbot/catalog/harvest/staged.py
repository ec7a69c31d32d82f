"""A full harvest written into a new generation, as ``refbot index build`` writes, then switched in.

A full harvest rewrites all of a source's records, so writing it into the served generation a
batch at a time (a commit, a merge and a CURRENT switch per batch) would cost more than a
rebuild. It is instead staged as a build is: the served generation's segments are carried
into a ``.building-…`` folder (hard links: Whoosh never rewrites a segment file), the old
copies of the records read are deleted from them, the harvested records go into new segments
— written by 2 processes for a large repository, as ``index build`` does, when the caller
allows it — and one commit, a check, and the rename and CURRENT switch a build uses make it
served. Until then, searches see the generation served before.

Records of other sources and of the exports are carried over untouched. The manifest keeps
the generations the new one descends from (``lineage``), so a source harvested earlier into
the generation served before is known to still be in this one (its next harvest stays
incremental), while a rebuild from exports, which starts a fresh lineage, is not.
"""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.writing import IndexWriter

from refbot.catalog import generations as gens
from refbot.catalog.harvest.apply import SOURCES, Applied, Target
from refbot.catalog.index import abandon_writer
from refbot.catalog.record import CatalogRecord
from refbot.catalog.schema import to_document
from refbot.errors import CatalogError

LINEAGE = "lineage"
"""The manifest's key for the generations this one carries the records of, newest first."""
PARALLEL_FROM = 5000
"""Records in the first batch from which 2 writer processes pay off (as ``index build``'s 4 MB)."""
FEED = 1000
"""Records handed to the writer at a time once it is open: its processes work while pages are read."""
_LINEAGE_KEPT = 50
_LIMIT_MB = 128
_BATCH = 500


def lineage(generation_dir: Path) -> list[str]:
    """The generations whose records a generation carries (itself first)."""
    carried = gens.read_manifest(generation_dir).get(LINEAGE, [])
    return [generation_dir.name, *(name for name in carried if isinstance(name, str))]


class StagedGeneration:
    """A new generation being filled by one full harvest of one source.

    Args:
        target: the served generation, with the source's ids in it (updated as records go in).
        procs: Whoosh writer processes; None picks 2 for a large harvest, as ``index build``
            does (it forks, so only from a command), 1 keeps everything in this process.
        keep: how many complete generations to keep on disk once the new one is served.
    """

    def __init__(self, target: Target, procs: int | None = 1, keep: int = 3) -> None:
        self.target = target
        self.procs = procs
        self.keep = keep
        self.name = gens.new_name()
        self.staging = target.index_dir / (gens.STAGING + self.name)
        self.before = frozenset(target.existing)
        self.replaced: set[str] = set()  # carried records to delete: read again, or gone
        self.written: set[str] = set()  # ids in the new segments
        self.late: dict[str, CatalogRecord | None] = {}  # written, then read again (a restarted list)
        self.writer: IndexWriter | None = None
        self.ix: Any = None
        self.carried = 0  # records of other sources and of the exports
        self.expected = 0  # the list's size, when the repository tells it

    @property
    def batch(self) -> int:
        """Records to gather before writing: enough to judge the harvest's size until that is known."""
        return FEED if self.writer is not None or self.expected else PARALLEL_FROM

    def expect(self, size: int | None) -> None:
        """The repository's count of the records in the list (``completeListSize``)."""
        self.expected = max(self.expected, size or 0)

    def apply(self, records: Iterable[CatalogRecord], deleted: Iterable[str]) -> Applied:
        """Write ``records`` and note the ``deleted`` ids; nothing is served until :meth:`finish`."""
        records = list(records)
        writer = self.writer or self._open(len(records))
        added = updated = removed = 0
        for record in records:
            if record.id in self.target.existing:
                updated += 1
            else:
                added += 1
                self.target.existing.add(record.id)
            self._write(writer, record)
        for record_id in deleted:
            if record_id in self.target.existing:
                removed += 1
                self.target.existing.discard(record_id)
                self._forget(record_id)
        return Applied(added, updated, removed)

    def finish(self) -> str:
        """Commit, check and serve the new generation; the generation served afterwards."""
        if self.writer is None:  # nothing was read: the served generation stays as it was
            return self.target.generation
        writer, self.writer = self.writer, None
        try:
            _delete(writer, self.replaced)
            writer.commit(merge=False)  # the carried segments stay as they are
            self._apply_late()
            records = self._check()
            self._describe(records)
            self.staging.rename(self.target.index_dir / self.name)
        except BaseException:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise
        gens.switch_current(self.target.index_dir, self.name)
        gens.prune(self.target.index_dir, self.keep)
        self.target.generation = self.name
        return self.name

    def abandon(self) -> None:
        """Drop the half-written generation; the served one stays as it was."""
        writer, self.writer = self.writer, None
        if writer is not None:
            abandon_writer(writer)
        shutil.rmtree(self.staging, ignore_errors=True)

    def _open(self, first_batch: int) -> IndexWriter:
        _carry(self.target.path, self.staging)
        self.ix = whoosh_index.open_dir(str(self.staging))
        self.carried = self.ix.doc_count() - len(self.before)
        procs = self.procs
        if procs is None:
            procs = min(2, os.cpu_count() or 1) if max(first_batch, self.expected) >= PARALLEL_FROM else 1
        try:
            if procs > 1:
                self.writer = self.ix.writer(procs=procs, limitmb=_LIMIT_MB, multisegment=True, batchsize=_BATCH)
            else:
                self.writer = self.ix.writer(limitmb=_LIMIT_MB)
        except LockError as error:
            raise CatalogError(f"the catalog index in {self.staging} is locked by another writer") from error
        assert self.writer is not None
        return self.writer

    def _write(self, writer: IndexWriter, record: CatalogRecord) -> None:
        if record.id in self.written:  # already in an uncommitted segment: replaced after the commit
            self.late[record.id] = record
            return
        if record.id in self.before:
            self.replaced.add(record.id)
        writer.add_document(**to_document(record))
        self.written.add(record.id)

    def _forget(self, record_id: str) -> None:
        if record_id in self.written:
            self.late[record_id] = None
        elif record_id in self.before:
            self.replaced.add(record_id)

    def _apply_late(self) -> None:
        if not self.late:
            return
        writer = self.ix.writer(limitmb=_LIMIT_MB)
        for record_id, record in self.late.items():
            if record is None:
                writer.delete_by_term("id", record_id)
            else:
                writer.update_document(**to_document(record))
        writer.commit()

    def _check(self) -> int:
        """The new generation's record count, once it is what was carried plus the source's records."""
        ix = whoosh_index.open_dir(str(self.staging))
        expected = self.carried + len(self.target.existing)
        if ix.doc_count() != expected:
            raise CatalogError(f"the harvested generation holds {ix.doc_count()} records but {expected} were "
                               f"expected; {self.target.generation} is still served")
        return int(ix.doc_count())

    def _describe(self, records: int) -> None:
        manifest = gens.read_manifest(self.target.path)
        now = datetime.datetime.now(datetime.UTC)
        manifest.update(generation=self.name, built_at=now.isoformat(timespec="microseconds"),
                        updated_at=now.isoformat(timespec="seconds"), records=records)
        manifest[LINEAGE] = lineage(self.target.path)[:_LINEAGE_KEPT]
        manifest.setdefault(SOURCES, {})[self.target.source] = len(self.target.existing)
        gens.write_manifest(self.staging, manifest)


def _carry(served: Path, staging: Path) -> None:
    """The served generation's index files in ``staging``: linked where the disk allows, else copied."""
    staging.mkdir(parents=True)
    for path in served.iterdir():
        if not path.is_file() or path.name == gens.MANIFEST or "LOCK" in path.name.upper():
            continue
        try:
            os.link(path, staging / path.name)
        except OSError:
            shutil.copy2(path, staging / path.name)


def _delete(writer: IndexWriter, ids: set[str]) -> None:
    if not ids:
        return
    with writer.searcher() as searcher:  # one searcher for every look-up, not one each
        for record_id in ids:
            writer.delete_by_term("id", record_id, searcher=searcher)
