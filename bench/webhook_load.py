"""Webhook intake under load: 10,000 signed webhooks from many patrons against ``refbot serve``.

Three processes besides this one: ``refbot serve`` as an admin runs it (SQLite store, worker
drafting at the same time, INFO logging to a file), the Graph API and Crossref stand-ins, and
— measured first, in the same run, on the same port conditions — a bare aiohttp handler that
checks the HMAC and inserts the body into SQLite (WAL, synchronous=NORMAL), nothing else.

The load generator (in this process: pre-rendered signed requests written to keep-alive
sockets, tens of microseconds each, so the server gets most of the machine) plays the same
phases against both:

    paced  250/s, 500/s, 1000/s, 2000/s   open loop: each webhook leaves at its scheduled time;
                                          latency counts from that time (no coordinated omission)
    closed 8, 32, 128 connections         as fast as answers come back

2 % of webhooks are delivered twice (Meta's at-least-once), one of them at once. Afterwards it
waits for every question's draft and checks: lost = questions acknowledged but not stored (or
never drafted); duplicated = a question stored, requested or drafted more than once.
Prints acknowledgement p50/p99 and throughput per phase, refbot's ratio to the bare handler,
and the time until the last draft exists. Targets: ≥ 2,000 webhooks/s sustained intake;
acknowledgement p99 ≤ 25 ms at 500 webhooks/s.

    .venv/bin/python bench/webhook_load.py [--scale 1.0] [--drain-timeout 1800]

``--scale 0.1`` runs a tenth of every phase (a quick look). Needs only the project's own
dependencies (no wrk). On a 2-core machine the load generator shares the CPU with the server,
as wrk would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

SECRET = "bench-app-secret"
TOKEN = "bench-token"
PHONE_NUMBER_ID = "100000000000077"
PHASES: list[tuple[str, float, int]] = [  # (kind, rate or connections, webhooks)
    ("paced", 250, 750),
    ("paced", 500, 1500),
    ("paced", 1000, 2000),
    ("paced", 2000, 2000),
    ("closed", 8, 1000),
    ("closed", 32, 1250),
    ("closed", 128, 1500),
]
TOPICS = ["literasi informasi mahasiswa", "minat baca remaja", "perpustakaan digital", "katalogisasi",
          "information literacy in higher education", "metode penelitian kualitatif", "pelestarian arsip",
          "open access publishing", "bibliometrics and citation analysis", "layanan referensi virtual"]


# --- the bare handler (run as its own process) -----------------------------------------


def serve_bare(port: int, db_path: str) -> None:
    """An aiohttp handler that checks the signature and inserts the body into SQLite."""
    from aiohttp import web

    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    key = SECRET.encode()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        given = request.headers.get("X-Hub-Signature-256", "").removeprefix("sha256=")
        if not hmac.compare_digest(hmac.new(key, body, hashlib.sha256).hexdigest(), given):
            return web.json_response({"error": "bad signature"}, status=401)
        db.execute("INSERT INTO inbox (body) VALUES (?)", (body,))
        return web.json_response({"ok": True})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, handle_signals=True)


def serve_intake_only(config: str, port: int) -> None:
    """refbot's web app exactly as ``refbot serve`` runs it, but with its worker stopped."""
    import logging
    from dataclasses import replace

    from aiohttp import web

    from refbot.config import load_settings
    from refbot.web.server import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(config)
    settings = replace(settings, server=replace(settings.server, port=port))
    web.run_app(create_app(settings, run_worker=False), host="127.0.0.1", port=port, print=None)


def serve_standins(graph_port: int, crossref_port: int) -> None:
    """The Graph API (no status webhooks, so every webhook counted is a patron's) and Crossref."""
    from aiohttp import web

    from refbot.sandbox.crossref import create_crossref_standin
    from refbot.sandbox.graph import create_graph_standin

    async def main() -> None:
        runners = []
        for app, port in ((create_graph_standin(TOKEN, SECRET, PHONE_NUMBER_ID), graph_port),
                          (create_crossref_standin(), crossref_port)):
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            runners.append(runner)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


# --- the load generator ------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    sent: int
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def throughput(self) -> float:
        return self.sent / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


@dataclass
class Webhook:
    wamid: str
    request: bytes
    """The whole HTTP/1.1 request, rendered once: the generator's per-request work is a write and a read."""


def make_webhooks(start: int, count: int, run: str) -> list[Webhook]:
    """``count`` text webhooks from distinct patrons, in the Cloud API's shape, signed."""
    from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, sign, text_message

    business = BusinessNumber(PHONE_NUMBER_ID)
    hooks = []
    for i in range(start, start + count):
        wamid = f"wamid.{run}{i:06d}"
        text = f"{TOPICS[i % len(TOPICS)]} untuk skripsi"
        body = encode(text_message(business, f"6289{i:09d}", text, wamid=wamid, name=f"Pemustaka {i}"))
        head = (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"{SIGNATURE_HEADER}: {sign(body, SECRET)}\r\nContent-Length: {len(body)}\r\n\r\n")
        hooks.append(Webhook(wamid, head.encode() + body))
    return hooks


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection that sends a request and reads its answer's status.

    A load generator in Python shares the machine's two cores with the server it measures;
    this one does per request only a socket write and the parsing of one status line and a
    Content-Length (aiohttp's client costs several times more), so more of the CPU is left
    to the server, as with wrk.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    @classmethod
    async def open(cls, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(cls, "127.0.0.1", port)
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    async def send(self, request: bytes) -> int:
        """The answer's status code; 0 when the connection broke."""
        assert self.transport is not None
        if self.transport.is_closing():
            return 0
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        at = head.find(b"content-length:")
        if at >= 0:
            stop = head.find(b"\r\n", at)
            length = int(head[at + 15:stop if stop > 0 else len(head)])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        del self.buffer[:end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(0)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Idle connections to one port; a request takes one (opening another when none is idle)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[Connection] = []
        self.opened: list[Connection] = []

    async def fill(self, count: int) -> None:
        """Open ``count`` connections ahead, as Meta's senders keep theirs open."""
        for _ in range(count):
            conn = await Connection.open(self.port)
            self.opened.append(conn)
            self.idle.append(conn)

    async def post(self, hook: Webhook) -> bool:
        conn = self.idle.pop() if self.idle else None
        if conn is None:
            try:
                conn = await Connection.open(self.port)
            except OSError:
                return False
            self.opened.append(conn)
        status = await conn.send(hook.request)
        if status:
            self.idle.append(conn)
        return status == 200

    def close(self) -> None:
        for conn in self.opened:
            conn.close()


async def paced(pool: Pool, hooks: list[Webhook], rate: float) -> Phase:
    latencies: list[float] = []
    failures = 0
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int, hook: Webhook) -> None:
        nonlocal failures
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        ok = await pool.post(hook)
        latencies.append(loop.time() - due)
        failures += not ok

    await asyncio.gather(*(one(i, h) for i, h in enumerate(hooks)))
    return Phase(f"paced {rate:>5g}/s", len(hooks), loop.time() - start, latencies, failures)


async def closed(port: int, hooks: list[Webhook], connections: int) -> Phase:
    latencies: list[float] = []
    failures = 0
    queue = list(reversed(hooks))
    loop = asyncio.get_running_loop()
    conns = [await Connection.open(port) for _ in range(connections)]

    async def client(conn: Connection) -> None:
        nonlocal failures
        while queue:
            hook = queue.pop()
            began = loop.time()
            failures += await conn.send(hook.request) != 200
            latencies.append(loop.time() - began)

    start = loop.time()
    await asyncio.gather(*(client(c) for c in conns))
    seconds = loop.time() - start
    for conn in conns:
        conn.close()
    return Phase(f"closed {connections:>4d} conn", len(hooks), seconds, latencies, failures)


async def play(port: int, run: str, scale: float, redeliver: bool) -> tuple[list[Phase], list[str], float]:
    """Every phase against the server on ``port``; the wamids posted and when the first webhook left."""
    phases: list[Phase] = []
    wamids: list[str] = []
    first = 0.0
    await warm(port)
    start = 0
    for kind, knob, count in PHASES:
        count = max(20, int(count * scale))
        hooks = make_webhooks(start, count, run)
        start += count
        if redeliver:  # Meta's at-least-once: 2 % of webhooks come twice, some straight after
            hooks += [hooks[i] for i in range(0, count, 50)]
        wamids += [h.wamid for h in hooks]
        first = first or time.time()
        if kind == "paced":
            pool = Pool(port)
            await pool.fill(32)
            phase = await paced(pool, hooks, knob)
            pool.close()
        else:
            phase = await closed(port, hooks, int(knob))
        phases.append(phase)
        await asyncio.sleep(0.5)
    return phases, wamids, first


async def warm(port: int) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(300):
        with contextlib.suppress(OSError):
            conn = await Connection.open(port)
            status = await conn.send(request)
            conn.close()
            if status in (200, 503):  # up; 503 only says no worker runs beside it (on purpose, here)
                return
        await asyncio.sleep(0.1)
    raise SystemExit(f"port {port} never answered /healthz")


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def write_config(work: Path, name: str, graph_port: int, crossref_port: int) -> Path:
    config = work / f"{name}.yaml"
    config.write_text(json.dumps({  # JSON is YAML
        "store": {"path": str(work / f"{name}.sqlite3")},
        "catalog": {"index_dir": str(work / "catalog")},
        "crossref": {"base_url": f"http://127.0.0.1:{crossref_port}", "timeout": 5.0},
        "whatsapp": {"graph_api_base": f"http://127.0.0.1:{graph_port}", "phone_number_id": PHONE_NUMBER_ID},
        "librarians": [{"name": "Dewi", "phone": "6281300000001"}],
    }))
    return config


def counts(db: Path, wamids: set[str]) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        stored = {w for (w,) in conn.execute("SELECT wamid FROM inbox")} & wamids
        requests, distinct_requests = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT i.wamid) FROM requests r JOIN inbox i ON i.id = r.inbox_id").fetchone()
        drafts, distinct_drafts = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT request_id) FROM drafts").fetchone()
        acks = conn.execute("SELECT COUNT(*) FROM outbox WHERE idem_key LIKE 'ack:%'").fetchone()[0]
    return {"stored": len(stored), "requests": requests, "distinct_requests": distinct_requests,
            "drafts": drafts, "distinct_drafts": distinct_drafts, "acks": acks}


async def wait_for_drafts(db: Path, wanted: int, within: float) -> tuple[int, float]:
    started = time.time()
    drafts = 0
    while time.time() - started < within:
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
            drafts = conn.execute("SELECT COUNT(*) FROM drafts").fetchone()[0]
        if drafts >= wanted:
            break
        await asyncio.sleep(0.5)
    return drafts, time.time()


def report(name: str, phases: list[Phase]) -> None:
    print(f"\n{name}")
    print(f"  {'phase':<18} {'webhooks':>8} {'failed':>6} {'ack/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for p in phases:
        print(f"  {p.name:<18} {p.sent:>8} {p.failures:>6} {p.throughput:>8.0f} {p.quantile(0.5):>8.1f} "
              f"{p.quantile(0.99):>8.1f} {max(p.latencies) * 1000:>8.1f}")


async def run(scale: float, drain_timeout: float) -> None:
    from refbot.catalog.index import build_index

    work = Path(tempfile.mkdtemp(prefix="refbot-webhook-load-"))
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f} on {os.cpu_count()} cores"
          + ("  (the machine is busy: figures will be low and noisy)" if load > 1.0 else ""), flush=True)
    python = sys.executable
    me = str(HERE)

    # 1. The bare handler.
    bare_port = free_port()
    bare = spawn([python, me, "--serve-bare", str(bare_port), str(work / "bare.sqlite3")], work / "bare.log")
    try:
        bare_phases, _, _ = await play(bare_port, "bare", scale, redeliver=False)
    finally:
        stop(bare)

    # 2. refbot's web app with its worker stopped: the webhook path alone.
    report_ = build_index([REPO / "refbot" / "data" / "demo_catalog.xml"], work / "catalog")
    graph_port, crossref_port, port = free_port(), free_port(), free_port()
    env = {"REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": SECRET, "REFBOT_WHATSAPP_VERIFY_TOKEN": "v"}
    intake_config = write_config(work, "intake", graph_port, crossref_port)
    intake = spawn([python, me, "--serve-intake-only", str(intake_config), str(port)], work / "intake.log", env)
    try:
        intake_phases, _, _ = await play(port, "i", scale, redeliver=True)
    finally:
        stop(intake)

    # 3. refbot serve, with the stand-ins, drafting as the webhooks arrive.
    standins = spawn([python, me, "--serve-standins", str(graph_port), str(crossref_port)], work / "standins.log")
    db = work / "refbot.sqlite3"  # write_config names it after the config
    config = write_config(work, "refbot", graph_port, crossref_port)
    port = free_port()
    service = spawn([python, "-m", "refbot.cli", "serve", "--config", str(config), "--port", str(port)],
                    work / "refbot.log", env)
    try:
        phases, wamids, first = await play(port, "q", scale, redeliver=True)
        intake_done = time.time()
        unique = set(wamids)
        print(f"\nall {len(wamids)} webhooks ({len(unique)} questions) answered in {intake_done - first:.1f} s; "
              f"waiting for drafts (up to {drain_timeout:g} s)…", flush=True)
        drafts, last = await wait_for_drafts(db, len(unique), drain_timeout)
        found = counts(db, unique)
    finally:
        stop(service)
        stop(standins)

    report("bare handler (HMAC check + SQLite insert)", bare_phases)
    report("refbot, worker stopped (the webhook path alone)", intake_phases)
    report("refbot serve (webhook → journal, worker applying and drafting meanwhile)", phases)
    acked = sum(p.sent - p.failures for p in phases)
    lost = len(unique) - found["stored"] + (len(unique) - found["distinct_drafts"])
    duplicated = (found["requests"] - found["distinct_requests"]) + (found["drafts"] - found["distinct_drafts"])
    print(f"\ncatalog: {report_.indexed} demo records; {len(wamids)} webhooks posted, {acked} answered 200, "
          f"{len(wamids) - len(unique)} of them redeliveries")
    print(f"stored questions {found['stored']}/{len(unique)}, requests {found['requests']}, "
          f"drafts {found['drafts']}, acknowledgements queued {found['acks']}")
    print(f"lost = {lost}   duplicated = {duplicated}")
    if drafts >= len(unique):
        print(f"time until the last draft exists: {last - first:.1f} s after the first webhook "
              f"({last - intake_done:.1f} s after the last); drafting {drafts / (last - first):.1f} drafts/s")
    else:
        rate = drafts / (last - first)
        print(f"drafts after {last - first:.0f} s: {drafts}/{len(unique)} ({rate:.1f} drafts/s; the last would exist "
              f"after about {len(unique) / rate:.0f} s)")
    print("\nrefbot / bare handler, per phase (throughput ratio, p99 ratio): worker stopped | refbot serve")
    for alone, mine, base in zip(intake_phases, phases, bare_phases, strict=True):
        print(f"  {mine.name:<18} {alone.throughput / base.throughput:5.2f} {alone.quantile(0.99) / base.quantile(0.99):6.1f}×"
              f"   | {mine.throughput / base.throughput:5.2f} {mine.quantile(0.99) / base.quantile(0.99):6.1f}×")
    sustained = max(p.throughput for p in phases if p.name.startswith("closed"))
    at_500 = next(p for p in phases if p.name.strip().startswith("paced") and "500/s" in p.name)
    bare_best = max(p.throughput for p in bare_phases if p.name.startswith("closed"))
    alone_best = max(p.throughput for p in intake_phases if p.name.startswith("closed"))
    alone_500 = next(p for p in intake_phases if "500/s" in p.name)
    print(f"\nworker stopped: best closed-loop {alone_best:.0f}/s (ratio {alone_best / bare_best:.2f}); "
          f"ack p99 at 500/s {alone_500.quantile(0.99):.1f} ms")
    print(f"\nsustained intake (best closed-loop): refbot {sustained:.0f}/s, bare {bare_best:.0f}/s "
          f"(ratio {sustained / bare_best:.2f}); target ≥ 2000/s: {'met' if sustained >= 2000 else 'MISSED'}")
    print(f"ack p99 at 500/s: {at_500.quantile(0.99):.1f} ms; target ≤ 25 ms: "
          f"{'met' if at_500.quantile(0.99) <= 25 else 'MISSED'}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"(work folder with logs and databases: {work})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of each phase's webhooks to send")
    parser.add_argument("--drain-timeout", type=float, default=1800.0, help="seconds to wait for the last draft")
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-intake-only", nargs=2, metavar=("CONFIG", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-standins", nargs=2, type=int, metavar=("GRAPH", "CROSSREF"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(int(args.serve_bare[0]), args.serve_bare[1])
    elif args.serve_intake_only:
        serve_intake_only(args.serve_intake_only[0], int(args.serve_intake_only[1]))
    elif args.serve_standins:
        serve_standins(*args.serve_standins)
    else:
        asyncio.run(run(args.scale, args.drain_timeout))


if __name__ == "__main__":
    main()
