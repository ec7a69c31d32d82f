"""How long the ranking stage alone takes on 100 candidates: fuse, score by parts, dedupe, mix.

Candidates come from the bundled demo data — catalog records read from
``refbot/data/demo_catalog.xml`` and Crossref works from ``refbot/data/crossref_demo.json``
(DOIs, ISSNs, citation counts, one retracted work) — 50 from each source per question,
drawn with a fixed seed, so a draft always has books and articles to mix and some works
found by both sources to merge. The needs are 40 patron-style questions in Indonesian and
English, each parsed once (parsing is not timed). ``rank(need, results, match, 8)`` is timed
per question over ``--rounds`` passes after one untimed warm-up pass, by the wall clock and
by the thread's CPU time (on a busy machine the wall clock also counts time spent waiting
for a CPU; the load average is printed with the figures).

The baseline, in the same process on the same candidates, is what ranking would be without
refbot's stage: all 100 candidates sorted by their sources' own scores, top 8.

    .venv/bin/python bench/rank.py [--rounds 20] [--candidates 100]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from refbot.catalog.readers import read_file  # noqa: E402
from refbot.catalog.record import CatalogRecord  # noqa: E402
from refbot.config import MatchSettings  # noqa: E402
from refbot.models import Candidate, InformationNeed, Kind  # noqa: E402
from refbot.pipeline.parse import parse_need  # noqa: E402
from refbot.pipeline.rank import rank  # noqa: E402

TARGET_P95_MS = 20.0
DRAFT_SIZE = 8
CURRENT_YEAR = 2026
DATA = REPO / "refbot" / "data"
QUESTIONS = (
    "kak, saya cari referensi tentang literasi informasi untuk skripsi, yang 5 tahun terakhir",
    "Assalamualaikum min, mohon bantuannya carikan buku tentang minat baca remaja ya",
    "permisi pak, ada jurnal tentang perpustakaan digital terbitan setelah 2018?",
    "butuh artikel open access tentang layanan referensi virtual",
    "buku manajemen perpustakaan perguruan tinggi bahasa Indonesia saja",
    "selamat siang, saya sedang menyusun tesis tentang perilaku pencarian informasi mahasiswa",
    "ada e-book metode penelitian kualitatif?",
    "tolong dong kak referensi katalogisasi dan klasifikasi DDC",
    "jurnal bibliometrika dan analisis sitasi sejak 2015",
    "cari skripsi tentang kepuasan pemustaka di perpustakaan sekolah",
    "Hello, I am looking for journal articles on information literacy from the last 5 years",
    "I am interested in studies of why people do not use libraries",
    "Could you please recommend books on digital preservation? Thanks!",
    "open access papers on scholarly communication in English",
    "I need recent research on reading habits of university students",
    "any theses about virtual reference services since 2016",
    "books about cataloging and metadata standards",
    "Hi, I would be grateful for readings about bibliometrics and citation analysis",
    "What is information science? Give definitions where possible.",
    "library automation and integrated library systems",
)
QUESTIONS = QUESTIONS + tuple(f"{q} ya, terima kasih" for q in QUESTIONS[:10]) + tuple(
    f"{q}, many thanks in advance" for q in QUESTIONS[10:]
)


def catalog_candidates() -> list[Candidate]:
    """The demo catalog's records as catalog candidates."""
    records = [r for r in read_file(DATA / "demo_catalog.xml") if isinstance(r, CatalogRecord)]
    return [r.to_candidate() for r in records]


def crossref_candidates() -> list[Candidate]:
    """The demo Crossref works as candidates (only the fields ranking looks at)."""
    items = json.loads((DATA / "crossref_demo.json").read_text(encoding="utf-8"))["items"]
    return [_work(item) for item in items]


def _work(item: dict[str, Any]) -> Candidate:
    kinds = {"journal-article": Kind.ARTICLE, "book": Kind.BOOK, "monograph": Kind.BOOK, "edited-book": Kind.BOOK,
             "dissertation": Kind.THESIS, "book-chapter": Kind.CHAPTER, "proceedings-article": Kind.PROCEEDINGS}
    issued = (item.get("issued") or {}).get("date-parts") or [[None]]
    authors = tuple(f"{a.get('family', '')}, {a.get('given', '')}".strip(", ") for a in item.get("author", []))
    return Candidate(
        source="crossref",
        source_id=item["DOI"],
        kind=kinds.get(item.get("type", ""), Kind.OTHER),
        title=(item.get("title") or [""])[0],
        authors=authors,
        year=issued[0][0],
        container=(item.get("container-title") or [""])[0],
        issn=tuple(item.get("ISSN", ())),
        doi=item["DOI"],
        abstract=item.get("abstract", ""),
        subjects=tuple(item.get("subject", ())),
        language=item.get("language", ""),
        retracted=bool(item.get("update-to")),
        citations=item.get("is-referenced-by-count"),
    )


def draw(pool: Sequence[Candidate], count: int, rng: random.Random) -> list[Candidate]:
    """``count`` candidates (repeating the pool if it is small) with source ranks and scores."""
    picked = [pool[rng.randrange(len(pool))] for _ in range(count)]
    return [
        Candidate(**{**c.__dict__, "source_id": f"{c.source_id}#{i}" if c.source == "catalog" else c.source_id,
                     "source_rank": i, "source_score": round(30.0 / i, 3)})
        for i, c in enumerate(picked, start=1)
    ]


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Milliseconds one call takes: wall clock, and CPU time of this thread."""
    wall, cpu = time.perf_counter(), time.thread_time()
    work()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--candidates", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(4)
    catalog, crossref = catalog_candidates(), crossref_candidates()
    half = args.candidates // 2
    cases: list[tuple[InformationNeed, dict[str, list[Candidate]]]] = [
        (parse_need(q, current_year=CURRENT_YEAR), {"catalog": draw(catalog, half, rng),
                                                    "crossref": draw(crossref, args.candidates - half, rng)})
        for q in QUESTIONS
    ]
    match = MatchSettings()

    def refbot(need: InformationNeed, results: dict[str, list[Candidate]]) -> object:
        return rank(need, results, match, DRAFT_SIZE)

    def baseline(need: InformationNeed, results: dict[str, list[Candidate]]) -> object:
        return sorted((c for items in results.values() for c in items), key=lambda c: -c.source_score)[:DRAFT_SIZE]

    wall: dict[str, list[float]] = {"refbot": [], "baseline": []}
    cpu: dict[str, list[float]] = {"refbot": [], "baseline": []}
    for round_number in range(args.rounds + 1):
        for need, results in cases:
            for name, stage in (("refbot", refbot), ("baseline", baseline)):
                ms, cpu_ms = timed(functools.partial(stage, need, results))
                if round_number:  # the first pass warms caches and is not counted
                    wall[name].append(ms)
                    cpu[name].append(cpu_ms)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"ranking stage, {args.candidates} candidates ({half} catalog + {args.candidates - half} Crossref), "
          f"draft of {DRAFT_SIZE}, {len(cases)} needs × {args.rounds} rounds = {len(wall['refbot'])} timed runs"
          f" (load average {load:.1f} on {os.cpu_count()} CPUs)")
    for label, figures in (("wall clock", wall), ("CPU time", cpu)):
        ours, theirs = figures["refbot"], figures["baseline"]
        met = "met" if p95(ours) <= TARGET_P95_MS else "NOT met"
        print(f"  {label}:")
        print(f"    refbot rank()          median {statistics.median(ours):7.2f} ms   p95 {p95(ours):7.2f} ms"
              f"   (target p95 ≤ {TARGET_P95_MS:g} ms: {met})")
        print(f"    baseline sort by score median {statistics.median(theirs):7.3f} ms   p95 {p95(theirs):7.3f} ms")
        ratio = statistics.median(ours) / max(statistics.median(theirs), 1e-6)
        print(f"    ratio refbot / baseline (medians): {ratio:,.0f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
