"""How long from a patron's webhook to a stored draft, with Crossref answering after 300 ms.

Runs refbot for real on loopback (aiohttp service, SQLite store, Whoosh demo catalog) with the
Graph API and Crossref stand-ins on their own ports, posts signed webhooks for 200 patron-style
questions, and times each from the POST to the moment its draft row exists. The baseline, in
the same process, is one bare Crossref search against the same stand-in: the floor no draft
can beat. Prints medians and p95, and the ratio of refbot's median to the baseline's.

    .venv/bin/python bench/question_to_draft.py [--questions 200] [--delay 0.3] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from connectors.crossref import CrossrefSource  # noqa: E402
from refbot.catalog.index import build_index  # noqa: E402
from refbot.pipeline.parse import parse_need  # noqa: E402
from refbot.sandbox.crossref import create_crossref_standin  # noqa: E402
from refbot.sandbox.graph import create_graph_standin  # noqa: E402
from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, sign, text_message  # noqa: E402
from refbot.web.server import SERVICES, create_app  # noqa: E402
from tests.conftest import APP_SECRET, PHONE_NUMBER_ID, TOKEN, eventually, free_port, make_settings, serve  # noqa: E402

TOPICS = [
    "literasi informasi mahasiswa", "minat baca remaja", "manajemen perpustakaan perguruan tinggi",
    "katalogisasi dan klasifikasi", "perpustakaan digital", "layanan referensi virtual",
    "metode penelitian kualitatif", "information literacy in higher education", "reading habits of students",
    "digital libraries and repositories", "reference services", "research methods for social sciences",
    "pelestarian arsip", "perilaku pencarian informasi", "bibliometrics and citation analysis",
    "open access publishing", "sistem temu kembali informasi", "library user satisfaction",
]
FRAMES = [
    "kak, saya cari referensi tentang {t} untuk skripsi",
    "Selamat pagi, mohon bantuannya, ada buku tentang {t}?",
    "Hello, I am looking for journal articles on {t} from the last 5 years",
    "{t}",
    "tolong carikan jurnal tentang {t} terbitan 2020",
    "Could you recommend some books about {t}, please?",
]


def questions(n: int) -> list[str]:
    """n patron-style questions, cycling topics through ways patrons ask."""
    return [FRAMES[i % len(FRAMES)].format(t=TOPICS[(i * 7) % len(TOPICS)]) for i in range(n)]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def baseline(crossref_url: str, settings_crossref: object, n: int) -> list[float]:
    """Bare Crossref searches against the same stand-in: the floor of any draft's time."""
    source = CrossrefSource(settings_crossref)  # type: ignore[arg-type]
    times = []
    for q in questions(n):
        need = parse_need(q, current_year=2026)
        start = time.perf_counter()
        await source.search(need, 20)
        times.append(time.perf_counter() - start)
    return times


async def run(n: int, delay: float, rate: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="refbot-bench-"))
    report = build_index([REPO / "refbot" / "data" / "demo_catalog.xml"], work / "catalog")
    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph_runner, graph_url = await serve(
        create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID, webhook_url=f"http://127.0.0.1:{port}/webhook")
    )
    settings = make_settings(work, work / "catalog", port=port, graph=graph_url, crossref=crossref_url)
    settings = replace(settings, crossref=replace(settings.crossref, timeout=5.0),
                       search=replace(settings.search, deadline=6.0),
                       worker=replace(settings.worker, concurrency=8, poll_interval=0.02))
    app = create_app(settings)
    runner, url = await serve(app, port)
    business = BusinessNumber(PHONE_NUMBER_ID)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{crossref_url}/_control", json={"delay": delay}) as resp:
            assert resp.status == 200
        base = await baseline(crossref_url, settings.crossref, 30)
        store = app[SERVICES].store
        sent: dict[str, float] = {}
        for i, q in enumerate(questions(n)):
            wamid = f"wamid.bench{i:05d}"
            body = encode(text_message(business, f"62812{i:08d}", q, wamid=wamid))
            sent[wamid] = time.time()
            async with http.post(f"{url}/webhook", data=body, headers={SIGNATURE_HEADER: sign(body, APP_SECRET)}) as r:
                assert r.status == 200
            await asyncio.sleep(1 / rate)

        async def all_drafted() -> bool:
            return len(await store.draft_ids()) >= n

        await eventually(all_drafted, within=120, what=f"{n} drafts")
        rows = await store.fetchall(
            "SELECT i.wamid, d.created_at, d.source_notes FROM drafts d JOIN requests r ON r.id = d.request_id"
            " JOIN inbox i ON i.id = r.inbox_id"
        )
    latencies = [row["created_at"] - sent[row["wamid"]] for row in rows]
    noted = sum(1 for row in rows if row["source_notes"] != "[]")
    await graph_runner.cleanup()  # first, so it posts no statuses to a service that has gone
    await runner.cleanup()
    await crossref_runner.cleanup()
    print(f"catalog: {report.indexed} demo records; Crossref stand-in delay {delay * 1000:.0f} ms; "
          f"{n} questions posted at {rate:g}/s")
    print(f"drafts stored: {len(rows)}/{n} (with a source note: {noted})")
    print(f"baseline  bare Crossref search: median {statistics.median(base) * 1000:7.1f} ms   p95 {p95(base) * 1000:7.1f} ms")
    print(f"refbot    webhook → draft:      median {statistics.median(latencies) * 1000:7.1f} ms   "
          f"p95 {p95(latencies) * 1000:7.1f} ms")
    print(f"ratio     refbot / baseline (median): {statistics.median(latencies) / statistics.median(base):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds the Crossref stand-in waits")
    parser.add_argument("--rate", type=float, default=10.0, help="questions posted per second")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.questions, args.delay, args.rate))


if __name__ == "__main__":
    main()
