"""How fast a MARC 21 export becomes a catalog index, how big it is, and how much memory it takes.

The test data is made from the real records in ../shared/data/marc: every record pymarc can
parse (ISO 2709 and MARCXML) is a seed, and the seeds are copied round-robin into one UTF-8
ISO 2709 file of N records, each copy varied so no two records are alike — a new control
number (001; 003 and 035 dropped), a title with one word swapped for a word from a small
Indonesian/English library vocabulary, one or two Koha 952 items with new barcodes (some on
loan), and for every other record an Indonesian 650 subject. The files are written to a
temporary folder and removed afterwards; nothing is kept.

Each build runs ``refbot.catalog.build_index`` (exactly what ``refbot index build`` runs:
read, map, analyse, write, commit, verify, switch CURRENT) in a child process, timed inside
the child from the call to its return (interpreter start-up and imports excluded). Peak
memory is measured two ways:

- *tree PSS*: the build's whole process tree (the child and the Whoosh writer processes it
  forks for large inputs), summing each process's proportional set size from
  /proc/PID/smaps_rollup, sampled every 20 ms by the parent; the peak of the sums. PSS shares
  copy-on-write pages out between the processes that map them, so the sum does not count a
  page twice.
- *ru_maxrss*: ``resource.getrusage`` in the child, for itself (RUSAGE_SELF) and for its
  largest finished child process (RUSAGE_CHILDREN) — per process, not summed.

The baseline, in this same process, is pymarc alone reading the same file (``MARCReader``,
UTF-8, nothing mapped or indexed): the floor a build cannot beat.

    .venv/bin/python bench/index_build.py [--sizes 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from pymarc import Field, Indicators, MARCReader, Record, Subfield, parse_xml_to_array

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from refbot.catalog.readers import Format, detect_format  # noqa: E402

SHARED_MARC = REPO.parent / "shared" / "data" / "marc"
TARGET_RATE = 1500
TARGET_MB = 500
_SAMPLE_EVERY = 0.02
VOCABULARY = (
    "perpustakaan", "pengelolaan", "informasi", "literasi", "digital", "pendidikan", "sejarah",
    "kebudayaan", "ekonomi", "masyarakat", "penelitian", "metodologi", "kesehatan", "hukum",
    "library", "management", "information", "history", "culture", "education", "research",
    "services", "society", "economics", "health", "law", "music", "science", "technology",
)  # fmt: skip
SUBJECTS = (
    ("Perpustakaan", "Manajemen"), ("Literasi informasi", "Mahasiswa"), ("Katalogisasi", ""),
    ("Perpustakaan digital", ""), ("Layanan referensi", ""), ("Minat baca", "Remaja"),
    ("Sejarah", "Indonesia"), ("Ekonomi", "Indonesia"), ("Pendidikan tinggi", "Indonesia"),
    ("Hukum perdata", ""), ("Kesehatan masyarakat", ""), ("Musik", "Sejarah dan kritik"),
)  # fmt: skip
BRANCHES = ("PUSAT", "FT", "FEB", "FH")


# ── making the data ──────────────────────────────────────────────────────────────────────


def seed_records(marc_dir: Path) -> list[Record]:
    """Every record with a title that pymarc parses from the shared ISO 2709 and MARCXML files."""
    seeds: list[Record] = []
    # pymarc prints MARC-8 decoding trouble straight to stderr; a few real records have some.
    with contextlib.redirect_stderr(io.StringIO()):
        for path in sorted(p for p in marc_dir.rglob("*") if p.is_file()):
            seeds.extend(r for r in _pymarc_records(path) if r.get_fields("245"))
    return seeds


def _pymarc_records(path: Path) -> Iterator[Record]:
    fmt = detect_format(path.read_bytes()[:4096])
    if fmt is Format.ISO2709:
        with open(path, "rb") as stream:
            reader = MARCReader(stream, permissive=True, to_unicode=True, utf8_handling="replace", hide_utf8_warnings=True)
            yield from (r for r in reader if r is not None)
    elif fmt is Format.MARCXML:
        try:
            yield from parse_xml_to_array(str(path))
        except Exception:  # a file pymarc gives up on is simply not a seed
            return


def varied(seed: Record, number: int, rng: random.Random) -> Record:
    """A copy of a seed record with a new control number, a varied title, new items."""
    leader = "".join(c if " " <= c <= "~" else " " for c in str(seed.leader)).ljust(24)[:24]
    record = Record(leader=leader[:9] + "a" + leader[10:], force_utf8=True)
    for field in seed.fields:
        if field.tag in ("001", "003", "035", "952"):
            continue
        if not field.control_field:
            field = _ascii_indicators(field, rng) if field.tag != "245" else _varied_title(field, rng)
        record.add_field(field)
    record.add_ordered_field(Field(tag="001", data=f"bench{number:07d}"))
    if number % 2 == 0:
        heading, subdivision = rng.choice(SUBJECTS)
        subfields = [Subfield("a", heading)] + ([Subfield("x", subdivision)] if subdivision else [])
        record.add_ordered_field(Field(tag="650", indicators=Indicators(" ", "7"), subfields=subfields))
    for copy in range(rng.choice((1, 1, 2))):
        record.add_ordered_field(_koha_item(number, copy, rng))
    return record


def _ascii_indicators(field: Field, rng: random.Random) -> Field:
    # A few seeds (read from MARCXML) carry indicators no ISO 2709 record can hold.
    indicators = Indicators(*(i if " " <= i <= "~" else " " for i in (field.indicator1, field.indicator2)))
    return Field(tag=field.tag, indicators=indicators, subfields=field.subfields)


def _varied_title(field: Field, rng: random.Random) -> Field:
    subfields = list(field.subfields)
    for i, sub in enumerate(subfields):
        if sub.code == "a":
            words = sub.value.split()
            position = rng.randrange(len(words)) if words else 0
            words[position : position + 1] = [rng.choice(VOCABULARY)]
            subfields[i] = Subfield("a", " ".join(words))
            break
    return _ascii_indicators(Field(tag="245", indicators=field.indicators, subfields=subfields), rng)


def _koha_item(number: int, copy: int, rng: random.Random) -> Field:
    subfields = [
        Subfield("a", rng.choice(BRANCHES)),
        Subfield("b", rng.choice(BRANCHES)),
        Subfield("c", "REF" if rng.random() < 0.1 else "GEN"),
        Subfield("o", f"{rng.randrange(1000):03d}.{rng.randrange(100):02d} BEN"),
        Subfield("p", f"B{number:08d}{copy}"),
    ]
    if rng.random() < 0.15:
        subfields.append(Subfield("q", "2026-12-01"))
    return Field(tag="952", indicators=Indicators(" ", " "), subfields=subfields)


def write_test_files(seeds: list[Record], sizes: list[int], folder: Path) -> dict[int, Path]:
    """One ISO 2709 file per size; each smaller file is the start of the larger ones."""
    rng = random.Random(20261128)
    paths = {size: folder / f"bench-{size}.mrc" for size in sizes}
    outputs = {size: open(path, "wb") for size, path in paths.items()}  # noqa: SIM115
    try:
        written, tried = 0, 0
        while written < max(sizes):
            seed = seeds[tried % len(seeds)]
            tried += 1
            try:
                data = varied(seed, written + 1, rng).as_marc()
            except (ValueError, UnicodeEncodeError):
                continue  # too long for ISO 2709 once varied; the next seed takes its place
            for size, out in outputs.items():
                if written < size:
                    out.write(data)
            written += 1
    finally:
        for out in outputs.values():
            out.close()
    return paths


# ── measuring ────────────────────────────────────────────────────────────────────────────


def pymarc_rate(path: Path) -> tuple[int, float]:
    """Records pymarc alone reads from the file, and the seconds it takes."""
    started = time.perf_counter()
    with open(path, "rb") as stream:
        reader = MARCReader(stream, to_unicode=True, force_utf8=True, utf8_handling="replace")
        count = sum(1 for record in reader if record is not None)
    return count, time.perf_counter() - started


def build_in_child(path: Path, index_dir: Path) -> dict[str, float]:
    """Run one build in a child process; its figures plus the peak PSS of its process tree."""
    command = [sys.executable, __file__, "--child", str(path), str(index_dir)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = _PeakSampler(child.pid)
    peak.start()
    out, _ = child.communicate()
    peak.stop()
    if child.returncode != 0:
        raise SystemExit(f"the build failed (exit status {child.returncode})")
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    figures["tree_pss_mb"] = peak.peak_kb / 1024
    figures["size_mb"] = _du(index_dir / str(figures.pop("generation_name", ""))) / 2**20
    return figures


class _PeakSampler(threading.Thread):
    """Samples the summed PSS of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(_SAMPLE_EVERY):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(self.pid)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(c) for c in children.read().split())
        except OSError:
            continue
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def child_main(path: str, index_dir: str) -> None:
    """The child's side: build, then print its figures as one JSON line."""
    from refbot.catalog.index import build_index

    logging.getLogger("pymarc").setLevel(logging.ERROR)
    started = time.perf_counter()
    report = build_index([path], index_dir, keep=1)
    seconds = time.perf_counter() - started
    me, them = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "seconds": seconds,
        "read": report.read,
        "indexed": report.indexed,
        "rejected": len(report.rejected),
        "rate": report.read / seconds,
        "cpu_seconds": me.ru_utime + me.ru_stime + them.ru_utime + them.ru_stime,
        "maxrss_self_mb": me.ru_maxrss / 1024,
        "maxrss_children_mb": them.ru_maxrss / 1024,
        "generation_name": report.generation,
    }
    print(json.dumps(figures))


# ── reporting ────────────────────────────────────────────────────────────────────────────


def bench_size(size: int, path: Path, repeat: int, scratch: Path) -> None:
    """Build ``repeat`` times and read with pymarc ``repeat`` times; print medians."""
    runs = [build_in_child(path, scratch / f"ix-{size}-{i}") for i in range(repeat)]
    baseline = [pymarc_rate(path) for _ in range(repeat)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    base_seconds = statistics.median(s for _, s in baseline)
    base_rate = baseline[0][0] / base_seconds
    rates = ", ".join(f"{run['rate']:,.0f}" for run in runs)
    print(f"\n{size:,} records ({path.stat().st_size / 2**20:.1f} MB of MARC), {repeat} build(s):")
    print(f"  read {median['read']:,.0f}, indexed {median['indexed']:,.0f}, rejected {median['rejected']:,.0f}")
    print(f"  build           {median['seconds']:7.1f} s   {median['rate']:8,.0f} records/s (median; runs: {rates})")
    print(f"  build CPU time  {median['cpu_seconds']:7.1f} s   (all processes; {median['cpu_seconds'] / median['seconds']:.2f} CPUs busy)")
    print(f"  pymarc reading  {base_seconds:7.1f} s   {base_rate:8,.0f} records/s (baseline, same process)")
    print(f"  ratio           the build takes {median['seconds'] / base_seconds:.1f}x as long as pymarc reading")
    print(f"  index on disk   {median['size_mb']:7.1f} MB")
    print(f"  peak memory     {median['tree_pss_mb']:7.0f} MB (summed PSS of the build's process tree)")
    print(f"                  ru_maxrss: builder {median['maxrss_self_mb']:.0f} MB, "
          f"largest writer process {median['maxrss_children_mb']:.0f} MB")
    verdict_rate = "met" if median["rate"] >= TARGET_RATE else "MISSED"
    verdict_mem = "met" if median["tree_pss_mb"] <= TARGET_MB else "MISSED"
    print(f"  targets         >= {TARGET_RATE:,} records/s: {verdict_rate}; <= {TARGET_MB} MB: {verdict_mem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--marc-dir", type=Path, default=SHARED_MARC)
    args = parser.parse_args()
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    print(f"machine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}, load average {_load()}")
    with tempfile.TemporaryDirectory(prefix="refbot-bench-") as scratch:
        started = time.perf_counter()
        seeds = seed_records(args.marc_dir)
        paths = write_test_files(seeds, sorted(args.sizes), Path(scratch))
        print(f"{len(seeds):,} seed records from {args.marc_dir}; test files written in "
              f"{time.perf_counter() - started:.0f} s")
        for size in sorted(args.sizes):
            bench_size(size, paths[size], args.repeat, Path(scratch))
    print(f"\nload average at the end: {_load()} (other work on the machine slows every figure)")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child_main(sys.argv[2], sys.argv[3])
    else:
        main()
