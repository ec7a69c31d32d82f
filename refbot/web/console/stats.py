"""The numbers a library reports: questions over time, speed, what librarians kept, effort.

Everything is read from the store for a window of days; days and hours are the library's
(``desk.timezone``), whatever the server's clock is set to. Transactions carry no personal data: no phone numbers, names or question text.
"""

from __future__ import annotations

import csv
import datetime
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from refbot.store import Store
from refbot.store.reports import DECIDED_OK, Transaction

__all__ = ["CSV_FIELDS", "DECIDED_OK", "OUTCOMES", "SourceUse", "Statistics", "Transaction", "combine", "gather",
           "to_csv", "transactions"]

OUTCOMES = ("unchanged", "edited", "rejected")
CSV_FIELDS = (
    "draft", "asked_date", "asked_hour", "language", "status", "outcome", "versions", "items_proposed",
    "items_sent", "items_added", "sources_sent", "minutes_to_sent", "effort",
)


@dataclass(frozen=True)
class SourceUse:
    """How one source's items fared in approved lists."""

    source: str
    proposed: int
    kept: int
    added: int


@dataclass(frozen=True)
class Statistics:
    """Everything the statistics page shows."""

    days: int
    per_day: tuple[tuple[str, int], ...]
    per_hour: tuple[tuple[str, int], ...]
    questions: int
    waiting: int
    median_to_sent: float | None
    outcomes: tuple[tuple[str, int], ...]
    sources: tuple[SourceUse, ...]
    subjects: tuple[tuple[str, int], ...]
    effort: tuple[tuple[str, int], ...]
    transactions: tuple[Transaction, ...]


async def transactions(store: Store, since: float) -> list[Transaction]:
    """Every question since ``since`` that has a draft, with the draft's first and final items."""
    return await store.transactions_since(since)


async def gather(store: Store, days: int, now: float, zone: datetime.tzinfo) -> Statistics:
    """The statistics of the last ``days`` days up to ``now``, days and hours in ``zone``."""
    today = datetime.datetime.fromtimestamp(now, zone).date()
    first_day = today - datetime.timedelta(days=days - 1)
    since = datetime.datetime.combine(first_day, datetime.time(), zone).timestamp()
    asked = await store.questions_asked_since(since)
    txs = await transactions(store, since)
    waiting = await store.pending_draft_count()
    return _over(txs, days=days, per_day=_per_day(asked, first_day, days, zone), per_hour=_per_hour(asked, zone),
                 questions=len(asked), waiting=waiting)


def combine(parts: Sequence[Statistics]) -> Statistics:
    """Several libraries' statistics (same window, same moment) as one consortium's.

    Counts are added up; the median, outcomes, sources, subjects and effort are computed again
    over every library's transactions together (a median of medians would not be the median).
    Draft numbers repeat across libraries, so the combined transactions are not for a CSV.
    """
    txs = [tx for part in parts for tx in part.transactions]
    return _over(txs, days=parts[0].days, per_day=_add(part.per_day for part in parts),
                 per_hour=_add(part.per_hour for part in parts), questions=sum(part.questions for part in parts),
                 waiting=sum(part.waiting for part in parts))


def _over(txs: list[Transaction], **counts: Any) -> Statistics:
    """Statistics with the given counts, and everything computed from the transactions."""
    return Statistics(**counts, median_to_sent=_median_to_sent(txs), outcomes=_outcomes(txs), sources=_sources(txs),
                      subjects=_subjects(txs), effort=_effort(txs), transactions=tuple(txs))


def _add(series: Iterable[tuple[tuple[str, int], ...]]) -> tuple[tuple[str, int], ...]:
    totals: dict[str, int] = {}
    for one in series:
        for label, n in one:
            totals[label] = totals.get(label, 0) + n
    return tuple(totals.items())


def _median_to_sent(txs: Sequence[Transaction]) -> float | None:
    return _median([s for tx in txs if (s := tx.seconds_to_sent) is not None])


def _per_day(asked: list[float], first_day: datetime.date, days: int,
             zone: datetime.tzinfo) -> tuple[tuple[str, int], ...]:
    counts = Counter(datetime.datetime.fromtimestamp(at, zone).date() for at in asked)
    dates = [first_day + datetime.timedelta(days=i) for i in range(days)]
    return tuple((d.strftime("%d/%m"), counts.get(d, 0)) for d in dates)


def _per_hour(asked: list[float], zone: datetime.tzinfo) -> tuple[tuple[str, int], ...]:
    counts = Counter(datetime.datetime.fromtimestamp(at, zone).hour for at in asked)
    return tuple((f"{h:02d}", counts.get(h, 0)) for h in range(24))


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _outcomes(txs: list[Transaction]) -> tuple[tuple[str, int], ...]:
    counts = Counter(tx.outcome for tx in txs)
    return tuple((name, counts.get(name, 0)) for name in OUTCOMES)


def _sources(txs: list[Transaction]) -> tuple[SourceUse, ...]:
    proposed: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    added: Counter[str] = Counter()
    for tx in txs:
        if tx.status not in DECIDED_OK:
            continue
        proposed.update(source for source, _id in tx.proposed)
        first = set(tx.proposed)
        kept.update(item[0] for item in tx.final if item in first)
        added.update(source for source, _id in tx.added)
    names = sorted(set(proposed) | set(added), key=lambda s: (-kept[s], s))
    return tuple(SourceUse(s, proposed[s], kept[s], added[s]) for s in names)


def _subjects(txs: list[Transaction], top: int = 10) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for tx in txs:
        if tx.status not in DECIDED_OK:
            continue
        for subject in {s.strip().rstrip(".").strip() for s in tx.subjects if s and s.strip()}:
            key = subject.casefold()
            counts[key] += 1
            shown.setdefault(key, subject)
    return tuple((shown[key], n) for key, n in counts.most_common(top))


def _effort(txs: list[Transaction]) -> tuple[tuple[str, int], ...]:
    counts = Counter(tx.effort for tx in txs if tx.effort)
    return tuple((str(level), counts.get(level, 0)) for level in range(1, 7))


def to_csv(txs: tuple[Transaction, ...], zone: datetime.tzinfo) -> str:
    """The transactions as CSV, one row each, with no personal data; dates and hours in ``zone``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for tx in txs:
        asked = datetime.datetime.fromtimestamp(tx.asked_at, zone)
        sent = Counter(source for source, _id in tx.final) if tx.status in DECIDED_OK else Counter()
        seconds = tx.seconds_to_sent
        writer.writerow({
            "draft": tx.draft,
            "asked_date": asked.date().isoformat(),
            "asked_hour": asked.hour,
            "language": tx.language,
            "status": tx.status,
            "outcome": tx.outcome,
            "versions": tx.version,
            "items_proposed": len(tx.proposed),
            "items_sent": sum(sent.values()),
            "items_added": len(tx.added) if tx.status in DECIDED_OK else 0,
            "sources_sent": " ".join(f"{s}:{n}" for s, n in sorted(sent.items())),
            "minutes_to_sent": f"{seconds / 60:.1f}" if seconds is not None else "",
            "effort": tx.effort or "",
        })
    return out.getvalue()
