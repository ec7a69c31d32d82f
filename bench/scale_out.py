"""Scaling out on PostgreSQL: webhook intake on 1 and 2 web processes, drafting on 1, 2 and 4 workers.

Everything runs for real on loopback, in one run: a throwaway PostgreSQL server from Debian's
package (``refbot.sandbox.postgres.TemporaryCluster``) with default durability — fsync and
synchronous_commit on, as in production; only statement-duration logging and WAL I/O timing
are switched on, to say where time went — ``refbot serve`` and ``refbot worker`` as an admin
starts them (``worker: {mode: none}``, INFO logging to files), and the Graph API and Crossref
stand-ins in a process of their own.

1. **Intake** — the load generator of ``bench/webhook_load.py`` (in this process: pre-rendered
   signed requests written to keep-alive sockets) plays the same phases against each server:

       (a)  the bare handler: aiohttp, HMAC check, one SQLite insert (``webhook_load.serve_bare``)
       (b0) refbot serve on SQLite as committed (``git archive HEAD``: the code bench/webhook_load.py
            measured), worker.mode none — the reference the SQLite target compares with
       (b)  refbot serve on SQLite, this working tree, worker.mode none
       (c)  refbot serve on PostgreSQL, 1 web process
       (d)  refbot serve on PostgreSQL, 2 web processes; requests spread over both ports in turn,
            as a load balancer would

       paced  500/s, 1000/s, 2000/s, 3000/s   open loop: each webhook leaves at its scheduled
                                              time; latency counts from that time
       closed 32, 128 connections             as fast as answers come back

   2 % of refbot's webhooks are delivered twice (Meta's at-least-once). Prints acknowledgement
   p50/p99 and throughput per phase and the ratios to the bare handler; for PostgreSQL also
   the WAL flushes (count, mean time) and the statements that took over 20 ms. After (c) and
   (d) the web processes stop, one ``refbot worker`` starts (same configuration), and the run
   waits until the ``webhooks`` table is empty and checks that the inbox holds every
   acknowledged question exactly once (lost = acknowledged but not in the inbox); it prints how
   fast that one worker applied the table.

2. **Drafting** — N questions (200 × scale, each from its own patron, each a distinct Crossref
   query so no answer comes from the cache) are written down through one web node while no
   worker runs; the web node stops, then 1, 2 or 4 ``refbot worker`` processes start (a fresh
   database per case, the same questions) with the Crossref stand-in answering every request
   after 300 ms and the catalog on the bundled demo catalog. drafts/s counts from the workers'
   start until the last question has its draft (the targets use this); also shown: drafts/s
   from the moment the last worker was up, the CPU per draft of the workers, PostgreSQL and the
   stand-ins, and how busy the whole machine was meanwhile. worker.concurrency is 4 in every
   case, so a gain comes from more processes, not more concurrency inside one;
   crossref.max_concurrent stays at its default (3 per process). Two setups: refbot as shipped
   (crossref.rate_limit 10 requests/s, which the live workers divide among themselves, so it
   caps the whole cluster), and crossref.rate_limit 50/s, what Crossref's public pool announces.

3. The targets, each printed PASS or MISS next to its figure (nothing is asserted):
   PostgreSQL ≥ 2,000 webhooks/s with 2 web processes (best closed-loop phase); ack p99 ≤ 25 ms
   at 500/s; 2 workers ≥ 1.6× and 4 workers ≥ 2.5× the drafts/s of one; SQLite no worse than
   the committed code (b0) — best closed-loop webhooks/s within 10 %, p99 at 500/s within 25 %
   or 2 ms, for the noise — or than figures given with ``--sqlite-reference PER_S,P99_MS``
   (then b0 is not run).

    .venv/bin/python bench/scale_out.py [--scale 1.0] [--repeat 1] [--sqlite-reference PER_S,P99_MS] [--keep]

``--scale 0.1`` runs a tenth of every phase and of the questions (a quick look). The default
scale takes about six minutes on a quiet 2-core machine; the two loss checks (one worker applying
some 15,000 webhooks each, one transaction per webhook) take minutes more when the disk's
flushes are slow. Needs the ``postgresql`` package (``make test`` installs it)
and the project's own dependencies. On a 2-core machine the load generator, the web processes,
the workers, the stand-ins and PostgreSQL all share the two cores — with more web processes or
workers than cores, a gain measures how well refbot overlaps waiting, not parallel CPU — and a
machine shared with other work makes every figure noisy: the load average is printed at the
start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE.parent))

import asyncpg  # noqa: E402
from webhook_load import (  # noqa: E402
    PHONE_NUMBER_ID,
    SECRET,
    TOKEN,
    Connection,
    Phase,
    Pool,
    Webhook,
    free_port,
    make_webhooks,
    spawn,
    stop,
    warm,
)

WEBHOOK_LOAD = HERE.parent / "webhook_load.py"
PHASES: list[tuple[str, float, int]] = [  # (kind, rate or connections, webhooks at scale 1)
    ("paced", 500, 2000),
    ("paced", 1000, 2000),
    ("paced", 2000, 2000),
    ("paced", 3000, 2400),
    ("closed", 32, 3000),
    ("closed", 128, 4000),
]
QUESTIONS = 200
WORKER_COUNTS = (1, 2, 4)
SETUPS: list[tuple[str, dict[str, int], str]] = [
    ("shipped", {}, "crossref.rate_limit 10 requests/s (the default), which the live workers share"),
    ("rate50", {"rate_limit": 50}, "crossref.rate_limit 50 requests/s: what Crossref's public pool (and the "
                                   "stand-in) announce; shared likewise"),
]
"""The drafting runs: refbot as shipped, and with the cluster-wide Crossref pace raised to what Crossref allows."""
WORKER_CONCURRENCY = 4
CROSSREF_DELAY = 0.3
SLOW_MS = 20
"""Statements slower than this are logged by the PostgreSQL server and counted per case."""
DIAGNOSTICS = {"log_min_duration_statement": str(SLOW_MS), "track_wal_io_timing": "on"}
"""Server settings that only report (durability stays PostgreSQL's default)."""
ENV = {"REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": SECRET, "REFBOT_WHATSAPP_VERIFY_TOKEN": "v"}

TOPICS = ["literasi informasi", "minat baca", "perpustakaan digital", "katalogisasi", "layanan referensi",
          "metode penelitian kualitatif", "pelestarian arsip", "perilaku pencarian informasi", "bibliometrika",
          "open access", "temu kembali informasi", "kepuasan pemustaka", "manajemen koleksi", "repositori institusi"]
GROUPS = ["mahasiswa", "remaja", "guru sekolah dasar", "perpustakaan desa", "era digital", "perguruan tinggi",
          "pandemi", "media sosial", "pustakawan", "masyarakat pedesaan", "anak usia dini", "penyandang disabilitas",
          "UMKM", "pesantren", "generasi Z"]
FRAMES = ["kak, saya cari referensi tentang {t} pada {g} untuk skripsi", "Selamat pagi, ada buku tentang {t} {g}?",
          "tolong carikan jurnal tentang {t} di kalangan {g}", "{t} {g}"]


# --- intake: the generator over one or several ports ----------------------------------------


@dataclass
class Intake:
    """One server's phases, and which wamids were posted and which answered 200."""

    name: str
    short: str
    phases: list[Phase]
    posted: set[str] = field(default_factory=set)
    acked: set[str] = field(default_factory=set)
    database: str = ""
    """What the PostgreSQL server reported meanwhile (empty for SQLite)."""
    cpu: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    """Per phase: cores used by the load generator, the server processes and PostgreSQL; the machine's busy share."""
    dropped_syns: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per phase: listen-queue overflows and SYN retransmissions the kernel counted (machine-wide)."""

    def phase(self, prefix: str) -> Phase:
        return next(p for p in self.phases if " ".join(p.name.split()).startswith(prefix))

    @property
    def best_closed(self) -> float:
        return max(p.throughput for p in self.phases if p.name.startswith("closed"))


async def paced(pools: list[Pool], hooks: list[Webhook], rate: float, acked: set[str]) -> Phase:
    """Open loop: webhook i leaves at start + i/rate, to pool i mod n; latency from that time."""
    latencies: list[float] = []
    failures = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int, hook: Webhook) -> None:
        nonlocal failures
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        ok = await pools[i % len(pools)].post(hook)
        latencies.append(loop.time() - due)
        if ok:
            acked.add(hook.wamid)
        failures += not ok

    await asyncio.gather(*(one(i, h) for i, h in enumerate(hooks)))
    return Phase(f"paced {rate:>5g}/s", len(hooks), loop.time() - start, latencies, failures)


async def closed(ports: list[int], hooks: list[Webhook], connections: int, acked: set[str]) -> Phase:
    """Closed loop: ``connections`` keep-alive connections, spread over the ports, each sending as answers come."""
    latencies: list[float] = []
    failures = 0
    queue = list(reversed(hooks))
    loop = asyncio.get_running_loop()
    conns = [await Connection.open(ports[i % len(ports)]) for i in range(connections)]

    async def client(conn: Connection) -> None:
        nonlocal failures
        while queue:
            hook = queue.pop()
            began = loop.time()
            ok = await conn.send(hook.request) == 200
            latencies.append(loop.time() - began)
            if ok:
                acked.add(hook.wamid)
            failures += not ok

    start = loop.time()
    await asyncio.gather(*(client(c) for c in conns))
    seconds = loop.time() - start
    for conn in conns:
        conn.close()
    return Phase(f"closed {connections:>4d} conn", len(hooks), seconds, latencies, failures)


async def play(name: str, short: str, ports: list[int], run: str, scale: float, redeliver: bool,
               cpu: CpuWatch) -> Intake:
    """Every intake phase against the servers on ``ports``."""
    for port in ports:
        await warm(port)
    intake = Intake(name, short, [])
    start = 0
    for kind, knob, count in PHASES:
        count = max(20, int(count * scale))
        hooks = make_webhooks(start, count, run)
        start += count
        if redeliver:  # Meta's at-least-once: 2 % of webhooks come twice, some straight after
            hooks += [hooks[i] for i in range(0, count, 50)]
        intake.posted.update(h.wamid for h in hooks)
        before, cpu_before = tcp_counters(), cpu.sample()
        if kind == "paced":
            pools = [Pool(port) for port in ports]
            for pool in pools:
                await pool.fill(32 // len(pools))
            phase = await paced(pools, hooks, knob, intake.acked)
            for pool in pools:
                pool.close()
        else:
            phase = await closed(ports, hooks, int(knob), intake.acked)
        after, intake.cpu[phase.name] = tcp_counters(), cpu.between(cpu_before, cpu.sample())
        overflows, retries = (after.get(k, 0) - before.get(k, 0) for k in ("ListenOverflows", "TCPSynRetrans"))
        if overflows or retries:
            intake.dropped_syns[phase.name] = (overflows, retries)
        intake.phases.append(phase)
        await asyncio.sleep(0.5)
    return intake


# --- processes, configuration, measuring ----------------------------------------------------


def write_config(work: Path, name: str, store: dict[str, str], graph_port: int, crossref_port: int,
                 crossref: dict[str, int] | None = None) -> Path:
    config = work / f"{name}.yaml"
    config.write_text(json.dumps({  # JSON is YAML
        "store": {"path": str(work / f"{name}.sqlite3"), **store},
        "catalog": {"index_dir": str(work / "catalog")},
        "crossref": {"base_url": f"http://127.0.0.1:{crossref_port}", **(crossref or {})},
        "whatsapp": {"graph_api_base": f"http://127.0.0.1:{graph_port}", "phone_number_id": PHONE_NUMBER_ID},
        "librarians": [{"name": "Dewi", "phone": "6281300000001"}],
        "worker": {"mode": "none", "concurrency": WORKER_CONCURRENCY},
    }))
    return config


def serve(config: Path, port: int, log: Path, tree: Path | None = None) -> subprocess.Popen[bytes]:
    """``refbot serve``; from ``tree`` (another copy of the code) when given."""
    args = [sys.executable, "-m", "refbot.cli", "serve", "--config", str(config), "--port", str(port)]
    if tree is None:
        return spawn(args, log, ENV)
    with log.open("ab") as out:  # run from the copy, so `-m refbot.cli` imports its refbot, not this tree's
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=tree,
                                env={**os.environ, **ENV, "PYTHONPATH": str(tree)})


def worker(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return spawn([sys.executable, "-m", "refbot.cli", "worker", "--config", str(config)], log, ENV)


def committed_tree(work: Path) -> Path | None:
    """The code as committed (``git archive HEAD``, which changes nothing in the repository), or None."""
    target = work / "head"
    try:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD"],
                                 capture_output=True, check=True, timeout=60).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    except (OSError, subprocess.SubprocessError, tarfile.TarError):
        return None
    return target


async def until(check: Callable[[], Awaitable[bool]], within: float, every: float = 0.2) -> bool:
    """Await ``check()`` until it is true or ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(every)
    return False


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu(data: Path) -> float:
    """CPU time of a PostgreSQL server so far: the postmaster, its live children, and the children it reaped."""
    try:
        master = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == master:
            ticks += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
        elif int(fields[1]) == master:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def tcp_counters() -> dict[str, int]:
    """The kernel's TCP counters (machine-wide), for listen-queue overflows and SYN retransmissions."""
    with contextlib.suppress(OSError):
        lines = Path("/proc/net/netstat").read_text().splitlines()
        for names, values in zip(lines[::2], lines[1::2], strict=False):
            if names.startswith("TcpExt:"):
                return dict(zip(names.split()[1:], (int(v) for v in values.split()[1:]), strict=False))
    return {}


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, every process of everyone."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


class CpuWatch:
    """CPU used by this process (the load generator), the server processes, PostgreSQL, and the whole machine."""

    def __init__(self, pids: list[int], pg_data: Path | None = None) -> None:
        self.pids, self.pg_data = pids, pg_data

    def sample(self) -> tuple[float, float, float, float, tuple[int, int]]:
        pg = postgres_cpu(self.pg_data) if self.pg_data else 0.0
        return time.monotonic(), time.process_time(), cpu_seconds(self.pids), pg, machine_jiffies()

    @staticmethod
    def between(before: tuple[float, float, float, float, tuple[int, int]],
                after: tuple[float, float, float, float, tuple[int, int]]) -> tuple[float, float, float, float]:
        """Cores used by the generator, the servers and PostgreSQL, and the machine's busy share, in between."""
        seconds = max(after[0] - before[0], 1e-6)
        return ((after[1] - before[1]) / seconds, (after[2] - before[2]) / seconds, (after[3] - before[3]) / seconds,
                busy_share(before[4], after[4]))


class ServerWatch:
    """What the PostgreSQL server did between :meth:`start` and :meth:`report`: WAL flushes and slow statements."""

    SLOW = re.compile(r"duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): (.*)")

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.log = Path(cluster.folder) / "server.log"
        self._wal = (0, 0.0)
        self._offset = 0

    async def _wal_now(self) -> tuple[int, float]:
        conn = await asyncpg.connect(self.cluster.url())
        try:
            row = await conn.fetchrow("SELECT wal_sync, wal_sync_time FROM pg_stat_wal")
        finally:
            await conn.close()
        return int(row["wal_sync"]), float(row["wal_sync_time"])

    async def start(self) -> None:
        self._wal = await self._wal_now()
        self._offset = self.log.stat().st_size if self.log.exists() else 0

    async def report(self) -> str:
        syncs, sync_ms = await self._wal_now()
        flushes, flush_ms = syncs - self._wal[0], sync_ms - self._wal[1]
        with self.log.open("rb") as f:
            f.seek(self._offset)
            text = f.read().decode(errors="replace")
        slow = [(float(m[1]), m[2].strip()) for m in self.SLOW.finditer(text)]
        commits = [ms for ms, sql in slow if sql.upper().startswith("COMMIT")]
        line = (f"WAL flushed {flushes} times, {flush_ms / max(flushes, 1):.1f} ms each on average; "
                f"{len(slow)} statements over {SLOW_MS} ms")
        if slow:
            line += (f" (the slowest {max(ms for ms, _ in slow):.0f} ms; {len(commits)} of them COMMIT"
                     + (f", slowest {max(commits):.0f} ms" if commits else "") + ")")
        return line


# --- the loss check on PostgreSQL ------------------------------------------------------------


@dataclass
class Applied:
    waiting: int
    stored: int
    missing: int
    twice: int
    seconds: float
    """From the worker's spawn until the table was empty."""
    rate: float
    """Webhooks applied per second from the first one applied (start-up left out)."""
    drafted: int
    """Questions the worker drafted meanwhile."""
    exited: int | None = None
    """The worker's exit status when it ended on its own (it should not)."""


async def check_applied(url: str, config: Path, intake: Intake, log: Path) -> Applied:
    """Start one worker; wait until the ``webhooks`` table is empty; check the inbox against what was acknowledged."""
    db = await asyncpg.connect(url)
    try:
        journal = int(await db.fetchval("SELECT COUNT(*) FROM webhooks"))
        began = time.time()
        first: tuple[float, int] | None = None
        proc = worker(config, log)
        try:
            async def empty() -> bool:
                nonlocal first
                left = int(await db.fetchval("SELECT COUNT(*) FROM webhooks"))
                if first is None and left < journal:
                    first = (time.time(), left)
                return left == 0 or proc.poll() is not None

            await until(empty, within=max(180.0, journal / 40), every=0.25)
            seconds = time.time() - began
        finally:
            exited = proc.poll()
            stop(proc)
        waiting = int(await db.fetchval("SELECT COUNT(*) FROM webhooks"))
        rows = await db.fetch("SELECT wamid, COUNT(*) AS n FROM inbox GROUP BY wamid")
        drafted = int(await db.fetchval("SELECT COUNT(*) FROM drafts"))
    finally:
        await db.close()
    counts = {r["wamid"]: int(r["n"]) for r in rows}
    missing = sum(1 for w in intake.acked if w not in counts)
    twice = sum(1 for n in counts.values() if n > 1)
    end = began + seconds
    rate = (first[1] - waiting) / (end - first[0]) if first and end > first[0] else 0.0
    return Applied(waiting, sum(1 for w in intake.acked if w in counts), missing, twice, seconds, rate, drafted,
                   exited)


# --- drafting ----------------------------------------------------------------------------------


def question_texts(n: int) -> list[str]:
    """n patron questions, each a distinct Crossref query (so none is answered from the cache)."""
    combos = len(TOPICS) * len(GROUPS)
    out = []
    for i in range(n):
        text = FRAMES[i % len(FRAMES)].format(t=TOPICS[i % len(TOPICS)], g=GROUPS[(i // len(TOPICS)) % len(GROUPS)])
        if i >= combos:
            text += f" terbitan {2024 - i // combos}"
        out.append(text)
    return out


def distinct_queries(texts: list[str]) -> int:
    from connectors.crossref.query import plan
    from refbot.pipeline.parse import parse_need

    keys = set()
    for text in texts:
        calls = plan(parse_need(text, current_year=2026), 20, journals=True)
        keys.add(tuple(c.key for c in (calls.works, calls.journal_search) if c is not None) if calls else None)
    return len(keys)


def question_webhooks(texts: list[str]) -> list[Webhook]:
    from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, sign, text_message

    business = BusinessNumber(PHONE_NUMBER_ID)
    hooks = []
    for i, text in enumerate(texts):
        wamid = f"wamid.draft{i:06d}"
        body = encode(text_message(business, f"6287{i:09d}", text, wamid=wamid, name=f"Pemustaka {i}"))
        head = (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"{SIGNATURE_HEADER}: {sign(body, SECRET)}\r\nContent-Length: {len(body)}\r\n\r\n")
        hooks.append(Webhook(wamid, head.encode() + body))
    return hooks


@dataclass
class Drafting:
    workers: int
    questions: int
    drafts: int
    seconds: float
    """From the workers' start until the last draft existed."""
    up: float
    """From the workers' start until the last of them was up (its first heartbeat)."""
    first: float
    """From the workers' start until the first draft existed."""
    noted: int
    """Drafts with a source note (a source failed or timed out)."""
    per_worker: list[int]
    crossref_requests: int
    cpu_per_draft: float
    """The workers' CPU seconds per draft once all were up."""
    pg_per_draft: float
    """PostgreSQL's CPU seconds per draft, likewise."""
    standins_per_draft: float
    """The stand-ins' CPU seconds per draft, likewise."""
    cores: float
    """The workers' CPU seconds per second once all were up (1.0: one core's worth)."""
    machine_busy: float
    """Share of the machine's CPU busy once all were up (every process: the database's, other users' too)."""
    exited: list[int] = field(default_factory=list)
    """Exit statuses of workers that ended on their own (none should)."""

    @property
    def rate(self) -> float:
        return self.drafts / self.seconds if self.seconds else 0.0

    @property
    def rate_up(self) -> float:
        return self.drafts / (self.seconds - self.up) if self.seconds > self.up else 0.0


async def crossref_count(http: Any, crossref: str) -> int:
    async with http.get(f"{crossref}/_stats") as r:
        return sum((await r.json())["requests"].values())


async def drafting_case(cluster: Any, work: Path, http: Any, crossref: str, graph_port: int, crossref_port: int,
                        standins: int, hooks: list[Webhook], setup: tuple[str, dict[str, int], str], workers: int,
                        run: int) -> Drafting:
    name = f"draft-{setup[0]}-{workers}w{run}"
    url = cluster.create_database(name.replace("-", "_"))
    config = write_config(work, name, {"url": url}, graph_port, crossref_port, setup[1])
    port = free_port()
    web = serve(config, port, work / f"{name}-web.log")
    acked: set[str] = set()
    try:
        await warm(port)
        await closed([port], hooks, 8, acked)
    finally:
        stop(web)
    if len(acked) != len(hooks):
        raise SystemExit(f"{name}: only {len(acked)}/{len(hooks)} questions were acknowledged")
    n = len(hooks)
    db = await asyncpg.connect(url)
    requests_before = await crossref_count(http, crossref)
    try:
        began = time.time()
        procs = [worker(config, work / f"{name}-worker{i}.log") for i in range(workers)]
        pids = [p.pid for p in procs]
        # (time, drafts, CPU of the workers, PostgreSQL and the stand-ins, the machine's): once all are up, and at the end
        snaps: list[tuple[float, int, float, float, float, tuple[int, int]]] = []

        def snap(done: int) -> None:
            snaps.append((time.time(), done, cpu_seconds(pids), postgres_cpu(cluster.data), cpu_seconds([standins]),
                          machine_jiffies()))

        try:
            async def drafted() -> bool:
                done = int(await db.fetchval("SELECT COUNT(*) FROM drafts"))
                if not snaps and int(await db.fetchval("SELECT COUNT(DISTINCT worker) FROM worker_heartbeats")) >= workers:
                    snap(done)
                if done >= n and snaps:
                    snap(done)
                return done >= n or any(p.poll() is not None for p in procs)

            await until(drafted, within=max(180.0, 3.0 * n), every=0.1)
        finally:
            exited = [code for code in (p.poll() for p in procs) if code is not None]
            for proc in procs:
                stop(proc)
        first, last, drafts, noted = await db.fetchrow(
            "SELECT MIN(created_at), MAX(created_at), COUNT(*), COUNT(*) FILTER (WHERE source_notes <> '[]')"
            " FROM drafts")
        up = await db.fetchval("SELECT MAX(started) FROM (SELECT MIN(beat_at) AS started FROM worker_heartbeats"
                               " GROUP BY worker) AS w")
        per_worker = [int(r["n"]) for r in await db.fetch(
            "SELECT claimed_by, COUNT(*) AS n FROM inbox WHERE claimed_by <> '' GROUP BY claimed_by ORDER BY n DESC")]
    finally:
        await db.close()
    requests = await crossref_count(http, crossref) - requests_before
    last = last if drafts >= n else time.time()
    cpu, pg, stand, cores, busy = 0.0, 0.0, 0.0, 0.0, 0.0
    if len(snaps) == 2 and snaps[1][1] > snaps[0][1]:
        (t0, d0, c0, p0, s0, m0), (t1, d1, c1, p1, s1, m1) = snaps
        cpu, pg, stand = (c1 - c0) / (d1 - d0), (p1 - p0) / (d1 - d0), (s1 - s0) / (d1 - d0)
        cores, busy = (c1 - c0) / max(t1 - t0, 1e-3), busy_share(m0, m1)
    return Drafting(workers, n, int(drafts), float(last) - began, float(up or began) - began,
                    float(first or began) - began, int(noted), per_worker, requests, cpu, pg, stand, cores, busy,
                    exited)


# --- reporting ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def log_problems(work: Path) -> list[str]:
    """Per log file: how many ERROR lines and tracebacks, and the commonest messages."""
    out = []
    for log in sorted(work.glob("*.log")):
        text = log.read_text(errors="replace")
        errors = [line for line in text.splitlines() if " ERROR " in line or " CRITICAL " in line]
        tracebacks = text.count("Traceback (most recent call last)")
        if errors or tracebacks:
            kinds = Counter(re.sub(r"^\S+ \S+ ", "", line)[:160] for line in errors)
            out.append(f"  {log.name}: {len(errors)} ERROR lines, {tracebacks} tracebacks")
            out += [f"      {n}× {message}" for message, n in kinds.most_common(4)]
    return out


def report_intake(intake: Intake) -> None:
    """The phase table of ``bench/webhook_load.py``, with where the CPU went (in cores) beside it."""
    print(f"\n{intake.name}")
    print(f"  {'phase':<18} {'webhooks':>8} {'failed':>6} {'ack/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
          f"   CPU: {'generator':>9} {'server':>6} {'pg':>5} {'machine':>7}")
    for p in intake.phases:
        gen, server, pg, machine = intake.cpu.get(p.name, (0.0, 0.0, 0.0, 0.0))
        print(f"  {p.name:<18} {p.sent:>8} {p.failures:>6} {p.throughput:>8.0f} {p.quantile(0.5):>8.1f} "
              f"{p.quantile(0.99):>8.1f} {max(p.latencies) * 1000:>8.1f}        {gen:>9.2f} {server:>6.2f} "
              + (f"{pg:>5.2f}" if intake.database else f"{'-':>5}") + f" {machine:>7.0%}")


def ratios(base: Intake, others: list[Intake]) -> None:
    print("\nratio to the bare handler per phase (throughput ratio / p99 ratio):")
    print(f"  {'phase':<18}" + "".join(f" {o.short:>19}" for o in others))
    for i, p in enumerate(base.phases):
        cells = [f"{o.phases[i].throughput / p.throughput:.2f} / {o.phases[i].quantile(0.99) / p.quantile(0.99):5.1f}×"
                 for o in others]
        print(f"  {p.name:<18}" + "".join(f" {c:>19}" for c in cells))


async def run(scale: float, repeat: int, reference: tuple[float, float] | None, keep: bool) -> None:
    import aiohttp

    from refbot.catalog.index import build_index
    from refbot.sandbox.postgres import TemporaryCluster

    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="refbot-scale-out-"))
    pg_folder = Path(tempfile.mkdtemp(prefix="refbot-scale-pg-"))  # under /tmp: the postgres user must enter it
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} (5 min: {load[1]:.2f}) on {os.cpu_count()} cores"
          + ("  — the machine is busy: figures will be low and noisy" if load[0] > 1.0 else ""), flush=True)
    print("the load generator, web processes, workers, stand-ins and PostgreSQL all share these cores", flush=True)
    python = sys.executable
    catalog = build_index([REPO / "refbot" / "data" / "demo_catalog.xml"], work / "catalog")
    graph_port, crossref_port = free_port(), free_port()
    crossref = f"http://127.0.0.1:{crossref_port}"
    standins = spawn([python, str(WEBHOOK_LOAD), "--serve-standins", str(graph_port), str(crossref_port)],
                     work / "standins.log")
    cluster = TemporaryCluster(pg_folder, settings=DIAGNOSTICS)  # fsync and synchronous_commit stay on
    head = None if reference else committed_tree(work)
    intakes: dict[str, Intake] = {}
    applied: dict[str, Applied] = {}
    drafting: dict[str, dict[int, list[Drafting]]] = {name: {k: [] for k in WORKER_COUNTS} for name, _, _ in SETUPS}
    try:
        await asyncio.to_thread(cluster.start)
        version = await asyncio.to_thread(subprocess.check_output, [str(cluster.bin / "postgres"), "--version"],
                                          text=True)
        print(f"{version.strip()}: fsync on, synchronous_commit on (defaults)", flush=True)
        watch = ServerWatch(cluster)

        port = free_port()
        bare_handler = spawn([python, str(WEBHOOK_LOAD), "--serve-bare", str(port), str(work / "bare.sqlite3")],
                             work / "bare.log")
        try:
            intakes["a"] = await play("(a) bare handler (HMAC + SQLite insert)", "(a) bare", [port], "a", scale, False,
                                      CpuWatch([bare_handler.pid]))
        finally:
            stop(bare_handler)
        print("(a) done", flush=True)

        sqlite_cases: list[tuple[str, Path | None, str]] = [("b", None, "this working tree")]
        if head is not None:
            sqlite_cases.insert(0, ("b0", head, "as committed (git HEAD)"))
        for label, tree, what in sqlite_cases:
            config = write_config(work, f"sqlite-{label}", {}, graph_port, crossref_port)
            port = free_port()
            web = serve(config, port, work / f"sqlite-{label}-web.log", tree)
            try:
                intakes[label] = await play(f"({label}) refbot on SQLite, 1 web process, {what}", f"({label}) SQLite",
                                            [port], label, scale, True, CpuWatch([web.pid]))
            finally:
                stop(web)
            print(f"({label}) done", flush=True)

        for nodes, label in ((1, "c"), (2, "d")):
            url = cluster.create_database(f"intake{nodes}")
            config = write_config(work, f"pg{nodes}", {"url": url}, graph_port, crossref_port)
            ports = [free_port() for _ in range(nodes)]
            webs = [serve(config, p, work / f"pg{nodes}-web{i}.log") for i, p in enumerate(ports)]
            try:
                for p in ports:
                    await warm(p)  # started (and the schema migrated) before the server is watched
                await watch.start()
                intake = await play(f"({label}) refbot on PostgreSQL, {nodes} web process{'es' if nodes > 1 else ''}",
                                    f"({label}) PG {nodes} web", ports, label, scale, True,
                                    CpuWatch([w.pid for w in webs], cluster.data))
                intake.database = await watch.report()
            finally:
                for w in webs:
                    stop(w)
            intakes[label] = intake
            print(f"({label}) done; one worker applies the webhooks table…", flush=True)
            applied[label] = await check_applied(url, config, intake, work / f"pg{nodes}-worker.log")

        texts = question_texts(max(10, int(QUESTIONS * scale)))
        hooks = question_webhooks(texts)
        async with aiohttp.ClientSession() as http:
            async def standins_up() -> bool:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{crossref}/_stats") as r:
                        return r.status == 200
                return False

            if not await until(standins_up, 30):
                raise SystemExit("the stand-ins never answered")
            async with http.post(f"{crossref}/_control", json={"delay": CROSSREF_DELAY}) as r:
                assert r.status == 200, await r.text()
            for attempt in range(repeat):
                for setup in SETUPS:
                    for k in WORKER_COUNTS:
                        case = await drafting_case(cluster, work, http, crossref, graph_port, crossref_port,
                                                   standins.pid, hooks, setup, k, attempt)
                        drafting[setup[0]][k].append(case)
                        print(f"drafting ({setup[0]}) with {k} worker(s), run {attempt + 1}: {case.drafts}/"
                              f"{case.questions} drafts in {case.seconds:.1f} s", flush=True)
        distinct = distinct_queries(texts)
    finally:
        stop(standins)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(cluster.stop)
        if not keep:
            shutil.rmtree(pg_folder, ignore_errors=True)

    # --- the figures ---
    bare, sqlite, pg1, pg2 = intakes["a"], intakes["b"], intakes["c"], intakes["d"]
    print(f"\n=== 1. Intake ({', '.join(f'{k} {g:g}' + ('/s' if k == 'paced' else ' conn') for k, g, _ in PHASES)};"
          f" scale {scale:g}) ===")
    for intake in intakes.values():
        report_intake(intake)
        if intake.database:
            print(f"  PostgreSQL meanwhile: {intake.database}")
        for name, (overflows, retries) in intake.dropped_syns.items():
            print(f"  {name.strip()}: the kernel counted {overflows} listen-queue overflows and {retries} SYN "
                  "retransmissions (a connection refused at once is retried after 1 s: a 1-s tail)")
    print("\n(CPU columns: cores used during the phase by the load generator, the web process(es) and PostgreSQL; "
          f"machine: share of all {os.cpu_count()} cores busy, everyone's processes included)")
    ratios(bare, [i for label, i in intakes.items() if label != "a"])
    print("\nbest closed-loop webhooks/s: " + ", ".join(f"{i.short} {i.best_closed:.0f}" for i in intakes.values()))
    print("\nnothing acknowledged lost on PostgreSQL (web processes stopped, then one refbot worker applies `webhooks`):")
    for label, intake in (("c", pg1), ("d", pg2)):
        a = applied[label]
        print(f"  ({label}) posted {len(intake.posted)} questions, acknowledged {len(intake.acked)}; in the inbox "
              f"{a.stored}, lost {a.missing}, stored twice {a.twice}; `webhooks` left {a.waiting}; {'empty' if not a.waiting else 'NOT empty'} "
              f"{a.seconds:.1f} s after the worker started: it applied {a.rate:.0f} webhooks/s "
              f"(and drafted {a.drafted} questions meanwhile)"
              + (f" — THE WORKER EXITED on its own with status {a.exited}: see its log"
                 if a.exited is not None else ""))

    print(f"\n=== 2. Drafting on PostgreSQL ({len(texts)} questions, {distinct} distinct Crossref queries; "
          f"Crossref stand-in answers after {CROSSREF_DELAY * 1000:.0f} ms; demo catalog of {catalog.indexed} records) ===")
    print(f"worker.concurrency = {WORKER_CONCURRENCY} in every case (and crossref.max_concurrent 3 per process, the "
          "default): a gain comes from more worker processes, not from more concurrency in one")
    ratios_by_setup: dict[str, tuple[float, float]] = {}
    for label, _, meaning in SETUPS:
        cases = drafting[label]
        print(f"\n{label}: {meaning}")
        print(f"  {'workers':>7} {'drafts':>9} {'seconds':>7} {'drafts/s':>8} {'all up':>7} {'1st draft':>9} "
              f"{'drafts/s once up':>16} {'CPU ms/draft w/pg/si':>20} {'cores':>5} {'machine busy':>12} {'noted':>5} "
              f"{'crossref':>8}  drafted by each worker")
        for k in WORKER_COUNTS:
            for case in cases[k]:
                cpu = (f"{case.cpu_per_draft * 1000:.0f} / {case.pg_per_draft * 1000:.0f} / "
                       f"{case.standins_per_draft * 1000:.0f}")
                print(f"  {k:>7} {case.drafts:>4}/{case.questions:<4} {case.seconds:>7.1f} {case.rate:>8.1f} "
                      f"{case.up:>6.1f}s {case.first:>8.1f}s {case.rate_up:>16.1f} {cpu:>20} "
                      f"{case.cores:>5.2f} {case.machine_busy:>12.0%} {case.noted:>5} {case.crossref_requests:>8}  "
                      f"{case.per_worker}"
                      + (f"  — WORKERS EXITED on their own: {case.exited}, see the logs" if case.exited else ""))
        medians = {k: statistics.median(c.rate for c in cases[k]) for k in WORKER_COUNTS}
        up_medians = {k: statistics.median(c.rate_up for c in cases[k]) for k in WORKER_COUNTS}
        print(f"  median drafts/s from the workers' start{f' of {repeat} runs' if repeat > 1 else ''}: "
              + ", ".join(f"{k}w {medians[k]:.1f}" for k in WORKER_COUNTS)
              + f";  2w/1w {medians[2] / medians[1]:.2f}×   4w/1w {medians[4] / medians[1]:.2f}×")
        print("  from the moment the last worker was up: " + ", ".join(f"{k}w {up_medians[k]:.1f}" for k in WORKER_COUNTS)
              + f";  2w/1w {up_medians[2] / up_medians[1]:.2f}×   4w/1w {up_medians[4] / up_medians[1]:.2f}×")
        ratios_by_setup[label] = (medians[2] / medians[1], medians[4] / medians[1])
    print("\n(all up: when the last worker's first heartbeat was written; from then on: CPU ms per draft of the workers, "
          "PostgreSQL and the stand-ins, the workers' cores, and how busy the whole machine was, everyone's processes; "
          "noted: drafts with a source-failure note; crossref: requests the stand-in answered)")

    print("\n=== 3. Targets ===")
    print(f"  PostgreSQL, 2 web processes ≥ 2000 webhooks/s (best closed loop): {pg2.best_closed:6.0f}/s   "
          f"{verdict(pg2.best_closed >= 2000)}")
    for intake in (sqlite, pg1, pg2):
        p99 = intake.phase("paced 500/s").quantile(0.99)
        print(f"  ack p99 ≤ 25 ms at 500/s, {intake.short[intake.short.index(' ') + 1:]:<10}: {p99:6.1f} ms   "
              f"{verdict(p99 <= 25)}")
    for label, (two, four) in ratios_by_setup.items():
        print(f"  2 workers ≥ 1.6× the drafts/s of one ({label}): {two:.2f}×   {verdict(two >= 1.6)}")
        print(f"  4 workers ≥ 2.5× the drafts/s of one ({label}): {four:.2f}×   {verdict(four >= 2.5)}")
    sqlite_p99 = sqlite.phase("paced 500/s").quantile(0.99)
    if reference is not None:
        ref_rate, ref_p99, source = *reference, "--sqlite-reference"
    elif "b0" in intakes:
        ref_rate, ref_p99 = intakes["b0"].best_closed, intakes["b0"].phase("paced 500/s").quantile(0.99)
        source = "(b0), the committed code, in this run"
    else:
        ref_rate, ref_p99, source = float("nan"), float("nan"), "nothing (git archive HEAD failed)"
    print(f"  SQLite no worse than {source}: {ref_rate:.0f}/s, p99 at 500/s {ref_p99:.1f} ms")
    print(f"      best closed loop {sqlite.best_closed:.0f}/s (≥ 90 %: {verdict(sqlite.best_closed >= 0.9 * ref_rate)}), "
          f"p99 at 500/s {sqlite_p99:.1f} ms (≤ 125 % or + 2 ms: "
          f"{verdict(sqlite_p99 <= max(1.25 * ref_p99, ref_p99 + 2))})")
    problems = log_problems(work)
    print("\nservice logs: " + ("no ERROR lines or tracebacks" if not problems else ""))
    for line in problems:
        print(line)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} (5 min: {load[1]:.2f}); the whole run took "
          f"{time.time() - started:.0f} s")
    print(f"(logs, configs and SQLite files: {work}" + (f"; the PostgreSQL cluster: {pg_folder})" if keep else ")"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of each phase's webhooks and of the questions")
    parser.add_argument("--repeat", type=int, default=1, help="drafting runs per worker count (the median is shown)")
    parser.add_argument("--sqlite-reference", metavar="PER_S,P99_MS",
                        help="compare SQLite with these figures (best closed-loop webhooks/s, ack p99 ms at 500/s, "
                             "e.g. from bench/webhook_load.py's 'worker stopped') instead of running the committed code")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL cluster's folder afterwards")
    args = parser.parse_args()
    reference = None
    if args.sqlite_reference:
        rate, p99 = (float(v) for v in args.sqlite_reference.split(","))
        reference = (rate, p99)
    asyncio.run(run(args.scale, max(1, args.repeat), reference, args.keep))


if __name__ == "__main__":
    main()
