"""How each worker loop is doing: heartbeats, errors, and the verdict ``/healthz`` gives.

Every loop of the worker beats after each round that went well and records the error of each
round that did not. A reporter task writes those states to the store every few seconds, so a
web process anywhere — the parent of a worker child, or a node on another machine — tells the
truth about the desk: ``ok`` only while some worker's loops all beat recently and none keeps
failing.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from refbot.store.health import Backlog, LoopBeat

LOOPS = ("journal", "intake", "send", "chores")
"""The worker's loops, each of which must beat for the desk to be healthy."""
FAILING_AFTER = 3
"""Rounds in a row that end in an error before a loop counts as failing."""


@dataclass
class LoopHealth:
    """One loop's state, kept in memory by the worker."""

    name: str
    clock: Callable[[], float] = time.time
    beat_at: float = field(default=0.0)
    error: str = ""
    error_at: float = 0.0
    failing: int = 0

    def __post_init__(self) -> None:
        self.beat_at = self.clock()

    def beat(self) -> None:
        """A round went well."""
        self.beat_at = self.clock()
        self.failing = 0

    def failed(self, error: BaseException) -> None:
        """A round ended in ``error``."""
        self.error = f"{type(error).__name__}: {error}"[:500]
        self.error_at = self.clock()
        self.failing += 1

    def as_beat(self, worker: str) -> LoopBeat:
        return LoopBeat(worker, self.name, self.beat_at, self.error, self.error_at, self.failing)


def worker_name() -> str:
    """This worker's name in the heartbeats: host, process and start time."""
    return f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"


@dataclass(frozen=True)
class Verdict:
    """What ``/healthz`` says."""

    ok: bool
    reasons: tuple[str, ...]
    detail: dict[str, object]


def judge(beats: list[LoopBeat], backlog: Backlog, *, now: float, stale_after: float, chore_interval: float = 0.0,
          worker_expected: bool = True, worker_alive: bool | None = None) -> Verdict:
    """The desk's health from the newest worker's heartbeats and the backlog.

    Args:
        beats: the loops' last reported states (any workers).
        backlog: the work waiting in the store.
        now: the time to judge at.
        stale_after: seconds after which a loop that has not beaten counts as stopped.
        chore_interval: the chores loop's own wait between rounds, added to its allowance.
        worker_expected: False when no worker is meant to run anywhere yet (nothing to judge).
        worker_alive: whether this process's own worker child is alive (None: not ours to know).
    """
    reasons: list[str] = []
    loops: dict[str, dict[str, object]] = {}
    fresh = [b for b in beats if now - b.beat_at <= stale_after + (chore_interval if b.loop == "chores" else 0)]
    for name in LOOPS:
        mine = [b for b in beats if b.loop == name]
        latest = max(mine, key=lambda b: b.beat_at, default=None)
        if latest is not None:
            loops[name] = {"last_beat_seconds_ago": round(now - latest.beat_at, 1), "failing": latest.failing,
                           "last_error": latest.error,
                           "last_error_seconds_ago": round(now - latest.error_at, 1) if latest.error_at else None}
        if not worker_expected:
            continue
        if not any(b.loop == name for b in fresh):
            allowed = stale_after + (chore_interval if name == "chores" else 0)
            reasons.append(f"worker loop '{name}' has not reported for over {allowed:g} s")
        elif all(b.failing >= FAILING_AFTER for b in fresh if b.loop == name):
            error = next(b.error for b in fresh if b.loop == name)
            reasons.append(f"worker loop '{name}' keeps failing: {error}")
    if worker_alive is False:
        reasons.insert(0, "the worker process is not running")
    detail: dict[str, object] = {
        "worker_alive": worker_alive if worker_alive is not None else bool(fresh),
        "loops": loops,
        "inbox_waiting": backlog.inbox_pending,
        "oldest_waiting_message_seconds": round(now - backlog.oldest_pending_inbox, 1)
        if backlog.oldest_pending_inbox else None,
        "outbox_due": backlog.outbox_due,
        "sends_in_doubt": backlog.sends_in_doubt,
    }
    return Verdict(not reasons, tuple(reasons), detail)
