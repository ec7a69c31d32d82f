"""Several workers on one PostgreSQL store: the work of one that is gone is picked up by another."""

from __future__ import annotations

import os
import subprocess
import sys

from refbot.models import InboundMessage, OutgoingMessage
from refbot.store import Store
from refbot.store.health import LoopBeat
from refbot.worker.recovery import gone_workers
from tests.postgres import Postgres

NOW = 1_700_000_000.0


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_worker_on_this_machine_whose_process_ended_is_gone_at_once() -> None:
    dead = f"here:{_dead_pid()}:1"
    alive = f"here:{os.getpid()}:1"
    beats = [LoopBeat(dead, "intake", NOW), LoopBeat(alive, "intake", NOW)]
    assert gone_workers({dead, alive}, beats, me="here:1:2", now=NOW, host="here") == {dead}


def test_a_worker_elsewhere_is_gone_only_when_its_heartbeats_stopped() -> None:
    quiet, busy = "there:10:1", "there:11:1"
    beats = [LoopBeat(quiet, "intake", NOW - 31), LoopBeat(busy, "intake", NOW - 5)]
    assert gone_workers({quiet, busy}, beats, me="here:1:1", now=NOW, lease=30, host="here") == {quiet}


def test_a_worker_never_takes_itself_for_gone_and_unnamed_claims_are_orphans() -> None:
    assert gone_workers({"here:1:1", ""}, [], me="here:1:1", now=NOW, host="here") == {""}


async def test_only_the_gone_workers_rows_are_put_back_on_a_shared_store(postgres: Postgres) -> None:
    url = await postgres.fresh_url()
    node_a, node_b = await Store.open(url), await Store.open(url)
    try:
        for i in range(4):
            assert await node_a.record_inbound(InboundMessage(f"wamid.{i}", "6281200000001", "text", text="buku"))
        mine = await node_a.claim_inbox(2, "a:1:1")
        theirs = await node_b.claim_inbox(10, "b:1:1")
        assert {r.id for r in mine}.isdisjoint(r.id for r in theirs) and len(mine) + len(theirs) == 4
        async with node_b.tx() as tx:
            await node_b.enqueue(tx, "reply:1", OutgoingMessage(to="6281200000001", text="halo"))
        [claimed] = await node_b.claim_outbox(5, worker="b:1:1")

        assert await node_a.claimers() == {"a:1:1", "b:1:1"}
        assert await node_a.reset_in_flight({"b:1:1"}) == len(theirs) + 1
        assert await node_a.inbox_counts() == {"processing": len(mine), "pending": len(theirs)}
        [again] = await node_a.claim_outbox(5, worker="a:1:1")
        assert again.id == claimed.id, "a send that never left is handed to the worker still running"
    finally:
        await node_a.close()
        await node_b.close()
