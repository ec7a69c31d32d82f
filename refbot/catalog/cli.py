"""``refbot index …``: the cataloger's commands for the catalog index.

    refbot index build FILE... [--hold] build a new generation and make it the served one
    refbot index update FILE...        add or replace records in the current generation
    refbot index delete ID...          remove records by control number
    refbot index serve GENERATION      make a generation on disk the served one (going back, or after a copy)
    refbot index status [--json]       what is being served, and by which node
    refbot index search TEXT [--limit N]

Build, update, delete and serve record the generation in the store, which every node follows
(:mod:`refbot.catalog.serving`); status reads the nodes' reports from it.

Each command's handler takes ``(args, settings)`` and returns the exit code: 0 on success,
1 when the command failed (a build with too many rejects, no index yet, …).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from refbot.catalog import generations as gens
from refbot.catalog.index import BuildFailed, BuildReport, build_index
from refbot.catalog.maintenance import delete_records, index_status, make_current, update_records
from refbot.catalog.progress import ProgressPrinter
from refbot.catalog.search import CatalogIndex
from refbot.catalog.serving import record_served, served_generation, serving_status
from refbot.errors import CatalogError
from refbot.models import Candidate, InformationNeed
from refbot.pipeline.parse import parse_need
from refbot.store import Store

if TYPE_CHECKING:
    from pathlib import Path

    from refbot.config import Settings

T = TypeVar("T")

_DESCRIPTION = "The catalog index: built from MARC/MARCXML/CSV exports, searched by refbot."
_EXAMPLES_PER_REASON = 3


def add_index_commands(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``index build|update|delete|status|search`` on the top-level subparsers."""
    index = subparsers.add_parser(
        "index", help="build, update and inspect the catalog index", description=_DESCRIPTION
    )
    commands = index.add_subparsers(dest="index_command", metavar="COMMAND", required=True)
    files_help = "MARC 21, MARCXML, MARC-in-JSON, MARCMaker or CSV files, or folders of them"

    build = commands.add_parser("build", parents=[common_parent], help="build a new index generation from exports")
    build.add_argument("files", nargs="+", metavar="FILE", help=files_help)
    build.add_argument("--hold", action="store_true",
                       help="build, but serve it only once `refbot index serve GENERATION` is run (copy it to each node first)")
    build.set_defaults(handler=run_build)

    update = commands.add_parser("update", parents=[common_parent], help="add or replace records by control number")
    update.add_argument("files", nargs="+", metavar="FILE", help=files_help)
    update.set_defaults(handler=run_update)

    delete = commands.add_parser("delete", parents=[common_parent], help="remove records by control number")
    delete.add_argument("ids", nargs="+", metavar="ID", help="control numbers (001) of the records to remove")
    delete.set_defaults(handler=run_delete)

    serve = commands.add_parser("serve", parents=[common_parent],
                                help="make a generation on disk the one every node serves (going back, or after copying it)")
    serve.add_argument("generation", metavar="GENERATION", help="a generation in catalog.index_dir, e.g. gen-20261128T012345-ab12")
    serve.set_defaults(handler=run_serve)

    status = commands.add_parser("status", parents=[common_parent], help="show the generation being served, and by which node")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(handler=run_status)

    search = commands.add_parser("search", parents=[common_parent], help="search the index as refbot would")
    search.add_argument("text", nargs="+", help="what a patron might ask")
    search.add_argument("--limit", type=int, default=10, metavar="N", help="how many results (default 10)")
    search.set_defaults(handler=run_search)


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index build FILE... [--hold]``."""
    _quiet_pymarc()
    if not args.hold and not _store_ready(settings, "nothing was built"):
        return 1
    progress = ProgressPrinter(sys.stderr)
    try:
        report = build_index(
            args.files,
            _index_dir(settings),
            keep=settings.catalog.keep_generations,
            max_reject_ratio=settings.catalog.max_reject_ratio,
            progress=progress,
            switch=not args.hold,
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
    if args.hold:
        print(f"Held, not served: copy {_index_dir(settings) / report.generation} to every node's "
              f"catalog.index_dir, then run `refbot index serve {report.generation}`.")
        return 0
    return _record(settings, report.generation, "build")


def run_update(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index update FILE...``."""
    _quiet_pymarc()
    if not _served_here(settings, "update"):
        return 1
    try:
        report = update_records(args.files, _index_dir(settings))
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary(report, f"Updated {report.generation}"))
    recorded = _record(settings, report.generation, "update")
    return recorded or (0 if report.indexed or not report.rejected else 1)


def run_delete(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index delete ID...``."""
    if not _served_here(settings, "delete"):
        return 1
    try:
        deleted = delete_records(args.ids, _index_dir(settings))
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Deleted {deleted} of {len(set(args.ids))} record(s).")
    generation = gens.current_name(_index_dir(settings))
    assert generation is not None  # delete_records needs one
    return _record(settings, generation, "delete")


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index serve GENERATION``."""
    if not _store_ready(settings, "nothing was changed"):
        return 1
    try:
        make_current(_index_dir(settings), args.generation)
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return _record(settings, args.generation, "serve")


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index status [--json]``."""
    index_dir = _index_dir(settings)
    store_error = None
    try:
        serving = _in_store(settings, lambda store: serving_status(store, index_dir))
    except Exception as error:  # the store down: still show what is on disk here
        serving, store_error = {"served": None, "nodes": []}, _describe(error)
    served = serving["served"]
    status = index_status(index_dir, served["generation"] if served and served["here"] else None)
    status.update(serving)
    if store_error:
        status["store_error"] = store_error
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return 0 if status["generation"] else 1
    if status["generation"] is None:
        print(f"No catalog index in {status['index_dir']}; run `refbot index build FILE...`.")
    else:
        print(_status_text(status))
    lines = _serving_lines(status)
    if lines:
        print("\n".join(lines))
    return 0 if status["generation"] else 1


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot index search TEXT [--limit N]``."""
    need = _need(" ".join(args.text), settings.language.default)
    index = CatalogIndex(_index_dir(settings))
    try:
        wanted = _in_store(settings, served_generation)
    except Exception as error:
        print(f"note: the store cannot be read ({_describe(error)}); searching what CURRENT names", file=sys.stderr)
        wanted = None
    try:
        if wanted is not None and index.follow(wanted) != wanted:
            print(f"note: {wanted} is served but not in {index.index_dir}; searching {index.generation}", file=sys.stderr)
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


def _in_store(settings: Settings, use: Callable[[Store], Awaitable[T]]) -> T:
    """Open the store the settings name, do one thing with it, and close it."""

    async def run() -> T:
        store = await Store.open(settings.store_location)
        try:
            return await use(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _store_ready(settings: Settings, otherwise: str) -> bool:
    """Whether the store opens, checked before work whose result must be recorded there."""
    try:
        _in_store(settings, served_generation)
    except Exception as error:
        print(f"error: the store cannot be opened ({_describe(error)}); {otherwise}", file=sys.stderr)
        return False
    return True


def _served_here(settings: Settings, command: str) -> bool:
    """Whether an in-place change here would change the served generation (and not an older one)."""
    try:
        served = _in_store(settings, served_generation)
    except Exception as error:
        print(f"error: the store cannot be opened ({_describe(error)}); nothing was changed", file=sys.stderr)
        return False
    index_dir = _index_dir(settings)
    current = gens.current_name(index_dir)
    if served is None or current is None or served == current:
        return True
    print(f"error: every node serves {served}, but CURRENT in {index_dir} names {current}; `refbot index "
          f"{command}` changes a generation in place, so run it where {served} is current", file=sys.stderr)
    return False


def _record(settings: Settings, generation: str, command: str) -> int:
    """Record ``generation`` as the one every node serves; the exit code."""
    index_dir = _index_dir(settings)
    set_by = f"refbot index {command} on {socket.gethostname()}"
    try:
        _in_store(settings, lambda store: record_served(store, generation, set_by))
    except Exception as error:
        print(f"error: {generation} is current in {index_dir}, but recording it in the store failed "
              f"({_describe(error)}); nodes keep serving the generation recorded before. "
              f"Run `refbot index serve {generation}` to try again.", file=sys.stderr)
        return 1
    print(f"Serving {generation}: every node switches to it once {index_dir / generation} is there.")
    return 0


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


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
    if status.get("records_current") is False:
        lines.append(f"records     version {status['record_version']}: rebuild with `refbot index build` to cite editors, "
                     "editions and theses' degrees")
    if status["layout_current"] is False:
        lines.append(f"layout      {status['layout']}, older than this refbot's: rebuild with `refbot index build`")
    return "\n".join(lines)


def _serving_lines(status: dict[str, Any]) -> list[str]:
    """The served generation from the store, and what each node reports serving."""
    if status.get("store_error"):
        return [f"served      unknown: the store cannot be read ({status['store_error']})"]
    served = status["served"]
    if served is None:
        return []  # nothing recorded: this machine's CURRENT is what is served
    where = "" if served["here"] else f" (not in {status['index_dir']} on this machine)"
    lines = [f"served      {served['generation']}{where}, set {_when(served['set_at'])} by {served['set_by'] or '?'}"]
    nodes = status["nodes"]
    behind = sum(node["behind"] for node in nodes)
    lines.append(f"nodes       {len(nodes)} reporting" + (f", {behind} BEHIND" if behind else ""))
    width = max((len(node["node"]) for node in nodes), default=0)
    for node in nodes:
        line = f"  {node['node']:<{width}}  {node['generation'] or '(nothing)'}  seen {_when(node['seen_at'])}"
        lines.append(line + _NODE_STATES[node["state"]].format(served=served["generation"]))
    return lines


_NODE_STATES = {
    "current": "",
    "missing": "  BEHIND: {served} is not on this node yet",
    "unchecked": "  behind: no search since {served} was set; switches at its next one",
}


def _when(at: float) -> str:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).isoformat(timespec="seconds")


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
