"""``refbot harvest [--library ID] [--full] [NAME…]``: harvest the configured OAI-PMH sources now.

Each source under ``catalog.harvest`` (all of them when no NAME is given) is harvested in
turn: incrementally from its last successful harvest, or in full the first time, after a
rebuild, or with ``--full``. A progress line shows while it runs, and a summary like
``refbot index build``'s follows each source. The exit status is 0 when every source was
harvested, 1 when any failed (what it read before failing is kept), 2 for a wrong name.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from refbot.catalog.harvest.harvester import HarvestProgress, HarvestReport, harvest_and_record, sources_named
from refbot.errors import CatalogError
from refbot.store import Store

if TYPE_CHECKING:
    from refbot.config import HarvestSource, Settings

_EXAMPLES_PER_REASON = 3


def add_harvest_command(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``refbot harvest`` on the top-level subparsers."""
    command = subparsers.add_parser(
        "harvest", parents=[common_parent], help="harvest the OAI-PMH repositories under catalog.harvest into the catalog",
        description="Harvest OAI-PMH repositories (theses, papers, a SLiMS or Koha catalog) into the catalog index.")
    command.add_argument("names", nargs="*", metavar="NAME", help="the sources to harvest (default: all)")
    command.add_argument("--full", action="store_true", help="ask for every record, not only those changed since the last harvest")
    command.set_defaults(handler=run_harvest)


def run_harvest(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot harvest [NAME…] [--full]``."""
    try:
        sources = sources_named(settings, list(args.names))
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        reports = asyncio.run(_harvest_all(settings, sources, args.full))
    except KeyboardInterrupt:
        print("interrupted; what was harvested so far is in the index", file=sys.stderr)
        return 130
    return 0 if all(r.ok for r in reports) else 1


async def _harvest_all(settings: Settings, sources: list[HarvestSource], full: bool) -> list[HarvestReport]:
    try:
        store = await Store.open(settings.store_location)
    except Exception as error:
        print(f"error: the store cannot be opened ({type(error).__name__}: {error}); nothing was harvested",
              file=sys.stderr)
        return [HarvestReport(source=s.name, generation="", full=full, error="the store cannot be opened")
                for s in sources]
    reports = []
    try:
        for source in sources:
            reports.append(await _harvest_one(store, settings, source, full))
    finally:
        await store.close()
    return reports


async def _harvest_one(store: Store, settings: Settings, source: HarvestSource, full: bool) -> HarvestReport:
    progress = HarvestPrinter(sys.stderr)
    try:
        # A command may fork Whoosh writers, as `refbot index build` does: None lets a large full harvest use 2.
        report = await harvest_and_record(store, settings, source, full=full, progress=progress, procs=None)
    except CatalogError as error:
        progress.finish()
        print(f"error: {error}", file=sys.stderr)
        return HarvestReport(source=source.name, generation="", full=full, error=str(error))
    progress.finish()
    print(summary(report))
    if not report.ok:
        print(f"error: {report.source}: {report.error}; the next harvest asks again from "
              f"{report.since or 'the start'}", file=sys.stderr)
    return report


def summary(report: HarvestReport) -> str:
    """The closing summary of one source's harvest: counts, then rejects by reason."""
    how = "full" if report.full else f"changes since {report.since}"
    verb = "Harvested" if report.ok else "Harvest failed part way:"
    lines = [
        f"{verb} {report.source} ({how}) into {report.generation} in {report.duration:.1f} s "
        f"({report.rate:,.0f} records/s)",
        f"  pages     {report.pages:>9,}",
        f"  read      {report.read:>9,}",
        f"  added     {report.added:>9,}",
        f"  updated   {report.updated:>9,}",
        f"  deleted   {report.deleted:>9,}",
        f"  rejected  {len(report.rejected):>9,}",
    ]
    for reason, rejects in report.by_reason().items():
        examples = ", ".join(r.control_number for r in rejects[:_EXAMPLES_PER_REASON])
        more = ", …" if len(rejects) > _EXAMPLES_PER_REASON else ""
        lines.append(f"    {len(rejects):>6,}  {reason}: {examples}{more}")
    lines.append(f"  in index  {report.records:>9,}  records of {report.source}")
    if report.read == 0 and report.ok and not report.full:
        lines.append("  nothing new")
    if report.restarts:
        lines.append(f"  restarted {report.restarts:>9,}  (the repository refused a resumption token)")
    if report.waits:
        lines.append(f"  waited    {sum(report.waits):>9,.0f} s  ({len(report.waits)} retries: busy or unreachable)")
    if report.ok and report.datestamp:
        lines.append(f"  next harvest asks for changes since {report.datestamp}")
    return "\n".join(lines)


class HarvestPrinter:
    """A harvest's progress: one self-rewriting line on a terminal, a line every few seconds in a log."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last = 0.0
        self._shown = 0

    def __call__(self, progress: HarvestProgress) -> None:
        now = time.monotonic()
        if now - self._last < (0.1 if self.tty else 5.0):
            return
        self._last = now
        size = f" of {progress.complete_size:,}" if progress.complete_size else ""
        text = (f"harvest {progress.source}: page {progress.pages:,} · {progress.read:,}{size} records · "
                f"{progress.rate:,.0f}/s · {progress.rejected:,} rejected")
        if self.tty:
            self.stream.write("\r" + text.ljust(self._shown))
            self._shown = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the progress line so the summary starts on a fresh one."""
        if self.tty and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
