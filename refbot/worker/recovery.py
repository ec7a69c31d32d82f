"""Putting back the work of workers that are gone, while other workers go on.

Each claimed inbox and outbox row names the worker that claimed it (``host:pid:start``, see
:func:`refbot.worker.health.worker_name`). With one worker (SQLite), a restart puts back every
claimed row. With several (PostgreSQL), a worker puts back only the rows of workers that are
gone: on its own machine, a process that no longer exists (known at once); elsewhere, one whose
heartbeats stopped more than :data:`LEASE` seconds ago. A worker reports its heartbeat before
it claims anything, so a worker that just started is never taken for gone.

A row put back is handled again as after a crash: an inbound message is handled afresh (its
request and draft exist once, by their unique keys), and a send that may have left is held in
doubt until a status settles it, never simply sent again.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable

from refbot.store.health import LoopBeat

LEASE = 30.0
"""Seconds without a heartbeat after which a worker on another machine counts as gone."""


def gone_workers(claimers: Iterable[str], beats: Iterable[LoopBeat], *, me: str, now: float,
                 lease: float = LEASE, host: str | None = None) -> set[str]:
    """Which of the workers holding claimed rows are gone (never ``me``)."""
    host = socket.gethostname() if host is None else host
    fresh = {b.worker for b in beats if b.beat_at >= now - lease}
    gone: set[str] = set()
    for name in claimers:
        if name == me:
            continue
        if not name or (_on(host, name) and not _running(name)) or name not in fresh:  # claimed before workers were named (an upgrade): nobody holds it any more
            gone.add(name)
    return gone


def _on(host: str, name: str) -> bool:
    return name.rsplit(":", 2)[0] == host


def _running(name: str) -> bool:
    try:
        pid = int(name.rsplit(":", 2)[1])
    except (IndexError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
