"""Crossref under load: 50 needs at once against a stand-in that answers in 300 ms.

The needs are patron questions on a handful of popular topics (as a reference desk gets them:
the same skripsi topics again and again), each searched by CrossrefSource the way the
pipeline does, all 50 started together. Four runs in one process, against the same stand-in:

* baseline   — no cache, no concurrency cap, no request sharing: one request per need, all at once;
* cap only   — refbot's cap (``crossref.max_concurrent``) and pace, still no cache;
* refbot     — cap, pace, request sharing and the store cache, the cache empty (cold);
* refbot warm — the same 50 needs again: every answer from the store.

For each: median and p95 of the time from starting a search to holding its candidates,
requests the stand-in received, the most requests refbot had in flight, and needs that
failed. Ratios compare refbot with the baseline.

    .venv/bin/python bench/crossref_client.py [--needs 50] [--topics 12] [--delay 0.3] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from connectors.crossref import CrossrefSource, plan  # noqa: E402
from refbot.config import CrossrefSettings  # noqa: E402
from refbot.errors import SourceError  # noqa: E402
from refbot.models import InformationNeed  # noqa: E402
from refbot.pipeline.parse import parse_need  # noqa: E402
from refbot.store import Store  # noqa: E402
from refbot.store.cache import SourceCache  # noqa: E402

TOPICS = [
    "literasi informasi mahasiswa", "minat baca remaja", "perpustakaan digital", "layanan referensi",
    "pelestarian arsip digital", "repositori institusi", "information literacy in higher education",
    "reading habits of students", "digital libraries", "bibliometrics and citation analysis",
    "open access publishing", "katalogisasi dan klasifikasi", "otomasi perpustakaan sekolah",
    "kepuasan pemustaka", "evidence-based library practice", "hoaks dan literasi digital",
]
FRAMES = [
    "kak, saya cari referensi tentang {t} untuk skripsi",
    "ada jurnal tentang {t}?",
    "Hello, I am looking for articles on {t}",
    "{t}",
]


@dataclass
class Run:
    """One run's figures."""

    name: str
    times: list[float]
    requests: int
    peak: int
    failed: int

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.times, n=20)[-1] if len(self.times) > 1 else self.times[0]


def needs(count: int, topics: int, seed: int) -> list[str]:
    """Patron questions: a few topics asked often (Zipf-like), phrased a few ways."""
    rng = random.Random(seed)
    chosen = TOPICS[:topics]
    weights = [1 / (rank + 1) for rank in range(len(chosen))]
    return [rng.choice(FRAMES).format(t=rng.choices(chosen, weights)[0]) for _ in range(count)]


async def run(name: str, source: CrossrefSource, texts: list[str], http: aiohttp.ClientSession, url: str) -> Run:
    """Start every search at once; time each to its candidates."""
    parsed = [parse_need(t, "id", current_year=2025) for t in texts]  # parsing is not Crossref's time
    before = await _requests(http, url)

    async def one(need: InformationNeed) -> float | None:
        started = time.perf_counter()
        try:
            await source.search(need, 20)
        except SourceError:
            return None
        return time.perf_counter() - started

    results = await asyncio.gather(*(one(n) for n in parsed))
    times = [r for r in results if r is not None]
    sent = await _requests(http, url) - before
    return Run(name, times or [float("nan")], sent, source.gate.peak, len(results) - len(times))


async def _requests(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(f"{url}/_stats") as resp:
        return sum((await resp.json())["requests"].values())


@contextlib.asynccontextmanager
async def standin() -> AsyncIterator[str]:
    """The Crossref stand-in in a process of its own, so its work does not slow the client's."""
    port = _free_port()
    code = ("import sys; sys.path.insert(0, sys.argv[2]); from aiohttp import web;"
            "from refbot.sandbox.crossref import create_crossref_standin;"
            "web.run_app(create_crossref_standin(), host='127.0.0.1', port=int(sys.argv[1]), print=None)")
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code, str(port), str(REPO))
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{url}/_stats") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
        yield url
    finally:
        process.terminate()
        await process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main(count: int, topics: int, delay: float, seed: int) -> None:
    texts = needs(count, topics, seed)
    async with standin() as url, aiohttp.ClientSession() as http:
        async with http.post(f"{url}/_control", json={"delay": delay}) as resp:
            assert resp.status == 200
        settings = CrossrefSettings(base_url=url)
        unbounded = replace(settings, max_concurrent=count, rate_limit=10_000)
        alone = await run("one alone", CrossrefSource(unbounded, share_requests=False), texts[:1], http, url)
        runs = [await run("baseline", CrossrefSource(unbounded, share_requests=False), texts, http, url)]
        runs.append(await run("cap only", CrossrefSource(settings, share_requests=False), texts, http, url))
        with tempfile.TemporaryDirectory() as tmp:
            store = await Store.open(Path(tmp) / "bench.sqlite3")
            refbot = CrossrefSource(settings, cache=SourceCache(store, "crossref"))
            runs.append(await run("refbot", refbot, texts, http, url))
            runs.append(await run("refbot warm", refbot, texts, http, url))
            await store.close()
    report(alone, runs, texts, settings, delay)


def report(alone: Run, runs: list[Run], texts: list[str], settings: CrossrefSettings, delay: float) -> None:
    calls = {plan(parse_need(t, "id", current_year=2025), 20).works for t in texts}
    print(f"{len(texts)} needs at once ({len(calls)} distinct Crossref queries), stand-in answering in"
          f" {delay * 1000:.0f} ms; refbot: max_concurrent={settings.max_concurrent},"
          f" rate_limit={settings.rate_limit}/s, timeout={settings.timeout:g} s, cache in SQLite")
    print(f"{'run':<12} {'median s':>9} {'p95 s':>7} {'requests':>9} {'in flight':>10} {'failed':>7}")
    for r in [alone, *runs]:
        print(f"{r.name:<12} {r.median:>9.3f} {r.p95:>7.3f} {r.requests:>9d} {r.peak:>10d} {r.failed:>7d}")
    base, cold, warm = runs[0], runs[2], runs[3]
    print(f"refbot / baseline: median ×{cold.median / base.median:.2f}, p95 ×{cold.p95 / base.p95:.2f},"
          f" requests ×{cold.requests / max(base.requests, 1):.2f}, in flight ×{cold.peak / max(base.peak, 1):.2f}")
    print(f"refbot warm / baseline: median ×{warm.median / base.median:.3f}, requests {warm.requests}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--needs", type=int, default=50)
    parser.add_argument("--topics", type=int, default=12)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(args.needs, args.topics, args.delay, args.seed))
