"""How fast an OAI-PMH harvest fills the catalog, against ``index build`` on the same records.

The repository is the sandbox's OAI-PMH stand-in (:mod:`refbot.sandbox.oai`) in a child
process of its own, serving N generated theses (``generated``: distinct titles, authors,
subjects and abstracts) in oai_dc pages of 100 records, as EPrints and DSpace do. Measured:

- **full harvest**: records/s for the first harvest of the source, as ``refbot harvest`` runs
  it (``harvest`` without ``from``, writer processes left to it: Identify, every page,
  mapping, a new generation written as ``index build`` writes it, checked and switched in),
  into an index already serving a small export whose records it carries over; timed from
  the call to its return;
- **index build**: records/s for ``build_index`` (what ``refbot index build`` runs) on the
  same N records written as a CSV export, in this same process, just before each harvest;
  the target is that the harvest is not slower (the median of each run's harvest/build, so
  a neighbour that slowed one run slows both sides of its ratio). The exports carry what the harvest indexes (its ids, language and
  online copy), so all three index the same content; the report says where they still
  differ. The CSV is the cheapest export to read; the same records as a MARCXML export (what
  Koha and SLiMS write), which has XML to parse as the harvest has, are built too and
  reported beside it;
- **daily update**: seconds from the start of an incremental harvest of 500 new or changed
  records on top of the N until a search (a ``CatalogIndex`` opened before, as a serving node
  has) finds the last of them; the target is at most 60 s.

Each is run ``--repeat`` times and the medians are printed. Beside each rate, the CPU time it
took per 1,000 records — this process, its writer processes and (for the harvest) the
stand-in's own process — which a shared, busy machine changes far less than wall time: where
the rates compare two runs that met different neighbours, the CPU figures compare the work.
Each is also split by process: the main process (reading, mapping, handing records to the
writers) and the writer processes; the harvest's total includes the stand-in's share, printed
apart, since it competes for this machine's cores where a real repository is another machine.

``--spare-core`` gives every build and harvest one writer process instead of the two refbot
uses, so that on a 2-core machine the reading (a CSV file, or pages over HTTP) has a core of
its own, as on a server with more cores than writer processes: it shows whether the harvest's
reading keeps the writer as busy as a build's does, apart from the CPU that reading costs.

    .venv/bin/python bench/harvest.py [--records 100000] [--repeat 3] [--spare-core]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import datetime
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp import web
from pymarc import Field, Indicators, Record, Subfield, XMLWriter
from whoosh import index as whoosh_index
from whoosh.index import FileIndex
from whoosh.multiproc import MpWriter

from refbot.catalog import generations as gens
from refbot.catalog.harvest.harvester import harvest
from refbot.catalog.index import build_index
from refbot.catalog.maintenance import index_status
from refbot.catalog.record import CatalogRecord
from refbot.catalog.search import CatalogIndex
from refbot.config import HarvestSource
from refbot.models import InformationNeed, Term
from refbot.sandbox.oai import OAI_STATE, OaiState, create_oai_standin, generated

PAGE = 100
DAILY = 500
EXPORTED = 200
SINCE = "2025-01-01T00:00:00Z"
_START = datetime.datetime(2025, 1, 2, tzinfo=datetime.UTC)


def fill(state: OaiState, records: int) -> None:
    """N generated theses, each changed a second after the one before, all after :data:`SINCE`."""
    for number in range(1, records + 1):
        state.put(generated(number, _START + datetime.timedelta(seconds=number)))


def serve_forever(records: int, port: int) -> None:
    """The child process: the stand-in with N records on ``port`` (POST /_daily adds the day's changes)."""
    app = create_oai_standin(seed=False, page_size=PAGE)
    fill(app[OAI_STATE], records)

    async def daily(request: web.Request) -> web.Response:
        state = request.app[OAI_STATE]
        body = await request.json()
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(seconds=1)
        for number in range(int(body["first"]), int(body["first"]) + DAILY):
            state.put(generated(number, now))
        return web.json_response({"ok": True})

    app.router.add_post("/_daily", daily)
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


class CpuClock:
    """CPU seconds spent by this process, its finished children, and the given other processes."""

    def __init__(self, *pids: int) -> None:
        self.pids = pids

    def __call__(self) -> float:
        return sum(self.parts())

    def parts(self) -> tuple[float, float, float]:
        """This process's CPU seconds, its finished children's (the writer processes), the other processes'."""
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        others = 0.0
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            others += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime, others


def cpu_per_record(before: tuple[float, ...], after: tuple[float, ...], records: int) -> tuple[float, ...]:
    """CPU milliseconds per record, part by part, between two :meth:`CpuClock.parts`."""
    return tuple((b - a) * 1000 / records for a, b in zip(before, after, strict=True))


def harvested_id(number: int) -> str:
    """The id the harvest gives the generated record ``number`` (``<source>:<OAI identifier>``)."""
    return f"repositori:{generated(number, _START).identifier}"


def write_csv(records: int, path: Path) -> None:
    """The same N records as a CSV export, with what the harvest indexes that a CSV has columns for.

    The harvest's id, language and online copy (a location: CSV has no column for its
    ``online PDF`` status), besides the bibliographic columns; only the degree, which
    rides in the stored record and no CSV column takes, is the harvest's alone.
    """
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "title", "authors", "year", "subjects", "summary", "kind", "url", "publisher",
                         "language", "location"])
        for number in range(1, records + 1):
            dc = generated(number, _START).dc
            writer.writerow([harvested_id(number), dc["title"][0], dc["creator"][0], dc["date"][0],
                             "; ".join(dict.fromkeys(dc["subject"])), dc["description"][0], "skripsi", dc["identifier"][0],
                             dc["publisher"][0], dc["language"][0], "repositori"])


async def harvest_rate(url: str, index_dir: Path, records: int, cpu: CpuClock) -> tuple[float, tuple[float, ...]]:
    """Records/s of a full harvest, and its CPU milliseconds per record: main process, writers, stand-in."""
    source = HarvestSource(name="repositori", url=url)
    started, cpu_before = time.perf_counter(), cpu.parts()
    report = await harvest(source, index_dir, procs=None)  # what `refbot harvest` passes
    elapsed, cpu_after = time.perf_counter() - started, cpu.parts()
    # Later runs also get the earlier runs' daily changes (the stand-in keeps them): rate by what was read.
    assert report.ok and report.full and report.added == report.read >= records, report
    assert index_status(index_dir)["records"] == report.read + EXPORTED, "the export's records were not carried over"
    return report.read / elapsed, cpu_per_record(cpu_before, cpu_after, report.read)


def write_marcxml(records: int, path: Path) -> None:
    """The same N records as a MARCXML export (a thesis: 502; its language: 041; its PDF: 856 and 852)."""
    with path.open("wb") as out:
        writer = XMLWriter(out)
        for number in range(1, records + 1):
            dc = generated(number, _START).dc
            record = Record(leader="00000nam a2200000 i 4500")
            record.add_field(Field(tag="001", data=harvested_id(number)))
            record.add_field(Field(tag="041", indicators=Indicators("0", " "), subfields=[Subfield("a", "ind")]))
            record.add_field(Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", dc["creator"][0])]))
            record.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", dc["title"][0])]))
            record.add_field(Field(tag="264", indicators=Indicators(" ", "1"), subfields=[
                Subfield("b", dc["publisher"][0]), Subfield("c", dc["date"][0])]))
            record.add_field(Field(tag="502", indicators=Indicators(" ", " "), subfields=[Subfield("a", "Skripsi")]))
            record.add_field(Field(tag="520", indicators=Indicators(" ", " "), subfields=[Subfield("a", dc["description"][0])]))
            for subject in dc["subject"]:
                record.add_field(Field(tag="650", indicators=Indicators(" ", "4"), subfields=[Subfield("a", subject)]))
            record.add_field(Field(tag="852", indicators=Indicators(" ", " "), subfields=[Subfield("b", "repositori")]))
            record.add_field(Field(tag="856", indicators=Indicators("4", "0"), subfields=[Subfield("u", dc["identifier"][0])]))
            writer.write(record)
        writer.close(close_fh=False)


def write_small_export(path: Path) -> None:
    """The library's own catalog, already served when the repository is first harvested."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "title", "authors", "year"])
        for number in range(1, EXPORTED + 1):
            writer.writerow([f"buku-{number}", f"Pengantar ilmu perpustakaan jilid {number}", "Sulistyo-Basuki", 1991])


async def daily_seconds(url: str, base: str, index_dir: Path, first: int, since: str) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.post(f"{base}/_daily", json={"first": first}) as resp:
        await resp.read()
    index = CatalogIndex(index_dir)
    last = generated(first + DAILY - 1, _START).dc["title"][0]
    need = InformationNeed(raw=last, terms=tuple(Term(w) for w in last.lower().split()))
    index.search(need, limit=1)  # opened before, as a serving node has it
    started = time.perf_counter()
    report = await harvest(HarvestSource(name="repositori", url=url), index_dir, since)
    assert report.ok and report.read == DAILY, report
    # Polled: the index reopens on its next search after the harvest rewrote CURRENT.
    while not any(c.title == last for c in index.search(need, limit=5)):  # noqa: ASYNC110 (polling a file, not a task)
        await asyncio.sleep(0.01)
    index.close()
    return time.perf_counter() - started


def differences(built: Path, harvested: Path, numbers: range) -> tuple[set[str], set[str]]:
    """What a build's records differ in from the harvest's (sampled): indexed fields, and the stored record's."""
    indexed, stored = set(), set()
    with _searcher(built) as one, _searcher(harvested) as other:
        for number in numbers:
            a, b = one.document(id=harvested_id(number)), other.document(id=harvested_id(number))
            assert a is not None and b is not None, f"record {number} is missing"
            indexed |= {key for key in a.keys() | b.keys() if key != "record" and a.get(key) != b.get(key)}
            ra, rb = CatalogRecord.from_json(a["record"]), CatalogRecord.from_json(b["record"])
            stored |= {f.name for f in dataclasses.fields(ra) if getattr(ra, f.name) != getattr(rb, f.name)}
    return indexed, stored


@contextlib.contextmanager
def _searcher(index_dir: Path) -> Iterator[Any]:
    ix = whoosh_index.open_dir(str(index_dir / (gens.current_name(index_dir) or "")))
    with ix.searcher() as searcher:
        yield searcher


def _said(differences: tuple[set[str], set[str]]) -> str:
    indexed, stored = differences
    return (f"indexed fields {'the same' if not indexed else 'differ in ' + ', '.join(sorted(indexed))}; "
            f"stored record {'the same' if not stored else 'differs in ' + ', '.join(sorted(stored))}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def one_writer_process() -> Iterator[None]:
    """Whoosh's parallel writer with one sub-process wherever refbot asks for two (``--spare-core``).

    refbot never asks for this (one writer process beside an idle reader is slower than two);
    it is set here, for this measurement alone, where every build and harvest opens its writer.
    """
    original = FileIndex.writer

    def writer(ix: FileIndex, procs: int = 1, **kwargs: Any) -> Any:
        return MpWriter(ix, procs=1, **kwargs) if procs > 1 else original(ix, procs=procs, **kwargs)

    FileIndex.writer = writer
    try:
        yield
    finally:
        FileIndex.writer = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spare-core", action="store_true", help="one writer process, not two")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_forever(args.records, args.serve)
        return
    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--records", str(args.records)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        if args.spare_core:
            print("one writer process for every build and harvest (--spare-core)", flush=True)
        with one_writer_process() if args.spare_core else contextlib.nullcontext():
            asyncio.run(_measure(f"http://127.0.0.1:{port}", args.records, args.repeat, CpuClock(child.pid)))
    finally:
        child.terminate()
        child.wait(timeout=30)


async def _measure(base: str, records: int, repeat: int, cpu: CpuClock) -> None:
    url = f"{base}/"
    harvests, builds, dailies, harvest_cpu, build_cpu, xml_builds = [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-harvest-") as scratch:
        exported = Path(scratch) / "export.csv"
        write_csv(records, exported)
        marcxml = Path(scratch) / "export.xml"
        write_marcxml(records, marcxml)
        own = Path(scratch) / "own.csv"
        write_small_export(own)
        for run in range(repeat):
            index_dir = Path(scratch) / f"index-{run}"
            await asyncio.to_thread(build_index, [own], index_dir)
            started = time.perf_counter()
            await asyncio.to_thread(build_index, [marcxml], Path(scratch) / f"built-xml-{run}")
            xml_builds.append(records / (time.perf_counter() - started))
            started, cpu_before = time.perf_counter(), CpuClock().parts()
            await asyncio.to_thread(build_index, [exported], Path(scratch) / f"built-{run}")
            builds.append(records / (time.perf_counter() - started))
            build_cpu.append(cpu_per_record(cpu_before, CpuClock().parts(), records))
            rate, per_record = await harvest_rate(url, index_dir, records, cpu)
            harvests.append(rate)
            harvest_cpu.append(per_record)
            since = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if run == 0:
                sample = range(1, records + 1, max(1, records // 100))
                content = {"CSV": differences(Path(scratch) / "built-0", index_dir, sample),
                           "MARCXML": differences(Path(scratch) / "built-xml-0", index_dir, sample)}
            dailies.append(await daily_seconds(url, base, index_dir, records + 1 + run * DAILY, since))
            print(f"run {run + 1}: harvest {harvests[-1]:,.0f} records/s ({sum(harvest_cpu[-1]):.2f} CPU ms/record), "
                  f"build {builds[-1]:,.0f} records/s ({sum(build_cpu[-1]):.2f} CPU ms/record), "
                  f"build from MARCXML {xml_builds[-1]:,.0f} records/s, "
                  f"daily update searchable in {dailies[-1]:.2f} s", flush=True)
    harvest_median, build_median = statistics.median(harvests), statistics.median(builds)
    print(f"\n{records:,} records, {repeat} runs, medians:")
    (main, writers, standin), (build_main, build_writers, _) = _medians(harvest_cpu), _medians(build_cpu)
    cpu_harvest, cpu_build = statistics.median(map(sum, harvest_cpu)), statistics.median(map(sum, build_cpu))
    print(f"  full harvest         {harvest_median:>8,.0f} records/s   {cpu_harvest:.2f} CPU ms/record "
          "(with the stand-in's)")
    print(f"    of which refbot's              {main + writers:.3f} (main process {main:.3f}, writers {writers:.3f}), "
          f"the stand-in's {standin:.3f}")
    print(f"  index build          {build_median:>8,.0f} records/s   {cpu_build:.2f} CPU ms/record "
          f"(main process {build_main:.3f}, writers {build_writers:.3f})")
    xml_median = statistics.median(xml_builds)
    print(f"  index build, MARCXML {xml_median:>8,.0f} records/s   (the same records as Koha or SLiMS export them)")
    # Each run's harvest over the build just before it: the two met the same neighbours on this shared machine.
    paired = [h / b for h, b in zip(harvests, builds, strict=True)]
    print(f"  harvest/build        {statistics.median(paired):>8.2f} by rate against the CSV (target >= 1; "
          f"each run's: {', '.join(f'{r:.2f}' for r in paired)}), "
          f"{cpu_build / cpu_harvest:.2f} by CPU per record; {harvest_median / xml_median:.2f} against the MARCXML")
    for export, found in content.items():
        print(f"  {export} build against the harvest, {len(sample)} records compared: {_said(found)}")
    print(f"  daily update ({DAILY})   {statistics.median(dailies):>8.2f} s until searchable (target <= 60 s)")
    print(f"  build/harvest runs:  {', '.join(f'{b:,.0f}/{h:,.0f}' for b, h in zip(builds, harvests, strict=True))}")


def _medians(parts: list[tuple[float, ...]]) -> tuple[float, ...]:
    """The median of each part across the runs."""
    return tuple(statistics.median(column) for column in zip(*parts, strict=True))


if __name__ == "__main__":
    main()
