"""``refbot export conversations``: the desk's records of a period, for the library's reports and archive.

    refbot export conversations --from 2026-01-01 --to 2026-06-30 --format csv --output semester.csv
    refbot export conversations --from 2026-11-01 --to 2026-11-30 --format jsonl --with-contacts --by kepala

One record per question (when, the words, the kinds of material asked for, the draft's status,
who decided and when, the items sent) and per service request (kind, status, who decided, a
letter's number). Dates are days in the library's time zone (``desk.timezone``), both included.

Patrons appear as pseudonyms, never phone numbers (see :mod:`refbot.services.history.records`).
``--with-contacts`` keeps the numbers; it is for an admin only: ``--by`` must name an admin
account of the console, and the export is written to the audit trail under that name. Every
export is audited. Patrons who erased their data and anything past ``privacy.retention_days``
are not exported. With ``libraries:``, ``--library ID`` chooses the library.

Exit status: 0 written, 1 refused (no such admin), 2 a wrong option.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refbot.services.dates import library_zone
from refbot.services.history.records import FIELDS, csv_row, period_records, pseudonym_key
from refbot.store import Store
from refbot.store.history import record_download

if TYPE_CHECKING:
    from refbot.config import Settings

FORMATS = ("jsonl", "csv")


def add_export_command(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``export conversations`` on the top-level subparsers."""
    export = subparsers.add_parser("export", help="write the desk's records for a period (without phone numbers)",
                                   description="The desk's records, for the library's reports and archive.")
    commands = export.add_subparsers(dest="export_command", metavar="COMMAND", required=True)
    conversations = commands.add_parser(
        "conversations", parents=[common_parent], help="questions and service requests of a period, one record each")
    conversations.add_argument("--from", dest="start", required=True, type=_day, metavar="DATE",
                               help="the first day (YYYY-MM-DD), in desk.timezone")
    conversations.add_argument("--to", dest="end", required=True, type=_day, metavar="DATE",
                               help="the last day (YYYY-MM-DD), included")
    conversations.add_argument("--format", choices=FORMATS, default="jsonl", help="one JSON object a line, or CSV")
    conversations.add_argument("--output", metavar="FILE", help="write here (default: standard output)")
    conversations.add_argument("--with-contacts", action="store_true",
                               help="keep patrons' phone numbers (an admin only: needs --by; audited)")
    conversations.add_argument("--by", metavar="USERNAME", default="",
                               help="the console admin account taking responsibility for --with-contacts")
    conversations.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot export conversations``."""
    if args.end < args.start:
        print("error: --to is before --from", file=sys.stderr)
        return 2
    if args.with_contacts and not args.by:
        print("error: --with-contacts exports patrons' phone numbers; name the console admin responsible with "
              "--by USERNAME", file=sys.stderr)
        return 2
    return asyncio.run(_export(args, settings))


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    store = await Store.open(settings.store_location)
    try:
        actor = "cli"
        if args.with_contacts:
            account = await store.account_by_username(args.by)
            if account is None or not account.is_admin:
                print(f"error: '{args.by}' is not an admin account of the console; --with-contacts is refused",
                      file=sys.stderr)
                return 1
            actor = account.actor
        start, end = _bounds(args.start, args.end, library_zone(settings))
        key, secret = pseudonym_key(settings)
        if not secret and not args.with_contacts:
            print("warning: neither REFBOT_CONSOLE_SECRET nor REFBOT_WHATSAPP_APP_SECRET is set; patrons' pseudonyms "
                  "are then not keyed and could be traced back by trying numbers", file=sys.stderr)
        records = await period_records(store, settings, start, end, now=time.time(), key=key,
                                       contacts=args.with_contacts)
        text = _jsonl(records) if args.format == "jsonl" else _csv(records)
        _write(text, args.output)
        await record_download(store, actor, "records_exported", f"export:{args.start}..{args.end}", {
            "format": args.format, "with_contacts": args.with_contacts, "records": len(records),
            "library": settings.library_id or "default", "output": Path(args.output).name if args.output else "-",
        })
    finally:
        await store.close()
    questions = sum(1 for r in records if r["record"] == "question")
    print(f"{len(records)} records ({questions} questions, {len(records) - questions} service requests) from "
          f"{args.start} to {args.end}" + ("" if args.with_contacts else ", patrons as pseudonyms")
          + (f" written to {args.output}" if args.output else ""), file=sys.stderr)
    return 0


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _bounds(first: datetime.date, last: datetime.date, zone: datetime.tzinfo) -> tuple[float, float]:
    """The period's first moment and the moment after its last day, in the library's time zone."""
    start = datetime.datetime.combine(first, datetime.time(), zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), zone)
    return start.timestamp(), end.timestamp()


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    writer.writerows(csv_row(r) for r in records)
    return out.getvalue()


def _write(text: str, output: str | None) -> None:
    if not output:
        sys.stdout.write(text)
        return
    path = Path(output)
    # Whole or not at all: a half-written file would look like a period with fewer records.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=path.parent or ".",
                                     prefix=f".{path.name}.", delete=False) as partial:
        partial.write(text)
    os.replace(partial.name, path)
