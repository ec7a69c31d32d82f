"""Statistics with charts, and the transactions as CSV (no personal data)."""

from __future__ import annotations

import datetime

from aiohttp import web

from refbot.web.console import charts, stats
from refbot.web.console.state import console, current_account, render, services

DAY_CHOICES = (7, 30, 90, 365)


async def stats_page(request: web.Request) -> web.Response:
    """Questions per day and hour, time to answer, outcomes, sources, subjects, effort."""
    state = console(request)
    found = await stats.gather(services(request).store, chosen_days(request), state.clock(), state.zone)
    decided = sum(n for _k, n in found.outcomes)
    unchanged = dict(found.outcomes)["unchanged"]
    return render(
        request, "stats.html", stats=found,
        per_day=charts.column_chart(found.per_day, height=210),
        per_hour=charts.column_chart(found.per_hour, width=350, height=190, max_labels=8),
        effort=charts.column_chart(found.effort, width=350, height=190),
        outcomes=charts.share_bar(found.outcomes),
        sources=charts.bar_rows([(s.source, s.kept) for s in found.sources], second=[s.proposed for s in found.sources]),
        subjects=charts.bar_rows(found.subjects),
        unchanged_share=f"{round(100 * unchanged / decided)} %" if decided else "—",
        tick=_tick,
    )


async def stats_csv(request: web.Request) -> web.Response:
    """One row per transaction: dates, language, outcome, counts, effort — never who or what was asked."""
    svc = services(request)
    days = chosen_days(request)
    state = console(request)
    found = await stats.gather(svc.store, days, state.clock(), state.zone)
    account = current_account(request)
    await svc.store.record_csv_export(account, days)
    today = datetime.datetime.fromtimestamp(state.clock(), state.zone).date()
    name = f"refbot-transactions-{today.isoformat()}-{days}d.csv"
    return web.Response(
        body=stats.to_csv(found.transactions, state.zone).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def chosen_days(request: web.Request) -> int:
    """The window of days asked for with ``?days=`` (one of :data:`DAY_CHOICES`; 30 otherwise)."""
    value = request.query.get("days", "30")
    return int(value) if value in {str(d) for d in DAY_CHOICES} else 30


def _tick(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
