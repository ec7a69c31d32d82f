"""Building and maintaining the catalog index: full builds into new generations, updates, deletes.

A build reads every file, writes a fresh generation, checks it (the document count matches
what was written, a probe search finds the first record), and only then points CURRENT at
it; an error, a rejected share above the limit or Ctrl-C leaves CURRENT as it was and the
half-built generation is removed. Updates and deletes change the current generation in
place (Whoosh commits atomically) and then rewrite CURRENT so open searchers reload.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Term
from whoosh.writing import IndexWriter

from refbot.catalog import generations as gens
from refbot.catalog.analysis import analyze
from refbot.catalog.readers import read_stream
from refbot.catalog.record import CatalogRecord, RejectedRecord, Repair
from refbot.catalog.schema import RECORD_VERSION, SCHEMA_VERSION, catalog_schema, to_document
from refbot.errors import CatalogError

_PROGRESS_EVERY = 250
_PARALLEL_FROM_BYTES = 4 << 20
_LIMIT_MB = 128
_BATCH = 500
_SAMPLE_REJECTS = 200


@dataclass(frozen=True)
class BuildProgress:
    """How far a build has got, for a progress line."""

    file: str
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    read: int
    indexed: int
    rejected: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Records read per second so far."""
        return self.read / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, judged by bytes read; None until there is something to judge by."""
        if self.bytes_done <= 0 or self.elapsed <= 0:
            return None
        return max(0.0, (self.bytes_total - self.bytes_done) * self.elapsed / self.bytes_done)


ProgressCallback = Callable[[BuildProgress], None]


@dataclass(frozen=True)
class BuildReport:
    """What a build (or an update) read, indexed and rejected.

    Attributes:
        generation: the generation written to.
        read: records read, good and bad.
        indexed: records written to the index.
        rejected: every record that was not, with where and why.
        duration: seconds the whole run took.
        files: the files read.
        repaired: what was put right to read records that were read all the same (a
            character coding that disagreed with leader/09, NUL filler before a file's
            content), one entry per record and repair; a repaired record may still be
            rejected later (a duplicate, say).
    """

    generation: str
    read: int
    indexed: int
    rejected: tuple[RejectedRecord, ...]
    duration: float
    files: tuple[str, ...] = ()
    repaired: tuple[Repair, ...] = ()

    @property
    def rate(self) -> float:
        """Records read per second."""
        return self.read / self.duration if self.duration > 0 else 0.0

    @property
    def reject_ratio(self) -> float:
        """The share of records read that were rejected."""
        return len(self.rejected) / self.read if self.read else 0.0

    def by_reason(self) -> dict[str, list[RejectedRecord]]:
        """Rejected records grouped by reason (its category), the most common first."""
        groups: dict[str, list[RejectedRecord]] = {}
        for reject in self.rejected:
            groups.setdefault(reject.category, []).append(reject)
        return dict(sorted(groups.items(), key=lambda item: -len(item[1])))

    def by_repair(self) -> dict[str, list[Repair]]:
        """Repairs grouped by what was put right, the most common first."""
        groups: dict[str, list[Repair]] = {}
        for repair in self.repaired:
            groups.setdefault(repair.what, []).append(repair)
        return dict(sorted(groups.items(), key=lambda item: -len(item[1])))


class BuildFailed(CatalogError):
    """A build read too little that was valid; CURRENT was left as it was."""

    def __init__(self, problem: str, report: BuildReport) -> None:
        super().__init__(problem)
        self.report = report


def build_index(
    paths: Iterable[Path | str],
    index_dir: Path | str,
    keep: int = 3,
    max_reject_ratio: float = 0.5,
    progress: ProgressCallback | None = None,
    procs: int | None = None,
    switch: bool = True,
) -> BuildReport:
    """Build a new index generation from catalog exports and make it current.

    Args:
        paths: MARC, MARCXML, MARC-in-JSON, MARCMaker or CSV files, or folders of them.
        index_dir: where generations and CURRENT live.
        keep: how many complete generations to keep on disk.
        max_reject_ratio: fail when a larger share of the records read is rejected.
        progress: called now and then while records are read.
        procs: Whoosh writer processes; by default 2 for large inputs, else 1. More than
            one forks worker processes, so build from a command, not inside the service.
        switch: point CURRENT at the new generation; False leaves it to be made current
            later (:func:`refbot.catalog.maintenance.make_current`), once it is copied to every node.

    Raises:
        BuildFailed: no valid record was read, or too many were rejected.
        CatalogError: a file is missing, the index is locked, or the new index failed its check.
    """
    index_dir = Path(index_dir)
    files = catalog_files(paths)
    with gens.exclusive(index_dir):
        name = gens.new_name()
        staging = index_dir / (gens.STAGING + name)
        try:
            report = _build(staging, name, files, max_reject_ratio, progress, procs)
            staging.rename(index_dir / name)
            if switch:
                gens.switch_current(index_dir, name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        gens.prune(index_dir, keep)
    return report


def _build(
    staging: Path,
    name: str,
    files: list[Path],
    max_reject_ratio: float,
    progress: ProgressCallback | None,
    procs: int | None,
) -> BuildReport:
    started = time.monotonic()
    staging.mkdir(parents=True)
    ix = whoosh_index.create_in(str(staging), catalog_schema())
    writer = _writer(ix, files, procs)
    try:
        tally = _Tally(files, progress, started)
        tally.index_all(writer)
        report = tally.report(name, time.monotonic() - started)
        _judge(report, max_reject_ratio)
    except BaseException:
        abandon_writer(writer)
        raise
    writer.commit()
    _verify(ix, report.indexed, tally.probe)
    report = dataclasses.replace(report, duration=time.monotonic() - started)
    gens.write_manifest(staging, _manifest(report, ix.doc_count()))
    return report


def _writer(ix: Any, files: list[Path], procs: int | None) -> IndexWriter:
    total = sum(_size(p) for p in files)
    if procs is None:
        # Worker processes pay off only once there is enough text to analyse.
        procs = min(2, os.cpu_count() or 1) if total >= _PARALLEL_FROM_BYTES else 1
    if procs > 1:
        return ix.writer(procs=procs, limitmb=_LIMIT_MB, multisegment=True, batchsize=_BATCH)
    return ix.writer(limitmb=_LIMIT_MB)


def abandon_writer(writer: IndexWriter) -> None:
    """Cancel a writer, ending its worker processes first."""
    # Whoosh's MpWriter.cancel() only flags its own copies of the worker tasks; the worker
    # processes would wait for jobs forever (holding our lock, inherited through fork).
    tasks = getattr(writer, "tasks", [])
    for task in tasks:
        task.terminate()
    for task in tasks:
        task.join(timeout=10)
    if tasks:
        writer.jobqueue.cancel_join_thread()
    writer.cancel()


class _Tally:
    """Reads the files into a writer, counting and remembering what it saw."""

    def __init__(self, files: list[Path], progress: ProgressCallback | None, started: float) -> None:
        self.files = files
        self.progress = progress
        self.started = started
        self.bytes_total = sum(_size(p) for p in files)
        self.bytes_done = 0
        self.read = 0
        self.indexed = 0
        self.rejected: list[RejectedRecord] = []
        self.repaired: list[Repair] = []
        self.first_seen: dict[str, str] = {}  # control number → where it was first read
        self.probe: CatalogRecord | None = None

    def index_all(self, writer: IndexWriter) -> None:
        for number, path in enumerate(self.files):
            try:
                stream = open(path, "rb")  # noqa: SIM115 (closed below; an unreadable file is one reject)
            except OSError as error:
                self._take(writer, RejectedRecord(str(path), 0, f"the file could not be opened ({error.strerror})"), str(path), 0)
                continue
            with stream:
                for position, item in enumerate(read_stream(stream, str(path), self.repaired), start=1):
                    self._take(writer, item, str(path), position)
                    if self.read % _PROGRESS_EVERY == 0:
                        self._tell(str(path), number, self.bytes_done + stream.tell())
            self.bytes_done += _size(path)
            self._tell(str(path), number + 1, self.bytes_done)

    def _take(self, writer: IndexWriter, item: CatalogRecord | RejectedRecord, file: str, position: int) -> None:
        self.read += 1
        if isinstance(item, RejectedRecord):
            self.rejected.append(item)
            return
        here = f"{file} #{position}"
        earlier = self.first_seen.setdefault(item.id, here)
        if earlier != here:
            reason = f"duplicate control number (first read at {earlier})"
            self.rejected.append(RejectedRecord(file, position, reason, item.id))
            return
        writer.add_document(**to_document(item))
        self.indexed += 1
        self.probe = self.probe or item

    def _tell(self, file: str, files_done: int, bytes_done: int) -> None:
        if self.progress is None:
            return
        self.progress(
            BuildProgress(
                file=file,
                files_done=files_done,
                files_total=len(self.files),
                bytes_done=min(bytes_done, self.bytes_total),
                bytes_total=self.bytes_total,
                read=self.read,
                indexed=self.indexed,
                rejected=len(self.rejected),
                elapsed=time.monotonic() - self.started,
            )
        )

    def report(self, generation: str, duration: float) -> BuildReport:
        return BuildReport(
            generation=generation,
            read=self.read,
            indexed=self.indexed,
            rejected=tuple(self.rejected),
            duration=duration,
            files=tuple(str(p) for p in self.files),
            repaired=tuple(self.repaired),
        )


def _judge(report: BuildReport, max_reject_ratio: float) -> None:
    if report.indexed == 0:
        raise BuildFailed(f"no valid records were read from {len(report.files)} file(s)", report)
    if report.reject_ratio > max_reject_ratio:
        problem = (
            f"{report.reject_ratio:.0%} of the records read were rejected "
            f"(more than the {max_reject_ratio:.0%} allowed); the current index was kept"
        )
        raise BuildFailed(problem, report)


def _verify(ix: Any, expected: int, probe: CatalogRecord | None) -> None:
    count = ix.doc_count()
    if count != expected:
        raise CatalogError(f"the new index holds {count} records but {expected} were written")
    if probe is None:
        return
    with ix.searcher() as searcher:
        found = searcher.search(Term("id", probe.id), limit=1)
        words = analyze(ix.schema["title"].analyzer, probe.title)
        by_title = searcher.search(Term("title", words[0]), limit=1) if words else found
        if found.is_empty() or by_title.is_empty():
            raise CatalogError(f"a probe search for record {probe.id} found nothing in the new index")


def _manifest(report: BuildReport, records: int) -> dict[str, Any]:
    reasons = Counter(r.category for r in report.rejected)
    return {
        "generation": report.generation,
        "schema_version": SCHEMA_VERSION,
        "record_version": RECORD_VERSION,
        "built_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds"),
        "updated_at": None,
        "records": records,
        "read": report.read,
        "indexed": report.indexed,
        "rejected": len(report.rejected),
        "rejected_by_reason": dict(reasons.most_common()),
        "rejected_sample": [dataclasses.asdict(r) for r in report.rejected[:_SAMPLE_REJECTS]],
        "repaired": len(report.repaired),
        "repaired_by_kind": {what: len(repairs) for what, repairs in report.by_repair().items()},
        "files": list(report.files),
        "duration": round(report.duration, 3),
    }


def catalog_files(paths: Iterable[Path | str]) -> list[Path]:
    """The files to read: each file named, and every visible file under each folder named.

    Raises:
        CatalogError: a path does not exist, or there are no files at all.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not _hidden(p, path))
        elif path.is_file():
            files.append(path)
        else:
            raise CatalogError(f"no such file or folder: {path}")
    if not files:
        raise CatalogError("no catalog files to read")
    return files


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def iter_good(
    paths: Iterable[Path], rejected: list[RejectedRecord], repaired: list[Repair] | None = None
) -> Iterator[CatalogRecord]:
    """Good records from files, adding rejects to ``rejected`` (and repairs to ``repaired``) as they come."""
    for path in paths:
        try:
            stream = open(path, "rb")  # noqa: SIM115 (closed below; an unreadable file is one reject)
        except OSError as error:
            rejected.append(RejectedRecord(str(path), 0, f"the file could not be opened ({error.strerror})"))
            continue
        with stream:
            for item in read_stream(stream, str(path), repaired):
                if isinstance(item, RejectedRecord):
                    rejected.append(item)
                else:
                    yield item
