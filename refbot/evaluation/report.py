"""What ``refbot eval`` prints: one collection's measures, or several collections' ratios side by side.

A ratio is refbot's measure divided by the baseline's on the same collection. Across
collections the ratios are summarised by their geometric mean, so a collection where refbot
doubles the baseline cannot hide one where it halves it (1.0 is "as good as plain BM25").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from refbot.evaluation.metrics import METRICS, geometric_mean, ratios
from refbot.evaluation.runner import TECHNIQUES, Outcome, is_on

LABELS = {"ndcg@10": "nDCG@10", "map@100": "MAP@100", "recall@100": "Recall@100", "p@10": "P@10"}
BASELINE = "baseline: Whoosh BM25F, StemmingAnalyzer over title and text, the query's words OR-ed"


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
        lines.append(f"{LABELS[name]:<12}{outcome.refbot[name]:>9.4f}{outcome.baseline[name]:>10.4f}{ratio[name]:>8.2f}")
    if outcome.ablations:
        lines += ["", "each technique switched the other way (refbot's measures; change against the run above):"]
        lines.append(f"{'technique':<22}" + "".join(f"{LABELS[m]:>20}" for m in METRICS))
        for name, measured in outcome.ablations.items():
            cells = "".join(f"{measured[m]:>11.4f} ({measured[m] - outcome.refbot[m]:+.4f})" for m in METRICS)
            lines.append(f"{_switch_label(outcome, name):<22}{cells}")
    lines += ["", BASELINE, f"took {outcome.seconds:.1f} s"]
    return "\n".join(lines)


def report_many(outcomes: Mapping[str, Outcome]) -> str:
    """Several collections: each one's ratios to the baseline, then their geometric mean; then any ablations."""
    first = next(iter(outcomes.values()))
    on = [t for t in TECHNIQUES if is_on(first.setup, t)]
    width = max(12, *(len(name) + 2 for name in outcomes))
    header = f"{'collection':<{width}}{'docs':>8}{'queries':>8}" + "".join(f"{LABELS[m]:>12}" for m in METRICS)
    lines = [f"techniques on: {', '.join(on) or 'none'}", "", "refbot / baseline, per measure:", header]
    for name, outcome in outcomes.items():
        ratio = ratios(outcome.refbot, outcome.baseline)
        cells = "".join(f"{ratio[m]:>12.3f}" for m in METRICS)
        lines.append(f"{name:<{width}}{outcome.documents:>8,}{outcome.queries:>8}{cells}")
    means = geometric_ratios(outcomes.values())
    lines.append(f"{'geometric mean':<{width + 16}}" + "".join(f"{means[m]:>12.3f}" for m in METRICS))
    lines.append(f"{'lowest':<{width + 16}}" + "".join(f"{lowest_ratios(outcomes.values())[m]:>12.3f}" for m in METRICS))
    lines += ["", "each collection's measures (refbot, baseline):"]
    lines.append(f"{'collection':<{width}}" + "".join(f"{LABELS[m]:>20}" for m in METRICS))
    for name, outcome in outcomes.items():
        cells = "".join(f"{outcome.refbot[m]:>10.4f}{outcome.baseline[m]:>10.4f}" for m in METRICS)
        lines.append(f"{name:<{width}}{cells}")
    if first.ablations:
        lines += _ablation_table(outcomes)
    seconds = sum(o.seconds for o in outcomes.values())
    lines += ["", BASELINE, f"took {seconds:.1f} s"]
    return "\n".join(lines)


def geometric_ratios(outcomes: Iterable[Outcome]) -> dict[str, float]:
    """Per measure, the geometric mean over collections of refbot / baseline."""
    each = [ratios(o.refbot, o.baseline) for o in outcomes]
    return {m: geometric_mean([r[m] for r in each]) for m in METRICS}


def lowest_ratios(outcomes: Iterable[Outcome]) -> dict[str, float]:
    """Per measure, the lowest refbot / baseline over collections."""
    each = [ratios(o.refbot, o.baseline) for o in outcomes]
    return {m: min(r[m] for r in each) for m in METRICS}


def _ablation_table(outcomes: Mapping[str, Outcome]) -> list[str]:
    """Each technique switched the other way: nDCG@10 and MAP@100 ratios per collection, and their geometric mean."""
    names = list(outcomes)
    first = next(iter(outcomes.values()))
    lines = ["", "each technique switched the other way (nDCG@10 / MAP@100 ratio to the baseline):"]
    lines.append(f"{'technique':<22}" + "".join(f"{n:>{max(14, len(n) + 2)}}" for n in names) + f"{'geo mean':>14}")
    rows = {"(as run)": {n: o.refbot for n, o in outcomes.items()}}
    for technique in first.ablations:
        rows[_switch_label(first, technique)] = {n: o.ablations[technique] for n, o in outcomes.items()}
    for label, measured in rows.items():
        cells, nd, mp = "", [], []
        for n in names:
            r = ratios(measured[n], outcomes[n].baseline)
            nd.append(r["ndcg@10"])
            mp.append(r["map@100"])
            cells += f"{r['ndcg@10']:.3f}/{r['map@100']:.3f}".rjust(max(14, len(n) + 2))
        lines.append(f"{label:<22}{cells}{f'{geometric_mean(nd):.3f}/{geometric_mean(mp):.3f}':>14}")
    return lines


def _switch_label(outcome: Outcome, technique: str) -> str:
    return f"{technique} {'off' if is_on(outcome.setup, technique) else 'on'}"
