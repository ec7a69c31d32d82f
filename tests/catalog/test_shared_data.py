"""The real MARC test files in ../shared/data/marc: one build reads them all, and loses nothing pymarc can read.

The folder holds ~5,000 real records, many kept by their projects *because* they break
parsers. Whatever pymarc itself can parse (MARCReader in permissive mode, parse_xml_to_array,
JSONReader), the build must index; everything else must come back as a reject that names its
file and position. Rejects per file are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import collections
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymarc import BadSubfieldCodeWarning, JSONReader, MARCMakerReader, MARCReader, Record, parse_xml_to_array
from whoosh import index as whoosh_index

from refbot.catalog import marcmaker
from refbot.catalog.index import BuildReport, build_index, catalog_files
from refbot.catalog.marc import control_number
from refbot.catalog.readers import Format, detect_format
from tests.catalog.conftest import SHARED_MARC

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def marc_dir() -> Path:
    if not SHARED_MARC.is_dir():
        pytest.skip(f"{SHARED_MARC.resolve()} is not present (the shared real-data folder sits beside the repo)")
    return SHARED_MARC


@pytest.fixture(scope="module")
def built(marc_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, Path]:
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    index_dir = tmp_path_factory.mktemp("shared-index")
    report = build_index([marc_dir], index_dir, max_reject_ratio=0.5)
    return report, index_dir


def pymarc_records(path: Path) -> Iterator[Record]:
    """What pymarc alone makes of a file, skipping whatever it cannot parse."""
    head = path.read_bytes()[:4096]
    fmt = detect_format(head)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BadSubfieldCodeWarning)
        if fmt is Format.ISO2709:
            with open(path, "rb") as stream:
                for record in MARCReader(stream, permissive=True, to_unicode=True, utf8_handling="replace", hide_utf8_warnings=True):
                    if record is not None:
                        yield record
        elif fmt is Format.MARCXML:
            try:
                yield from parse_xml_to_array(str(path))
            except Exception:  # pymarc gives up on the whole file; nothing to compare
                return
        elif fmt is Format.MARCJSON:
            try:
                yield from JSONReader(path.read_text(encoding="utf-8"))
            except Exception:
                return
        elif fmt is Format.MARCMAKER:
            try:
                # MARCMaker writes a blank as "\\": "=001  tes96000001\\" is the number "tes96000001".
                reader = MARCMakerReader(path.read_text(encoding="utf-8", errors="replace"))
                yield from (marcmaker.finished(record) for record in reader)
            except Exception:
                return


def test_one_build_reads_every_file(built: tuple[BuildReport, Path], marc_dir: Path) -> None:
    report, index_dir = built
    assert len(report.files) == len(catalog_files([marc_dir]))
    assert report.indexed > 4000
    assert report.read == report.indexed + len(report.rejected)
    ix = whoosh_index.open_dir(str(index_dir / report.generation))
    assert ix.doc_count() == report.indexed
    per_file = collections.defaultdict(list)
    for reject in report.rejected:
        per_file[Path(reject.file).relative_to(marc_dir)].append(reject)
    print(f"\n{report.read} read, {report.indexed} indexed, {len(report.rejected)} rejected in "
          f"{report.duration:.1f} s ({report.rate:,.0f} records/s)")
    for file, rejects in sorted(per_file.items()):
        reasons = collections.Counter(r.category for r in rejects)
        print(f"  {file}: {len(rejects)} rejected — " + "; ".join(f"{n}× {why}" for why, n in reasons.most_common()))
    assert all(r.reason and (r.position > 0 or r.control_number == "") for r in report.rejected)


def test_everything_pymarc_can_parse_is_indexed(built: tuple[BuildReport, Path], marc_dir: Path) -> None:
    report, index_dir = built
    ix = whoosh_index.open_dir(str(index_dir / report.generation))
    with ix.searcher() as searcher:
        indexed = {fields["id"] for fields in searcher.all_stored_fields()}
    missing: dict[str, list[str]] = {}
    for path in catalog_files([marc_dir]):
        for record in pymarc_records(path):
            number = control_number(record)
            if number and number not in indexed:
                missing.setdefault(str(path.relative_to(marc_dir)), []).append(number)
    assert not missing, missing


def test_known_broken_records_are_reported_where_they_are(built: tuple[BuildReport, Path], marc_dir: Path) -> None:
    report, _ = built
    where = {(Path(r.file).relative_to(marc_dir).as_posix(), r.position) for r in report.rejected}
    bad_records = {pos for file, pos in where if file == "pymarc/bad_records.mrc"}
    assert bad_records == {2, 3, 4, 5, 6, 7}  # pymarc's own test file: records 1 and 8 are good
    many_errors = {pos for file, pos in where if file == "marc4j/pride-and-prejudice-with-many-errors.mrc"}
    assert len(many_errors - {0}) >= 16
    assert ("evergreen/serials_marc21.xml", 0) in where
