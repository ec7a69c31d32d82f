"""Nightly backups in dated folders under one parent, the oldest removed beyond a number to keep.

``refbot backup --under /var/backups/refbot --keep 14`` makes
``/var/backups/refbot/refbot-20260501T013000Z`` and then keeps the 14 newest finished backups
there. Only folders named ``refbot-…`` are ever removed; a folder without ``manifest.json``
(a backup that was killed half-way) is removed once a newer backup has finished.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

from refbot.operations.manifest import MANIFEST

PREFIX = "refbot-"


def dated_folder(parent: Path, now: datetime.datetime | None = None) -> Path:
    """A new folder name under ``parent`` for a backup made now (UTC, so names sort by time)."""
    now = now or datetime.datetime.now(datetime.UTC)
    return parent / f"{PREFIX}{now:%Y%m%dT%H%M%SZ}"


def prune(parent: Path, keep: int) -> list[Path]:
    """Remove finished backups beyond the newest ``keep``, and unfinished ones older than the newest finished."""
    folders = sorted(p for p in parent.iterdir() if p.is_dir() and p.name.startswith(PREFIX))
    finished = [p for p in folders if (p / MANIFEST).is_file()]
    if not finished:
        return []
    kept = set(finished[-max(keep, 1):])
    doomed = [p for p in folders if p not in kept and p.name < finished[-1].name]
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed
