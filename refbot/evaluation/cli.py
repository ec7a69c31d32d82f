"""``refbot eval DIR``: how well refbot ranks, on a test collection, next to a plain baseline.

    refbot eval DIR [--json] [--split NAME] [--with T]... [--without T]... [--techniques]

DIR holds a collection in the BEIR layout (``corpus.jsonl``, ``queries.jsonl``,
``qrels/test.tsv``). The handler takes ``(args, settings)`` and returns the exit code: 0
when both runs were measured, 1 when the collection could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from refbot.errors import CatalogError
from refbot.evaluation.collection import CollectionError
from refbot.evaluation.metrics import METRICS, ratios
from refbot.evaluation.runner import TECHNIQUES, Outcome, Setup, evaluate_folder, is_on, switched

if TYPE_CHECKING:
    from refbot.config import Settings

_DESCRIPTION = (
    "Index a BEIR-layout test collection with the catalog's own code, answer every judged query "
    "through parse → catalog search → rank, and report nDCG@10, MAP@100, Recall@100 and P@10 "
    "for refbot and for a plain baseline (Whoosh BM25F, English stemming, the query's words OR-ed)."
)
_LABELS = {"ndcg@10": "nDCG@10", "map@100": "MAP@100", "recall@100": "Recall@100", "p@10": "P@10"}


def add_eval_command(subparsers: argparse._SubParsersAction[Any], common_parent: argparse.ArgumentParser) -> None:
    """Register ``eval DIR`` on the top-level subparsers."""
    command = subparsers.add_parser(
        "eval", parents=[common_parent], help="measure refbot's ranking on a test collection", description=_DESCRIPTION
    )
    command.add_argument("dir", metavar="DIR", help="a collection in the BEIR layout")
    command.add_argument("--json", action="store_true", help='print {"refbot": {...}, "baseline": {...}} as JSON')
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
    """``refbot eval DIR``."""
    setup = Setup(match=settings.match)
    for technique in args.with_:
        setup = switched(setup, technique, True)
    for technique in args.without:
        setup = switched(setup, technique, False)
    ablate = list(TECHNIQUES) if args.techniques else []
    try:
        outcome = evaluate_folder(args.dir, setup, split=args.split, ablate=ablate, language=settings.language.default)
    except (CollectionError, CatalogError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"refbot": _rounded(outcome.refbot), "baseline": _rounded(outcome.baseline)}, indent=2))
    else:
        print(report(outcome, args.dir))
    return 0


def report(outcome: Outcome, folder: str) -> str:
    """The measures as a table: refbot, the baseline, and their ratio; then any ablations."""
    ratio = ratios(outcome.refbot, outcome.baseline)
    on = [t for t in TECHNIQUES if is_on(outcome.setup, t)]
    lines = [
        f"{folder}: {outcome.documents:,} documents, {outcome.queries} judged queries",
        f"techniques on: {', '.join(on) or 'none'}",
        "",
        f"{'measure':<12}{'refbot':>9}{'baseline':>10}{'ratio':>8}",
    ]
    for name in METRICS:
        lines.append(f"{_LABELS[name]:<12}{outcome.refbot[name]:>9.4f}{outcome.baseline[name]:>10.4f}{ratio[name]:>8.2f}")
    if outcome.ablations:
        lines += ["", "each technique switched the other way (refbot's measures; change against the run above):"]
        lines.append(f"{'technique':<22}" + "".join(f"{_LABELS[m]:>20}" for m in METRICS))
        for name, measured in outcome.ablations.items():
            label = f"{name} {'off' if is_on(outcome.setup, name) else 'on'}"
            cells = "".join(f"{measured[m]:>11.4f} ({measured[m] - outcome.refbot[m]:+.4f})" for m in METRICS)
            lines.append(f"{label:<22}{cells}")
    lines += ["", "baseline: Whoosh BM25F, StemmingAnalyzer over title and text, the query's words OR-ed"]
    lines.append(f"took {outcome.seconds:.1f} s")
    return "\n".join(lines)


def _rounded(measures: dict[str, float]) -> dict[str, float]:
    return {name: round(measures[name], 4) for name in METRICS}

