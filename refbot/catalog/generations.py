"""Index generations on disk: the CURRENT pointer, manifests, pruning, the build lock.

Layout of an index directory::

    index_dir/
        CURRENT                       one line: the name of the generation being served
        gen-20261128T012345-ab12/     a complete generation: Whoosh files + manifest.json
        .building-gen-…/              a build in progress (or one that crashed)
        .lock                         held while a build, update or delete runs

A generation is built under ``.building-…`` and renamed into place only once it is
committed and checked, so a ``gen-…`` directory is always complete. ``CURRENT`` is replaced
with ``os.replace``, which is atomic: a reader sees the old name or the new one, never half.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from refbot.errors import CatalogError

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PREFIX = "gen-"
STAGING = ".building-"
_STALE_STAGING_SECONDS = 6 * 3600

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: builds are not serialised
    fcntl = None  # type: ignore[assignment]


def new_name(now: datetime.datetime | None = None) -> str:
    """A fresh generation name: the UTC build time plus a random suffix."""
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{PREFIX}{now:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"


def current_name(index_dir: Path) -> str | None:
    """The generation CURRENT names, or None when no index has been built."""
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def switch_current(index_dir: Path, name: str) -> None:
    """Point CURRENT at a generation, atomically (also used to tell readers to reopen)."""
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".CURRENT-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(name + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, index_dir / CURRENT)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(index_dir)


def write_manifest(generation_dir: Path, manifest: dict[str, Any]) -> None:
    """Store a generation's manifest (replacing any earlier one atomically)."""
    tmp = generation_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, generation_dir / MANIFEST)


def read_manifest(generation_dir: Path) -> dict[str, Any]:
    """A generation's manifest; empty when it has none or it cannot be read."""
    try:
        data = json.loads((generation_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def generations(index_dir: Path) -> list[str]:
    """Names of the complete generations in a directory, oldest first."""
    if not index_dir.is_dir():
        return []
    found = [p for p in index_dir.iterdir() if p.name.startswith(PREFIX) and p.is_dir()]
    found.sort(key=lambda p: (read_manifest(p).get("built_at", ""), p.name))
    return [p.name for p in found]


def prune(index_dir: Path, keep: int) -> list[str]:
    """Delete generations beyond the newest ``keep`` (never the current one).

    Returns:
        the names of the generations removed.
    """
    current = current_name(index_dir)
    names = generations(index_dir)
    survivors = set(names[-max(keep, 1) :]) | {current}
    removed = [name for name in names if name not in survivors]
    for name in removed:
        shutil.rmtree(index_dir / name, ignore_errors=True)
    _prune_stale_staging(index_dir)
    return removed


def _prune_stale_staging(index_dir: Path) -> None:
    # A build that crashed hard (power cut, SIGKILL) leaves its staging directory behind.
    cutoff = time.time() - _STALE_STAGING_SECONDS
    for path in index_dir.glob(STAGING + "*"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def exclusive(index_dir: Path) -> Iterator[None]:
    """Hold the index directory's lock: one build, update or delete at a time.

    Raises:
        CatalogError: another build, update or delete is running.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+b") as lock:
        if fcntl is not None:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CatalogError(
                    f"another index build, update or delete is running in {index_dir}"
                ) from None
        yield


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
