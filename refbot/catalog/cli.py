"""``refbot index …``: the cataloger's commands for the catalog index.

    refbot index build FILE...         build a new generation and make it current
    refbot index update FILE...        add or replace records in the current generation
    refbot index delete ID...          remove records by control number
    refbot index status [--json]       what is being served
    refbot index search TEXT [--limit N]

Each command's handler takes ``(args, settings)`` and returns the exit code: 0 on success,
1 when the command failed (a build with too many rejects, no index yet, …).
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import logging
import os
import shutil
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from refbot.catalog.index import BuildFailed, BuildProgress, BuildReport, build_index
from refbot.catalog.maintenance import delete_records, index_status, update_records
from refbot.catalog.search import CatalogIndex
from refbot.errors import CatalogError
from refbot.models import Candidate, InformationNeed
from refbot.pipeline.parse import parse_need

if TYPE_CHECKING:
    from pathlib import Path

    from refbot.config import Settings

_DESCRIPTION = "The catalog index: built from MARC/MARCXML/CSV exports, searched by refbot."
_EXAMPLES_PER_REASON = 3
_TTY_INTERVAL = 0.1
_LOG_INTERVAL = 5.0
_MAX_WIDTH = 100
_BAR_CELLS = 20


def add_index_commands(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``index build|update|delete|status|search`` on the top-level subparsers."""
    index = subparsers.add_parser(
        "index", help="build, update and inspect the catalog index", description=_DESCRIPTION
    )
    commands = index.add_subparsers(dest="index_command", metavar="COMMAND", required=True)
    files_help = "MARC 21, MARCXML, MARC-in-JSON, MARCMaker or CSV files, or folders of them"

    build = commands.add_parser("build", parents=[common_parent], help="build a new index generation from exports")
    build.add_argument("files", nargs="+", metavar="FILE", help=files_help)
    build.set_defaults(handler=run_build)

    update = commands.add_parser("update", parents=[common_parent], help="add or replace records by control number")
    update.add_argument("files", nargs="+", metavar="FILE", help=files_help)
    update.set_defaults(handler=run_update)

    delete = commands.add_parser("delete", parents=[common_parent], help="remove records by control number")
    delete.add_argument("ids", nargs="+", metavar="ID", help="control numbers (001) of the records to remove")
    delete.set_defaults(handler=run_delete)

    status = commands.add_parser("status", parents=[common_parent], help="show the generation being served")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(handler=run_status)

    search = commands.add_parser("search", parents=[common_parent], help="search the index as refbot would")
    search.add_argument("text", nargs="+", help="what a patron might ask")
    search.add_argument("--limit", type=int, default=10, metavar="N", help="how many results (default 10)")
    search.set_defaults(handler=run_search)


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index build FILE...``."""
    _quiet_pymarc()
    progress = ProgressPrinter(sys.stderr)
    try:
        report = build_index(
            args.files,
            _index_dir(settings),
            keep=settings.catalog.keep_generations,
            max_reject_ratio=settings.catalog.max_reject_ratio,
            progress=progress,
        )
    except BuildFailed as error:
        progress.finish()
        print(summary(error.report, "Build failed"))
        print(f"error: {error}", file=sys.stderr)
        return 1
    except CatalogError as error:
        progress.finish()
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        progress.finish()
        print("interrupted; the current index was kept", file=sys.stderr)
        return 130
    progress.finish()
    print(summary(report, f"Built {report.generation}"))
    return 0


def run_update(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index update FILE...``."""
    _quiet_pymarc()
    try:
        report = update_records(args.files, _index_dir(settings))
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary(report, f"Updated {report.generation}"))
    return 0 if report.indexed or not report.rejected else 1


def run_delete(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index delete ID...``."""
    try:
        deleted = delete_records(args.ids, _index_dir(settings))
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Deleted {deleted} of {len(set(args.ids))} record(s).")
    return 0


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index status [--json]``."""
    status = index_status(_index_dir(settings))
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    elif status["generation"] is None:
        print(f"No catalog index in {status['index_dir']}; run `refbot index build FILE...`.")
    else:
        print(_status_text(status))
    return 0 if status["generation"] else 1


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index search TEXT [--limit N]``."""
    need = _need(" ".join(args.text), settings.language.default)
    index = CatalogIndex(_index_dir(settings))
    try:
        results = index.search(need, limit=args.limit)
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        index.close()
    terms = ", ".join(f"{t.text}^{t.weight:g}" for t in need.terms)
    print(f"Searched for: {terms or '(no content words)'}")
    for candidate in results:
        print(_result_line(candidate))
    if not results:
        print("No records found.")
    return 0


def _need(text: str, language: str) -> InformationNeed:
    # The desk's own parser, so `index search` shows what refbot itself would search for.
    return parse_need(text, language, current_year=datetime.date.today().year)


def summary(report: BuildReport, headline: str) -> str:
    """The closing summary of a build or update: counts, then rejects by reason."""
    lines = [
        f"{headline} in {report.duration:.1f} s ({report.rate:,.0f} records/s)",
        f"  files     {len(report.files):>9,}",
        f"  read      {report.read:>9,}",
        f"  indexed   {report.indexed:>9,}",
    ]
    if report.repaired:
        lines.append(f"  repaired  {len(report.repaired):>9,}")
        for what, repairs in report.by_repair().items():
            examples = ", ".join(r.describe().split(": ", 1)[0] for r in repairs[:_EXAMPLES_PER_REASON])
            more = ", …" if len(repairs) > _EXAMPLES_PER_REASON else ""
            lines.append(f"    {len(repairs):>6,}  {what}: {examples}{more}")
    lines.append(f"  rejected  {len(report.rejected):>9,}")
    for reason, rejects in report.by_reason().items():
        examples = ", ".join(r.describe().split(": ", 1)[0] for r in rejects[:_EXAMPLES_PER_REASON])
        more = ", …" if len(rejects) > _EXAMPLES_PER_REASON else ""
        lines.append(f"    {len(rejects):>6,}  {reason}: {examples}{more}")
    return "\n".join(lines)


def _status_text(status: dict[str, Any]) -> str:
    lines = [
        f"generation  {status['generation']}",
        f"records     {status['records']:,}",
        f"built at    {status['built_at']}",
    ]
    if status["updated_at"]:
        lines.append(f"updated at  {status['updated_at']}")
    lines.append(f"rejected    {status['rejected']:,} of {status['read']:,} read")
    lines.extend(f"  {count:>6,}  {reason}" for reason, count in status["rejected_by_reason"].items())
    if status.get("repaired"):
        lines.append(f"repaired    {status['repaired']:,} (read all the same)")
        lines.extend(f"  {count:>6,}  {what}" for what, count in status["repaired_by_kind"].items())
    lines.append(f"on disk     {', '.join(status['generations'])}")
    if status["layout_current"] is False:
        lines.append(f"layout      {status['layout']}, older than this refbot's: rebuild with `refbot index build`")
    return "\n".join(lines)


def _result_line(candidate: Candidate) -> str:
    authors = "; ".join(candidate.authors[:2])
    year = f" ({candidate.year})" if candidate.year else ""
    shelf = f" · {candidate.call_number}" if candidate.call_number else ""
    copies = f" · {candidate.available}/{candidate.copies} available" if candidate.copies else ""
    head = f"{candidate.source_rank:>3}. [{candidate.source_score:6.2f}] {candidate.title}"
    return f"{head} — {authors}{year} · {candidate.kind}{shelf}{copies}"


def _index_dir(settings: Settings) -> Path:
    return settings.path(settings.catalog.index_dir)


def _quiet_pymarc() -> None:
    # pymarc logs a warning for every odd indicator; the build summary already says what
    # matters about each record, and thousands of warnings would bury it.
    logging.getLogger("pymarc").setLevel(logging.ERROR)


class ProgressPrinter:
    """Shows build progress: a self-rewriting line on a terminal, a log line now and then otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last = 0.0
        self._shown = False
        self._width = _MAX_WIDTH

    def __call__(self, progress: BuildProgress) -> None:
        now = time.monotonic()
        if now - self._last < (_TTY_INTERVAL if self.tty else _LOG_INTERVAL):
            return
        self._last = now
        if self.tty:
            self._width = _columns(self.stream) - 1
            self.stream.write("\r" + _progress_bar(progress, self._width))
            self._shown = True
        else:
            self.stream.write(f"index build: {_progress_text(progress)}\n")
        self.stream.flush()

    def finish(self) -> None:
        """End the progress line so the summary starts on a fresh one."""
        if self.tty and self._shown:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _columns(stream: TextIO) -> int:
    """The terminal's width (at most :data:`_MAX_WIDTH`), asked of the stream being written to."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        columns = 0
    if columns <= 0:  # not a terminal we can ask, or one that does not know its size
        columns = shutil.get_terminal_size((_MAX_WIDTH + 1, 24)).columns
    return max(40, min(_MAX_WIDTH + 1, columns))


def _progress_bar(progress: BuildProgress, width: int) -> str:
    """``[#####-----]  42% ·`` and the progress text, fitted to ``width`` columns."""
    share = progress.bytes_done / progress.bytes_total if progress.bytes_total else 0.0
    filled = round(share * _BAR_CELLS)
    bar = f"[{'#' * filled}{'-' * (_BAR_CELLS - filled)}] {share:4.0%} · "
    return (bar + _progress_text(progress)).ljust(width)[:width]


def _progress_text(progress: BuildProgress) -> str:
    eta = progress.eta
    eta_text = f"ETA {int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else "ETA …"
    return (
        f"{progress.read:,} records · {progress.rate:,.0f}/s · "
        f"file {progress.files_done}/{progress.files_total} · {eta_text}"
    )
