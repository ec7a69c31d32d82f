"""Building generations, switching CURRENT, failing safely, pruning; updating and deleting in place."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from refbot.catalog.generations import CURRENT, MANIFEST, STAGING, current_name, generations
from refbot.catalog.index import BuildFailed, BuildProgress, build_index
from refbot.catalog.maintenance import delete_records, index_status, update_records
from refbot.catalog.search import CatalogIndex
from refbot.errors import CatalogError
from refbot.models import InformationNeed, Term
from tests.catalog.conftest import LIBRARY_ROWS, csv_rows, iso, marc, write


def need(*words: str) -> InformationNeed:
    return InformationNeed(raw=" ".join(words), terms=tuple(Term(w) for w in words))


def doc_count(index_dir: Path) -> int:
    return int(whoosh_index.open_dir(str(index_dir / str(current_name(index_dir)))).doc_count())


def test_build_writes_a_generation_and_points_current_at_it(library_csv: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    report = build_index([library_csv], index_dir)
    assert (report.read, report.indexed, report.rejected) == (4, 4, ())
    assert (index_dir / CURRENT).read_text().strip() == report.generation
    assert report.generation.startswith("gen-")
    assert generations(index_dir) == [report.generation]
    assert doc_count(index_dir) == 4
    manifest = json.loads((index_dir / report.generation / MANIFEST).read_text())
    assert (manifest["records"], manifest["rejected"], manifest["files"]) == (4, 0, [str(library_csv)])


def test_status(library_csv: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    assert index_status(index_dir)["generation"] is None
    report = build_index([library_csv, write(tmp_path / "bad.mrc", b"00026     2200025   4500\x1e\x1d")], index_dir)
    status = index_status(index_dir)
    assert status["generation"] == report.generation
    assert (status["records"], status["rejected"], status["read"]) == (4, 1, 5)
    assert status["built_at"]
    assert status["rejected_by_reason"] == {"the record has no fields": 1}


def test_folders_are_read_recursively_and_hidden_files_skipped(tmp_path: Path) -> None:
    write(tmp_path / "exports" / "a" / "one.mrc", iso(marc("b1", "Satu")))
    write(tmp_path / "exports" / "b" / "two.xml", b"<collection/>")
    write(tmp_path / "exports" / ".trash" / "three.mrc", iso(marc("b3", "Tiga")))
    report = build_index([tmp_path / "exports"], tmp_path / "ix")
    assert (report.indexed, len(report.files)) == (1, 2)


def test_progress_is_reported(library_csv: Path, tmp_path: Path) -> None:
    seen: list[BuildProgress] = []
    build_index([library_csv], tmp_path / "ix", progress=seen.append)
    last = seen[-1]
    assert (last.files_done, last.files_total, last.read, last.indexed) == (1, 1, 4, 4)
    assert last.bytes_done == last.bytes_total == library_csv.stat().st_size
    assert last.eta == 0.0


def test_duplicate_control_numbers_keep_the_first(tmp_path: Path) -> None:
    first = write(tmp_path / "a.mrc", iso(marc("b1", "Versi pertama"), marc("b2", "Lain")))
    second = write(tmp_path / "b.mrc", iso(marc("b1", "Versi kedua")))
    report = build_index([first, second], tmp_path / "ix")
    assert report.indexed == 2
    [reject] = report.rejected
    assert (reject.file, reject.position, reject.control_number) == (str(second), 1, "b1")
    assert reject.reason == f"duplicate control number (first read at {first} #1)"


def test_a_new_build_switches_current(library_csv: Path, tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    index_dir = tmp_path / "ix"
    first = build_index([library_csv], index_dir)
    index = CatalogIndex(index_dir)
    open_index.append(index)
    assert index.search(need("jazz"))
    newer = write(tmp_path / "newer.csv", csv_rows("n1,Sejarah musik,,2020,,,,,,,,,,,,"))
    second = build_index([newer], index_dir)
    assert current_name(index_dir) == second.generation != first.generation
    assert index.search(need("jazz")) == []
    assert [c.source_id for c in index.search(need("musik"))] == ["n1"]
    assert index.generation == second.generation


def test_failed_build_leaves_current_untouched(library_csv: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    good = build_index([library_csv], index_dir)
    garbage = write(tmp_path / "garbage.mrc", b"this is not a catalog at all\x1d" * 3)
    with pytest.raises(BuildFailed) as failure:
        build_index([garbage], index_dir)
    assert failure.value.report.indexed == 0
    assert "no valid records" in str(failure.value)
    assert current_name(index_dir) == good.generation
    assert generations(index_dir) == [good.generation]
    assert not list(index_dir.glob(STAGING + "*"))


def test_too_many_rejects_fail_the_build(library_csv: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    good = build_index([library_csv], index_dir)
    mostly_bad = write(tmp_path / "bad.csv", csv_rows("b1,Baik,,2001,,,,,,,,,,,,", *["b2,,,,,,,,,,,,,,,"] * 3))
    with pytest.raises(BuildFailed) as failure:
        build_index([mostly_bad], index_dir, max_reject_ratio=0.5)
    assert failure.value.report.reject_ratio == 0.75
    assert "75%" in str(failure.value)
    assert current_name(index_dir) == good.generation
    assert build_index([mostly_bad], index_dir, max_reject_ratio=0.8).indexed == 1


def test_interrupted_build_leaves_current_untouched(library_csv: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    good = build_index([library_csv], index_dir)

    def interrupt(progress: BuildProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index([library_csv], index_dir, progress=interrupt)
    assert current_name(index_dir) == good.generation
    assert generations(index_dir) == [good.generation]
    assert not list(index_dir.glob(STAGING + "*"))


def test_missing_file_is_an_error_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such file"):
        build_index([tmp_path / "nope.mrc"], tmp_path / "ix")
    assert not (tmp_path / "ix").exists()


def test_old_generations_are_pruned(library_csv: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    names = [build_index([library_csv], index_dir, keep=2).generation for _ in range(4)]
    assert generations(index_dir) == names[-2:]
    assert current_name(index_dir) == names[-1]
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-")) == sorted(names[-2:])


def test_update_replaces_and_adds_by_control_number(library_csv: Path, tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    index_dir = tmp_path / "ix"
    built = build_index([library_csv], index_dir)
    index = CatalogIndex(index_dir)
    open_index.append(index)
    assert index.search(need("jazz"))
    changes = write(tmp_path / "changes.csv", csv_rows(
        "k4,Sejarah musik jazz Indonesia,,2021,,,,,,,,,,,,",
        "k9,Katalogisasi koleksi digital,,2022,,,,,,,,,,,,",
        "k9,Katalogisasi koleksi digital edisi revisi,,2023,,,,,,,,,,,,",
        "k10,,,,,,,,,,,,,,,",
    ))
    report = update_records([changes], index_dir)
    assert (report.generation, report.read, report.indexed) == (built.generation, 4, 2)
    assert [r.category for r in report.rejected] == ["the row has no title"]
    assert doc_count(index_dir) == 5
    [jazz] = index.search(need("jazz"))
    assert (jazz.source_id, jazz.title, jazz.year) == ("k4", "Sejarah musik jazz Indonesia", 2021)
    [digital] = index.search(need("katalogisasi"))
    assert digital.title == "Katalogisasi koleksi digital edisi revisi"
    status = index_status(index_dir)
    assert (status["records"], status["generation"]) == (5, built.generation)
    assert status["updated_at"]


def test_delete(library_csv: Path, tmp_path: Path, open_index: list[CatalogIndex]) -> None:
    index_dir = tmp_path / "ix"
    build_index([library_csv], index_dir)
    index = CatalogIndex(index_dir)
    open_index.append(index)
    assert index.search(need("jazz"))
    assert delete_records(["k4", "k4", "missing"], index_dir) == 1
    assert index.search(need("jazz")) == []
    assert doc_count(index_dir) == 3
    assert index_status(index_dir)["records"] == 3


def test_update_and_delete_need_a_built_index(library_csv: Path, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="has not been built"):
        update_records([library_csv], tmp_path / "ix")
    with pytest.raises(CatalogError, match="has not been built"):
        delete_records(["k1"], tmp_path / "ix")


def test_update_of_an_index_built_by_an_older_refbot_asks_for_a_rebuild(library_csv: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index([library_csv], index_dir)
    manifest_path = index_dir / str(current_name(index_dir)) / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "schema_version": 1}), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"built by an older refbot .*rebuild it with `refbot index build`"):
        update_records([library_csv], index_dir)
    assert doc_count(index_dir) == 4
    status = index_status(index_dir)
    assert (status["layout"], status["layout_current"]) == (1, False)  # what `make demo` checks to rebuild
    build_index([library_csv], index_dir)
    assert index_status(index_dir)["layout_current"] is True


def test_rows_are_indexed_as_written(tmp_path: Path) -> None:
    report = build_index([write(tmp_path / "c.csv", csv_rows(*LIBRARY_ROWS))], tmp_path / "ix")
    ix = whoosh_index.open_dir(str(tmp_path / "ix" / report.generation))
    with ix.searcher() as searcher:
        stored = {d["id"]: d for d in searcher.all_stored_fields()}
    assert stored["k1"]["title"] == "Mengelola perpustakaan"
    assert stored["k1"]["year"] == 2006
    assert (stored["k1"]["kind"], stored["k1"]["language"]) == ("book", "id")
    assert stored["k3"]["kind"] == "thesis"
    assert json.loads(stored["k2"]["record"])["authors"] == ["Evans, G. Edward"]


def test_parallel_writer_builds_and_is_stopped_cleanly(tmp_path: Path) -> None:
    rows = [f"p{i},Perpustakaan nomor {i},,2001,,,,Perpustakaan,,,,,,,," for i in range(1200)]
    big = write(tmp_path / "big.csv", csv_rows(*rows))
    index_dir = tmp_path / "ix"
    first = build_index([big], index_dir, procs=2)
    assert first.indexed == doc_count(index_dir) == 1200

    def interrupt(progress: BuildProgress) -> None:
        if progress.read >= 1000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index([big], index_dir, procs=2, progress=interrupt)
    assert multiprocessing.active_children() == []
    assert current_name(index_dir) == first.generation
    assert not list(index_dir.glob(STAGING + "*"))
    assert build_index([big], index_dir, procs=2).indexed == 1200  # the lock was let go
