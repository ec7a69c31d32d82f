"""Chaos on PostgreSQL: two web nodes and two workers, any of them killed with SIGKILL at random moments.

The deployment a consortium runs: ``refbot serve`` twice (``worker.mode: none``, each its own
port, as behind a load balancer) and ``refbot worker`` twice, all on one PostgreSQL database.
Patrons' webhooks are spread over both web nodes (a node that is down is skipped, as a load
balancer would, and a refused webhook is posted again, as Meta does); a librarian approves
every draft; a killer SIGKILLs a random process of the four and restarts it, again and again.
Afterwards every question has exactly one draft, every approved list reached its patron
exactly once, and nothing was lost. Set ``CHAOS_SEED`` to replay a run's kill times.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import yaml

from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.graph import GRAPH_STATE, create_graph_standin
from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, button_reply, encode, sign, text_message
from tests.conftest import APP_SECRET, LIBRARIAN, PHONE_NUMBER_ID, TOKEN, VERIFY_TOKEN, eventually, free_port, serve
from tests.flows.conftest import Service, stop_like_systemd, while_progressing
from tests.postgres import Postgres

pytestmark = pytest.mark.slow

QUESTIONS = 300
KILLS = 6
RATE = 40.0
TOPICS = ["literasi informasi", "minat baca remaja", "perpustakaan digital", "metode penelitian kualitatif",
          "information literacy", "katalogisasi", "reference services", "pelestarian arsip"]
BUSINESS = BusinessNumber(PHONE_NUMBER_ID)


def patron(i: int) -> str:
    return f"62858{i:08d}"


class Worker:
    """``refbot worker`` as a separate process."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, *, healthy: bool = True) -> None:
        env = {**os.environ, "REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": APP_SECRET,
               "REFBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN}
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "refbot.cli", "worker", "--config", str(self.config),
                env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
            )

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await asyncio.wait_for(self.proc.wait(), 10)

    async def stop(self) -> None:
        await stop_like_systemd(self.proc)


@dataclass
class Chaos:
    """What a run left behind."""

    seed: int
    url: str
    sent: list[dict[str, Any]]
    kills: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        async def fetch() -> list[tuple[Any, ...]]:
            conn = await asyncpg.connect(self.url)
            try:
                return [tuple(r) for r in await conn.fetch(sql)]
            finally:
                await conn.close()

        return asyncio.run(fetch())


async def deliver(http: aiohttp.ClientSession, nodes: list[str], payload: dict[str, Any], turn: int) -> None:
    """Post a signed webhook to the web nodes in turn until one answers 200."""
    body = encode(payload)
    headers = {SIGNATURE_HEADER: sign(body, APP_SECRET), "Content-Type": "application/json"}
    for attempt in range(1200):
        url = nodes[(turn + attempt) % len(nodes)]
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            async with http.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=5)) as r:
                if r.status == 200:
                    return
                assert r.status >= 500, f"webhook refused with {r.status}: {await r.text()}"
        await asyncio.sleep(0.05)
    raise AssertionError("a webhook was never accepted")


async def run_chaos(work: Path, catalog_dir: Path, url: str, seed: int) -> Chaos:
    rng = random.Random(seed)
    ports = [free_port(), free_port()]
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph = create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID,
                                 webhook_url=f"http://127.0.0.1:{ports[0]}/webhook", status_delay=0.2)
    graph_runner, graph_url = await serve(graph)
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump({
        "store": {"url": url, "path": str(work / "unused.sqlite3")},
        "catalog": {"index_dir": str(catalog_dir)},
        "crossref": {"enabled": False, "base_url": crossref_url},
        "search": {"deadline": 8.0},
        "whatsapp": {"graph_api_base": graph_url, "phone_number_id": PHONE_NUMBER_ID, "messages_per_second": 1000.0,
                     "unsure_wait_seconds": 20.0},
        "librarians": [{"name": "Dewi", "phone": LIBRARIAN}],
        "desk": {"hold_librarian_notices": False},  # drafts reach the librarian at whatever hour the suite runs
        "worker": {"poll_interval": 0.05, "concurrency": 8, "mode": "none"},
    }))
    webs = [Service(config, port, work / f"web{i}.log") for i, port in enumerate(ports)]
    workers = [Worker(config, work / f"worker{i}.log") for i in range(2)]
    processes: list[Service | Worker] = [*webs, *workers]
    names = ["web0", "web1", "worker0", "worker1"]
    nodes = [f"http://127.0.0.1:{port}/webhook" for port in ports]
    chaos = Chaos(seed, url, [])
    db = await asyncpg.create_pool(url, min_size=1, max_size=4)
    started = time.monotonic()

    async def count(sql: str) -> int:
        return int(await db.fetchval(sql) or 0)

    async with aiohttp.ClientSession() as http:
        for web in webs:
            await web.start(healthy=False)
        for w in workers:
            await w.start()
        posting_done = asyncio.Event()

        async def patrons() -> None:
            async def ask(i: int) -> None:
                text = f"{TOPICS[i % len(TOPICS)]} untuk tugas nomor {i}"
                await deliver(http, nodes, text_message(BUSINESS, patron(i), text, wamid=f"wamid.pg.q{i:04d}"), i)

            tasks = []
            for i in range(QUESTIONS):
                tasks.append(asyncio.create_task(ask(i)))
                await asyncio.sleep(1 / RATE)
            await asyncio.gather(*tasks)
            posting_done.set()

        async def librarian() -> None:
            approved: set[int] = set()
            pending: set[asyncio.Task[None]] = set()
            while True:
                for r in await db.fetch("SELECT id FROM drafts WHERE status = 'pending'"):
                    draft_id = r["id"]
                    if draft_id in approved:
                        continue
                    approved.add(draft_id)
                    tap = button_reply(BUSINESS, LIBRARIAN, f"approve:{draft_id}", "Setujui", context_id="wamid.d",
                                       wamid=f"wamid.pg.approve{draft_id:04d}")
                    task = asyncio.create_task(deliver(http, nodes, tap, draft_id))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                if posting_done.is_set() and len(approved) >= QUESTIONS and not pending:
                    return
                await asyncio.sleep(0.2)

        async def killer() -> None:
            work = ("SELECT (SELECT COUNT(*) FROM drafts) + (SELECT COUNT(*) FROM outbox"
                    " WHERE state IN ('sent', 'delivered', 'read'))")
            for _ in range(KILLS):
                # Kill once the desk has moved on since the last restart (drafted or sent
                # something), or at once when everything is done already: a kill then still
                # tests a restart with nothing in hand.
                before = await count(work)

                async def progressed(before: int = before) -> bool:
                    done = await count("SELECT COUNT(*) FROM drafts WHERE status = 'sent'") >= QUESTIONS
                    return done or await count(work) > before

                await eventually(progressed, within=120, what="the desk to draft or send again")
                await asyncio.sleep(rng.uniform(0.0, 2.0))
                victim = rng.randrange(2) + (2 if len(chaos.kills) % 2 else 0)  # a web node, then a worker, …
                chaos.kills.append(names[victim])
                await processes[victim].kill()
                await asyncio.sleep(rng.uniform(0.0, 0.5))
                if isinstance(processes[victim], Service):
                    await processes[victim].start(healthy=False)
                else:
                    await processes[victim].start()

        async def settled() -> None:
            await asyncio.gather(patrons(), librarian(), killer())
            while True:
                sent = await count("SELECT COUNT(*) FROM drafts WHERE status = 'sent'")
                unsent = await count("SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending', 'unsure')")
                busy = await count("SELECT COUNT(*) FROM inbox WHERE state IN ('pending', 'processing')")
                waiting = await count("SELECT COUNT(*) FROM webhooks")
                if sent >= QUESTIONS and unsent == 0 and busy == 0 and waiting == 0:
                    return
                await asyncio.sleep(0.2)

        async def work_done() -> tuple[Any, ...]:
            return tuple(await db.fetchrow(
                "SELECT (SELECT COUNT(*) FROM inbox), (SELECT COUNT(*) FROM inbox WHERE state = 'done'),"
                " (SELECT COUNT(*) FROM drafts), (SELECT COUNT(*) FROM drafts WHERE status = 'sent'),"
                " (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM outbox WHERE state IN ('sent', 'delivered', 'read')),"
                " (SELECT COUNT(*) FROM webhooks)") or ())

        try:
            # No clock limit: on a machine busy with other work the run takes several times its
            # idle length. It fails when the desk stops moving — kills included — for three minutes.
            await while_progressing(settled(), work_done, stall=180, what="the PostgreSQL chaos run")
            await asyncio.sleep(1.0)  # a duplicate would be on the wire by now
        finally:
            chaos.seconds = time.monotonic() - started
            chaos.sent = list(graph[GRAPH_STATE].messages)
            await db.close()
            await graph_runner.cleanup()
            for p in processes:
                with contextlib.suppress(Exception):
                    await p.stop()
            await crossref_runner.cleanup()
    return chaos


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory, catalog_dir: Path, postgres: Postgres) -> Chaos:
    work = tmp_path_factory.mktemp("chaos-pg")
    seed = int(os.environ.get("CHAOS_SEED") or random.randrange(10**6))
    url = postgres.cluster.create_database("chaos")
    try:
        return asyncio.run(run_chaos(work, catalog_dir, url, seed))
    except Exception as e:
        logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}" for p in sorted(work.glob("*.log")))
        raise AssertionError(f"chaos run failed ({e!r}); replay with CHAOS_SEED={seed}; logs:\n{logs}") from e


def test_processes_of_each_kind_were_killed_mid_stream(chaos: Chaos) -> None:
    assert len(chaos.kills) == KILLS, chaos.kills
    assert {k[:3] for k in chaos.kills} == {"web", "wor"}, chaos.kills


def test_every_question_has_exactly_one_request_and_one_draft(chaos: Chaos) -> None:
    [(questions,)] = chaos.rows("SELECT COUNT(*) FROM inbox WHERE wamid LIKE 'wamid.pg.q%'")
    assert questions == QUESTIONS
    wrong = chaos.rows(
        "SELECT i.wamid, COUNT(DISTINCT r.id), COUNT(d.id) FROM inbox i LEFT JOIN requests r ON r.inbox_id = i.id"
        " LEFT JOIN drafts d ON d.request_id = r.id WHERE i.wamid LIKE 'wamid.pg.q%' GROUP BY i.wamid"
        " HAVING COUNT(DISTINCT r.id) <> 1 OR COUNT(d.id) <> 1")
    assert wrong == [], f"seed {chaos.seed}: {wrong[:10]}"
    assert chaos.rows("SELECT state, COUNT(*) FROM inbox GROUP BY state") == [("done", 2 * QUESTIONS)]
    assert chaos.rows("SELECT COUNT(*) FROM webhooks") == [(0,)], "every webhook written down was applied"


def test_every_approved_list_reached_its_patron_exactly_once(chaos: Chaos) -> None:
    assert chaos.rows("SELECT status, COUNT(*) FROM drafts GROUP BY status") == [("sent", QUESTIONS)]
    rows = chaos.rows("SELECT recipient, wamid FROM outbox WHERE idem_key LIKE 'draft:%:patron:%'")
    recorded = {m["id"] for m in chaos.sent}
    missing = [to for to, wamid in rows if wamid not in recorded]
    assert missing == [], f"seed {chaos.seed}: list rows marked sent that WhatsApp never got: {missing[:10]}"
    assert {to for to, _ in rows} == {patron(i) for i in range(QUESTIONS)}
    patrons = {patron(i) for i in range(QUESTIONS)}
    twice = {k: n for k, n in Counter((m["to"], m["text"]) for m in chaos.sent if m["to"] in patrons).items() if n > 1}
    assert twice == {}, f"seed {chaos.seed}: {len(twice)} messages to patrons sent more than once"
    reviews = Counter((m["to"], m["text"]) for m in chaos.sent if m["to"] not in patrons)
    assert {k: n for k, n in reviews.items() if n > 1} == {}, "no review copy reached a librarian twice"
