"""``refbot eval DIR [DIR…]``: how well refbot ranks, on test collections, next to a plain baseline.

    refbot eval DIR [DIR…] [--json] [--split NAME] [--with T]... [--without T]... [--techniques]

Each DIR holds a collection in the BEIR layout (``corpus.jsonl``, ``queries.jsonl``,
``qrels/test.tsv``). With one DIR the measures are printed as refbot, baseline and ratio;
with several, each collection's ratios and their geometric mean. The handler takes
``(args, settings)`` and returns the exit code: 0 when every run was measured, 1 when a
collection could not be read (every folder is checked before the first is measured).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refbot.errors import CatalogError
from refbot.evaluation.collection import CollectionError, check_layout
from refbot.evaluation.metrics import METRICS
from refbot.evaluation.report import report, report_many
from refbot.evaluation.runner import TECHNIQUES, Outcome, Setup, evaluate_folder, switched

if TYPE_CHECKING:
    from refbot.config import Settings

_DESCRIPTION = (
    "Index BEIR-layout test collections with the catalog's own code, answer every judged query "
    "through parse → catalog search → rank, and report nDCG@10, MAP@100, Recall@100 and P@10 "
    "for refbot and for a plain baseline (Whoosh BM25F, English stemming, the query's words OR-ed); "
    "with several collections, each one's ratios and their geometric mean."
)


def add_eval_command(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``eval DIR [DIR…]`` on the top-level subparsers."""
    command = subparsers.add_parser(
        "eval", parents=[common_parent], help="measure refbot's ranking on test collections", description=_DESCRIPTION
    )
    command.add_argument("dirs", nargs="+", metavar="DIR", help="a collection in the BEIR layout (several: one table)")
    command.add_argument(
        "--json", action="store_true",
        help='print {"refbot": {...}, "baseline": {...}} as JSON; with several DIRs, one such object per folder name',
    )
    command.add_argument("--split", default="test", metavar="NAME", help="judge by qrels/NAME.tsv (default: test)")
    names = ", ".join(sorted(TECHNIQUES))
    for flag, dest, what in (("--with", "with_", "on"), ("--without", "without", "off")):
        command.add_argument(
            flag, dest=dest, action="append", default=[], choices=sorted(TECHNIQUES), metavar="TECHNIQUE",
            help=f"switch a technique {what} (repeatable): {names}",
        )
    command.add_argument(
        "--techniques", action="store_true", help="also measure each technique switched the other way, one at a time"
    )
    command.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """``refbot eval DIR [DIR…]``."""
    setup = Setup(match=settings.match)
    for technique in args.with_:
        setup = switched(setup, technique, True)
    for technique in args.without:
        setup = switched(setup, technique, False)
    ablate = list(TECHNIQUES) if args.techniques else []
    names = collection_names(args.dirs)
    outcomes: dict[str, Outcome] = {}
    try:
        for folder in args.dirs:
            check_layout(folder, args.split)
        for name, folder in zip(names, args.dirs, strict=True):
            language = settings.language.default
            outcomes[name] = evaluate_folder(folder, setup, split=args.split, ablate=ablate, language=language)
    except (CollectionError, CatalogError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        shaped = {name: _shape(outcome) for name, outcome in outcomes.items()}
        print(json.dumps(shaped[names[0]] if len(names) == 1 else shaped, indent=2))
    elif len(names) == 1:
        print(report(outcomes[names[0]], args.dirs[0]))
    else:
        print(report_many(outcomes))
    return 0


def collection_names(folders: list[str]) -> list[str]:
    """Each folder's name as the table and the JSON show it; the path as given when two names clash."""
    names = [Path(folder).resolve().name or folder for folder in folders]
    return [name if names.count(name) == 1 else folder for name, folder in zip(names, folders, strict=True)]


def _shape(outcome: Outcome) -> dict[str, dict[str, float]]:
    return {"refbot": _rounded(outcome.refbot), "baseline": _rounded(outcome.baseline)}


def _rounded(measures: dict[str, float]) -> dict[str, float]:
    return {name: round(measures[name], 4) for name in METRICS}
