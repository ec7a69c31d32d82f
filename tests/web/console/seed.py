"""Realistic console data without the whole pipeline: waiting drafts, and weeks of decided ones.

Used by the stats screenshot test and by ``bench/console.py``. Drafts are made through the
store and decided through :mod:`refbot.decisions.drafts` (and the store's own ``mark_sent``), with the
store's clock moved back in time, so the rows look exactly as a real month would leave them.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from refbot.decisions import drafts
from refbot.models import Candidate, Holding, InboundMessage, Kind, Ranked, Score
from refbot.pipeline.parse import parse_need
from refbot.store import Store

TOPICS = [
    "literasi informasi mahasiswa", "minat baca remaja", "manajemen perpustakaan perguruan tinggi",
    "katalogisasi dan klasifikasi", "perpustakaan digital", "layanan referensi virtual",
    "metode penelitian kualitatif", "information literacy in higher education", "reading habits of students",
    "digital libraries and repositories", "pelestarian arsip", "perilaku pencarian informasi",
    "bibliometrics and citation analysis", "open access publishing", "sistem temu kembali informasi",
]
FRAMES = [
    "kak, saya cari referensi tentang {t} untuk skripsi",
    "Selamat pagi, mohon bantuannya, ada buku tentang {t}?",
    "Hello, I am looking for journal articles on {t} from the last 5 years",
    "tolong carikan jurnal tentang {t} terbitan 2020",
    "Could you recommend some books about {t}, please?",
    "permisi kak, untuk tugas akhir saya butuh sumber tentang {t}",
]
SUBJECTS = [
    "Literasi informasi", "Perpustakaan perguruan tinggi", "Minat baca", "Katalogisasi", "Perpustakaan digital",
    "Information literacy", "Academic libraries", "Metode penelitian", "Kearsipan", "Bibliometrics",
]
AUTHORS = ["Sulistyo-Basuki", "Hasugian, Jonner", "Rahayuningsih, F.", "Yusup, Pawit M.", "Bawden, David",
           "Lasa Hs.", "Suwarno, Wiji", "Case, Donald O.", "Rowley, Jennifer", "Saracevic, Tefko"]
PLACES = ["Lantai 2 – Koleksi Umum", "Lantai 3 – Referensi", "Ruang Skripsi"]


def candidates(rng: random.Random, topic: str, n: int) -> tuple[Ranked, ...]:
    """``n`` plausible catalog books and Crossref articles about ``topic``, best first."""
    items = []
    for rank in range(1, n + 1):
        book = rng.random() < 0.55
        subjects = tuple(rng.sample(SUBJECTS, 2))
        year = rng.randint(1995, 2025)
        title = f"{topic.capitalize()}: {rng.choice(['teori dan praktik', 'sebuah pengantar', 'studi kasus', 'a review', 'perspectives and practice'])}"
        if book:
            copies = rng.randint(1, 4)
            holdings = tuple(Holding(rng.choice(PLACES), f"025.{rng.randint(1, 99)} {topic[:3].upper()}",
                                     available=rng.random() < 0.7) for _ in range(copies))
            c = Candidate("catalog", f"demo{rng.randint(1, 999_999):06d}", Kind.BOOK, title,
                          authors=(rng.choice(AUTHORS),), year=year, publisher="Universitas Terbuka",
                          call_number=holdings[0].call_number, holdings=holdings, subjects=subjects, language="id")
        else:
            doi = f"10.5555/seed.{rng.randint(1, 9_999_999)}"
            c = Candidate("crossref", doi, Kind.ARTICLE, title, authors=tuple(rng.sample(AUTHORS, 2)), year=year,
                          container="Jurnal Kajian Informasi & Perpustakaan", doi=doi, subjects=subjects,
                          open_access=rng.random() < 0.4, retracted=rng.random() < 0.02)
        relevance, similarity = round(0.5 / (rank + 1), 4), round(0.35 * rng.uniform(0.3, 1.0), 4)
        parts = [("relevance", relevance), ("similarity", similarity)]
        if book:
            parts.append(("on shelf", 0.05))
        items.append(Ranked(c, Score(round(sum(v for _n, v in parts), 4), tuple(parts))))
    items.sort(key=lambda r: -r.score.total)
    return tuple(items)


async def ask(store: Store, rng: random.Random, n: int, *, patron: str | None = None, items: int = 8) -> int:
    """One patron question stored as a pending draft, as the desk would leave it; returns the draft id."""
    topic = TOPICS[n % len(TOPICS)]
    text = FRAMES[(n * 7) % len(FRAMES)].format(t=topic)
    phone = patron or f"62812{rng.randint(10_000_000, 99_999_999)}"
    message = InboundMessage(f"wamid.seed.{n}.{rng.random()}", phone, "text", text=text, sender_name=rng.choice(
        ["Ayu", "Rizky", "Putri", "Bagas", "Nadia", "Fajar", ""]))
    await store.record_inbound(message)
    row = await store.fetchone("SELECT id FROM inbox WHERE wamid = ?", (message.wamid,))
    assert row is not None
    need = parse_need(text, current_year=2026)
    request = await store.create_request(row["id"], phone, need)
    async with store.tx() as db:
        draft_id = await store.insert_draft(db, request.id, candidates(rng, topic, items), ())
        await store.finish_inbox(row["id"], db)
    assert draft_id is not None
    return draft_id


async def waiting(store: Store, count: int, *, seed: int = 7) -> list[int]:
    """``count`` pending drafts, as a busy desk's queue."""
    rng = random.Random(seed)
    return [await ask(store, rng, n) for n in range(count)]


async def month_of_answers(store: Store, now: float, *, days: int = 30, per_day: int = 9, seed: int = 11) -> None:
    """About ``per_day`` questions a day for ``days`` days, asked in library hours and decided by librarians."""
    rng = random.Random(seed)
    real_clock: Callable[[], float] = store.clock
    n = 0
    try:
        today = datetime.date.fromtimestamp(now)
        for day in range(days - 1, 0, -1):
            midnight = datetime.datetime.combine(today - datetime.timedelta(days=day), datetime.time()).timestamp()
            for _ in range(max(0, int(rng.gauss(per_day, 3)))):
                hour = min(22, max(6, int(rng.gauss(12.5, 3.5))))
                asked = midnight + hour * 3600 + rng.randint(0, 3599)
                store.clock = lambda t=asked: t  # type: ignore[misc]
                draft_id = await ask(store, rng, n)
                n += 1
                await _decide(store, rng, draft_id, asked)
    finally:
        store.clock = real_clock  # type: ignore[method-assign]


async def _decide(store: Store, rng: random.Random, draft_id: int, asked: float) -> None:
    decided = asked + rng.uniform(300, 4 * 3600)
    store.clock = lambda: decided  # type: ignore[method-assign]
    roll = rng.random()
    actor = rng.choice(["console:dewi", "console:budi", "6281300000001"])
    if roll < 0.12:
        await drafts.reject(store, draft_id, actor, reply="Baik kak, saya hubungi langsung ya.")
    else:
        if roll < 0.55:
            await drafts.edit(store, draft_id, actor, remove=[rng.randint(1, 4)], order=[2, 1])
        await drafts.approve(store, draft_id, actor)
    async with store.tx() as db:
        await db.execute(
            "INSERT INTO console_effort (draft_id, effort, account_id, set_at) VALUES (?, ?, NULL, ?)",
            (draft_id, min(6, max(1, int(rng.gauss(2.6, 1.1)))), decided),
        )
    store.clock = lambda: decided + rng.uniform(1, 20)  # type: ignore[method-assign]
    for row in await store.claim_outbox(20):
        await store.mark_sent(row, f"wamid.out.{row.id}")
