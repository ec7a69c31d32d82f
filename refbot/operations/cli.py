"""``refbot backup`` and ``refbot restore``: the IT office's commands for a desk's backups.

    refbot backup DEST                      back up the running desk into the new folder DEST
    refbot backup --under DIR [--keep N]    … into a dated folder under DIR, keeping the N newest
    refbot restore --check SRC              check a backup against its manifest; touch nothing
    refbot restore SRC [--force]            rebuild the stopped desk from a backup

Both act on every library of the deployment. Exit codes: 0 done, 1 refused or failed (the
message says why, on stderr), 2 a configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refbot.operations import rotation
from refbot.operations.backup import BackupFailed, backup
from refbot.operations.manifest import BackupDamaged, Manifest
from refbot.operations.restore import RestoreRefused, check, restore
from refbot.operations.running import DeskRunning

if TYPE_CHECKING:
    from refbot.config import Settings

SHOWN_TABLES = (("inbox", "messages"), ("requests", "requests"), ("drafts", "drafts"), ("outbox", "outbox messages"),
                ("service_requests", "service requests"))
"""The tables a summary names, with what a librarian calls their rows."""


def add_backup_commands(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``backup`` and ``restore`` on the top-level subparsers."""
    made = subparsers.add_parser("backup", parents=[common_parent],
                                 help="back up the running desk: stores, journal, files, catalog, configuration")
    where = made.add_mutually_exclusive_group(required=True)
    where.add_argument("dest", nargs="?", metavar="DEST", help="a new (or empty) folder to write the backup into")
    where.add_argument("--under", metavar="DIR", help="write it into a new dated folder refbot-YYYYMMDDTHHMMSSZ under DIR")
    made.add_argument("--keep", type=int, metavar="N", help="with --under: then remove all but the N newest backups there")
    # consortium: the command acts on the whole deployment, not one library's settings.
    made.set_defaults(handler=run_backup, consortium=True)

    back = subparsers.add_parser("restore", parents=[common_parent],
                                 help="rebuild the stopped desk from a backup (or --check one)")
    back.add_argument("src", metavar="SRC", help="the backup's folder (the one holding manifest.json)")
    back.add_argument("--force", action="store_true", help="replace the desk's existing stores, journals and files")
    back.add_argument("--check", action="store_true", help="only check the backup against its manifest")
    back.set_defaults(handler=run_restore, consortium=True)


def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot backup DEST`` or ``refbot backup --under DIR [--keep N]``."""
    if args.keep is not None and (args.under is None or args.keep < 1):
        print("error: --keep N (1 or more) goes with --under DIR", file=sys.stderr)
        return 1
    dest = rotation.dated_folder(Path(args.under)) if args.under else Path(args.dest)
    try:
        manifest = backup(settings, dest, config_file(args))
    except BackupFailed as e:
        print(f"error: backup failed: {e}", file=sys.stderr)
        return 1
    print(summary(manifest, f"Backed up to {dest}"))
    print(f"Check it with: refbot restore --check {dest}")
    if args.under and args.keep:
        for removed in rotation.prune(Path(args.under), args.keep):
            print(f"Removed the old backup {removed}")
    return 0


def run_restore(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot restore [--check] SRC [--force]``."""
    src = Path(args.src)
    try:
        if args.check:
            manifest = check(src)
            print(summary(manifest, f"{src} is whole"))
            return 0
        manifest = restore(settings, src, force=args.force, say=lambda line: print(f"  {line}"))
    except BackupDamaged as e:
        print(f"error: the backup in {src} is damaged, nothing was restored: {e}", file=sys.stderr)
        return 1
    except (RestoreRefused, DeskRunning) as e:
        print(f"error: nothing was restored: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: the restore failed part-way ({e}); run it again once the cause is fixed", file=sys.stderr)
        return 1
    print(summary(manifest, f"Restored from {src}"))
    return 0


def summary(manifest: Manifest, headline: str) -> str:
    """A few lines on what a backup holds."""
    lines = [f"{headline}: refbot {manifest.refbot_version} ({manifest.backend}), made {manifest.created_at}"
             f" in {manifest.took_seconds:.1f} s, {manifest.size / 1e6:.1f} MB"]
    for library, part in sorted(manifest.libraries.items()):
        counts = [f"{part.rows.get(table, 0):,} {what}" for table, what in SHOWN_TABLES]
        counts.append(f"{part.file_count:,} files")
        index = f"; catalog {part.index}" if part.index else "; no catalog index"
        lines.append(f"  {library}: {', '.join(counts)}; schema version {part.schema_version}{index}")
    if manifest.config:
        lines.append(f"  configuration: {manifest.config}")
    return "\n".join(lines)


def config_file(args: argparse.Namespace) -> Path | None:
    """The configuration file refbot read, found as ``refbot.cli`` finds it (``--config``, $REFBOT_CONFIG, ./config.yaml)."""
    given = getattr(args, "config", None) or os.environ.get("REFBOT_CONFIG")
    if given:
        return Path(given)
    return Path("config.yaml") if os.path.exists("config.yaml") else None
