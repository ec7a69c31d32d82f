"""Changing the current catalog index in place, and reporting on it.

``update_records`` adds or replaces records by control number and ``delete_records`` removes
them, both in the generation CURRENT names; a Whoosh commit is atomic, so searches see the
index before or after, never between. Afterwards CURRENT is rewritten (same name, new file)
so every :class:`~refbot.catalog.search.CatalogIndex` notices and reopens. ``make_current``
points CURRENT at a generation already on disk: an earlier one, or one copied here.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.writing import IndexWriter

from refbot.catalog import generations as gens
from refbot.catalog.index import BuildReport, catalog_files, iter_good
from refbot.catalog.record import CatalogRecord, RejectedRecord, Repair
from refbot.catalog.schema import RECORD_VERSION, SCHEMA_VERSION, to_document
from refbot.errors import CatalogError

NOT_BUILT = "the catalog index has not been built; run `refbot index build FILE...` first"


def current_generation(index_dir: Path | str) -> Path:
    """The directory of the generation CURRENT names.

    Raises:
        CatalogError: no index has been built, or CURRENT names a generation that is gone.
    """
    index_dir = Path(index_dir)
    name = gens.current_name(index_dir)
    if name is None:
        raise CatalogError(f"{NOT_BUILT} (looked in {index_dir})")
    path = index_dir / name
    if not path.is_dir():
        raise CatalogError(f"CURRENT names generation {name}, which is missing from {index_dir}")
    return path


def update_records(paths: Iterable[Path | str], index_dir: Path | str) -> BuildReport:
    """Add records from files to the current index, replacing any with the same control number.

    When a file holds one control number twice, the later record wins.

    Raises:
        CatalogError: no index is built, it was built with an older layout (it must be
            rebuilt), a file is missing, or the index is locked.
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    files = catalog_files(paths)
    rejected: list[RejectedRecord] = []
    repaired: list[Repair] = []
    latest: dict[str, CatalogRecord] = {}
    read = 0
    for record in iter_good(files, rejected, repaired):
        latest[record.id] = record
        read += 1
    with gens.exclusive(index_dir):
        generation = current_generation(index_dir)
        _require_current_layout(generation)
        _change(generation, lambda writer: _update(writer, latest.values()))
        gens.switch_current(index_dir, generation.name)
    return BuildReport(
        generation=generation.name,
        read=read + len(rejected),
        indexed=len(latest),
        rejected=tuple(rejected),
        duration=time.monotonic() - started,
        files=tuple(str(p) for p in files),
        repaired=tuple(repaired),
    )


def delete_records(ids: Iterable[str], index_dir: Path | str) -> int:
    """Remove records by control number from the current index.

    Returns:
        how many records were removed (ids not in the index are ignored).

    Raises:
        CatalogError: no index is built, or the index is locked.
    """
    index_dir = Path(index_dir)
    wanted = list(dict.fromkeys(ids))
    with gens.exclusive(index_dir):
        generation = current_generation(index_dir)
        deleted = _change(generation, lambda writer: sum(writer.delete_by_term("id", i) for i in wanted))
        gens.switch_current(index_dir, generation.name)
    return deleted


def make_current(index_dir: Path | str, name: str) -> None:
    """Point CURRENT at a complete generation already in ``index_dir``.

    Raises:
        CatalogError: there is no such generation here, or a build, update or delete is running.
    """
    index_dir = Path(index_dir)
    with gens.exclusive(index_dir):
        on_disk = gens.generations(index_dir)
        if name not in on_disk or not (index_dir / name / gens.MANIFEST).is_file():
            listed = ", ".join(on_disk) or "none"
            raise CatalogError(f"there is no complete generation {name} in {index_dir} (on disk: {listed})")
        gens.switch_current(index_dir, name)


def _require_current_layout(generation: Path) -> None:
    """Refuse to add records to an index whose fields are not the ones records are now written to."""
    built_with = gens.read_manifest(generation).get("schema_version")
    if built_with != SCHEMA_VERSION:
        raise CatalogError(
            f"the catalog index in {generation} was built by an older refbot (layout {built_with}, now "
            f"{SCHEMA_VERSION}); rebuild it with `refbot index build` before updating it"
        )


def _update(writer: IndexWriter, records: Iterable[CatalogRecord]) -> int:
    count = 0
    for record in records:
        writer.update_document(**to_document(record))
        count += 1
    return count


def _change(generation: Path, change: Callable[[IndexWriter], int]) -> int:
    ix = whoosh_index.open_dir(str(generation))
    try:
        writer = ix.writer()
    except LockError as error:
        raise CatalogError(f"the catalog index in {generation} is locked by another writer") from error
    try:
        outcome = change(writer)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    manifest = gens.read_manifest(generation)
    manifest["records"] = ix.doc_count()
    manifest["updated_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    gens.write_manifest(generation, manifest)
    return outcome


def index_status(index_dir: Path | str, generation: str | None = None) -> dict[str, Any]:
    """What is being served: generation, record count, when built, how many rejected.

    ``generation`` names the generation to describe (the one the store says is served);
    by default, the one CURRENT names.

    ``layout`` is the index layout the generation was built with, and ``layout_current``
    whether this refbot still writes that layout (an older one is still searched, with fewer
    techniques, and must be rebuilt before ``refbot index update``). Never raises for a
    missing index: ``generation`` is then None.
    """
    index_dir = Path(index_dir)
    name = generation or gens.current_name(index_dir)
    manifest = gens.read_manifest(index_dir / name) if name else {}
    return {
        "index_dir": str(index_dir),
        "generation": name,
        "records": manifest.get("records", 0),
        "built_at": manifest.get("built_at"),
        "updated_at": manifest.get("updated_at"),
        "read": manifest.get("read", 0),
        "rejected": manifest.get("rejected", 0),
        "rejected_by_reason": manifest.get("rejected_by_reason", {}),
        "repaired": manifest.get("repaired", 0),
        "repaired_by_kind": manifest.get("repaired_by_kind", {}),
        "duration": manifest.get("duration"),
        "files": manifest.get("files", []),
        "harvested": manifest.get("harvested", {}),  # records per OAI-PMH source (refbot harvest)
        "generations": gens.generations(index_dir),
        "layout": manifest.get("schema_version"),
        "layout_current": manifest.get("schema_version") == SCHEMA_VERSION if name else None,
        # 2: records keep editors, editions and theses' degrees for citations (schema.RECORD_VERSION)
        "record_version": manifest.get("record_version", 1) if name else None,
        "records_current": manifest.get("record_version", 1) >= RECORD_VERSION if name else None,
    }
