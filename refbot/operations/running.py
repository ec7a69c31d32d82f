"""Whether a desk is running: a lock file beside the store that every running process holds.

``refbot serve`` and ``refbot worker`` hold a shared ``flock`` on ``refbot.lock`` in the store's
folder for as long as they live; the kernel lets it go when a process ends, however it ends
(a SIGKILL, a power cut), so a stale lock is impossible. ``refbot restore`` takes the same lock
exclusively and without waiting: if it cannot, a desk is running and nothing is touched. While
the restore holds it, a desk that starts waits for the restore to finish.

The lock covers the processes of one machine. On PostgreSQL, where a desk's processes may run
on several, a restore also refuses while anyone else is connected to the database
(:func:`refbot.store.pg_backup.other_sessions`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from refbot.config import Settings

log = logging.getLogger(__name__)

LOCK_FILE = "refbot.lock"


class DeskRunning(RuntimeError):
    """A desk is running on the store a command wanted to itself."""


def lock_path(settings: Settings) -> Path:
    """The lock file: in the folder of ``store.path``, shared by every library of the deployment."""
    return settings.path(settings.store.path).parent / LOCK_FILE


@contextlib.contextmanager
def desk_lock(settings: Settings) -> Iterator[None]:
    """Hold the lock shared, for the life of a desk process (waiting while a restore runs)."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("a restore is running on %s (pid %s); starting once it is done",
                        path.parent, ", ".join(str(p) for p in _holders(path)) or "unknown")
            fcntl.flock(lock.fileno(), fcntl.LOCK_SH)
        yield


@contextlib.contextmanager
def stopped_desk(settings: Settings) -> Iterator[None]:
    """Hold the lock exclusively, for a command that must have the store to itself.

    Raises:
        DeskRunning: a desk process holds the lock; the message names its process ids.
    """
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pids = ", ".join(str(p) for p in _holders(path)) or "unknown"
            raise DeskRunning(f"refbot is running on {path.parent} (pid {pids}); stop it first") from None
        yield


def _holders(path: Path) -> list[int]:
    """The processes holding a lock on ``path``, read from ``/proc/locks`` (empty where there is none)."""
    try:
        inode = os.stat(path).st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    pids = set()
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  READ  1234 08:01:5678 0 EOF" (a blocked waiter's line has "->" first)
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
            pids.add(int(fields[4]))
    return sorted(pids - {os.getpid()})
