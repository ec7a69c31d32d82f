"""How fast the librarian console's queue page renders with 1,000 drafts waiting.

Seeds a store with 1,000 pending drafts (eight candidates each, as the desk would leave them),
runs refbot for real on loopback (aiohttp, SQLite, the console mounted under /console), signs
in, and times full GETs of the queue page over HTTP. The baseline, in the same process and over
the same connection, is ``GET /healthz`` (one small SQLite query and a JSON answer): the floor
of any request. Prints medians and p95, the ratio, and the target (queue median ≤ 100 ms).

    .venv/bin/python bench/console.py [--drafts 1000] [--requests 60]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from refbot.config import Secret, Secrets, load_settings  # noqa: E402
from refbot.store import Store  # noqa: E402
from refbot.web.console import accounts  # noqa: E402
from refbot.web.server import SERVICES, create_app  # noqa: E402
from tests.conftest import free_port, serve  # noqa: E402
from tests.web.console import seed  # noqa: E402

TARGET_MS = 100.0
PASSWORD = "bench-password-123"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def timed_get(http: aiohttp.ClientSession, url: str) -> tuple[float, str]:
    start = time.perf_counter()
    async with http.get(url) as resp:
        body = await resp.text()
        assert resp.status == 200, (url, resp.status)
    return time.perf_counter() - start, body


async def sign_in(http: aiohttp.ClientSession, base: str) -> None:
    async with http.get(f"{base}/console/login") as resp:
        token = re.search(r'name="csrf" value="([^"]+)"', await resp.text())
    assert token
    form = {"username": "bench", "password": PASSWORD, "csrf": token[1]}
    async with http.post(f"{base}/console/login", data=form) as resp:
        assert resp.status == 200 and str(resp.url).endswith("/console/"), resp.status


async def run(drafts: int, requests: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="refbot-console-bench-"))
    db = work / "refbot.sqlite3"
    store = await Store.open(db)
    started = time.perf_counter()
    await seed.waiting(store, drafts)
    await accounts.add_account(store, "bench", PASSWORD, name="Bench")
    await store.close()
    print(f"seeded {drafts:,} waiting drafts in {time.perf_counter() - started:.1f} s")

    base = load_settings(None, env={})
    port = free_port()
    settings = replace(
        base,
        server=replace(base.server, port=port),
        store=replace(base.store, path=str(db)),
        catalog=replace(base.catalog, index_dir=str(work / "no-index")),
        crossref=replace(base.crossref, enabled=False),
        secrets=Secrets(Secret("t"), Secret("s"), Secret("v"), Secret("bench-console-secret")),
    )
    app = create_app(settings, run_worker=False)
    runner, url = await serve(app, port)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await sign_in(http, url)
            _, page = await timed_get(http, f"{url}/console/")
            rows = page.count('<td class="id">')
            assert rows == drafts, f"the queue shows {rows} rows, expected {drafts}"
            for _ in range(5):  # warm up templates, SQLite's page cache and the connection
                await timed_get(http, f"{url}/console/")
                await timed_get(http, f"{url}/healthz")
            queue, health = [], []
            for _ in range(requests):
                queue.append((await timed_get(http, f"{url}/console/"))[0])
                health.append((await timed_get(http, f"{url}/healthz"))[0])
        pending = len(await app[SERVICES].store.draft_ids())
    finally:
        await runner.cleanup()

    q_med, h_med = statistics.median(queue) * 1000, statistics.median(health) * 1000
    print(f"queue page: {rows:,} rows, {len(page) / 1024:,.0f} KiB of HTML ({pending:,} drafts in the store)")
    print(f"GET /console/  median {q_med:7.1f} ms   p95 {p95(queue) * 1000:7.1f} ms   ({requests} requests)")
    print(f"GET /healthz   median {h_med:7.1f} ms   p95 {p95(health) * 1000:7.1f} ms   (baseline)")
    print(f"ratio queue/baseline: {q_med / h_med:.1f}x")
    verdict = "meets" if q_med <= TARGET_MS else "MISSES"
    print(f"target: queue median <= {TARGET_MS:.0f} ms with {drafts:,} waiting drafts -> {verdict} it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=1000, help="waiting drafts to seed (default 1000)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests of each page (default 60)")
    args = parser.parse_args()
    asyncio.run(run(args.drafts, args.requests))


if __name__ == "__main__":
    main()
