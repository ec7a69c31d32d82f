"""`refbot index …`: the commands a cataloger runs, their output and exit codes."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from refbot.catalog.cli import ProgressPrinter, add_index_commands
from refbot.catalog.generations import read_manifest, write_manifest
from refbot.catalog.index import BuildProgress
from refbot.catalog.maintenance import current_generation
from refbot.config import CatalogSettings, Settings
from tests.catalog.conftest import csv_rows, iso, marc, write


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=None)
    top = argparse.ArgumentParser(prog="refbot")
    add_index_commands(top.add_subparsers(dest="command", required=True), common)
    return top


def run(argv: list[str], settings: Settings) -> int:
    args = parser().parse_args(argv)
    code: int = args.handler(args, settings)
    return code


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    catalog = CatalogSettings(index_dir="indexes/catalog", keep_generations=2, max_reject_ratio=0.5)
    return Settings(catalog=catalog, base_dir=str(tmp_path))


def test_build_prints_a_summary(settings: Settings, library_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = write(tmp_path / "broken.mrc", iso(marc("b1", "Baik")) + b"junk junk\x1d" + b"00026     2200025   4500\x1e\x1d")
    assert run(["index", "build", str(library_csv), str(broken)], settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("Built gen-")
    assert "records/s" in out
    assert "read              7" in out
    assert "indexed           5" in out
    assert "rejected          2" in out
    assert f"data that is not a MARC record: {broken} #2" in out
    assert f"the record has no fields: {broken} #3" in out
    assert (tmp_path / "indexes" / "catalog" / "CURRENT").exists()


def test_failed_build_exits_non_zero(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = write(tmp_path / "garbage.dat", "nothing here is a record")
    assert run(["index", "build", str(garbage)], settings) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("Build failed")
    assert "no valid records" in captured.err
    assert not (tmp_path / "indexes" / "catalog" / "CURRENT").exists()


def test_missing_file_exits_non_zero(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["index", "build", str(tmp_path / "absent.mrc")], settings) == 1
    assert "no such file" in capsys.readouterr().err


def test_status(settings: Settings, library_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["index", "status"], settings) == 1
    assert "No catalog index" in capsys.readouterr().out
    run(["index", "build", str(library_csv)], settings)
    capsys.readouterr()
    assert run(["index", "status", "--json"], settings) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["records"], status["rejected"]) == (4, 0)
    assert status["generation"].startswith("gen-")
    assert run(["index", "status"], settings) == 0
    assert "records     4" in capsys.readouterr().out


def test_search(settings: Settings, library_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["index", "build", str(library_csv)], settings)
    capsys.readouterr()
    assert run(["index", "search", "tolong carikan buku tentang pengelolaan perpustakaan", "--limit", "1"], settings) == 0
    out = capsys.readouterr().out
    assert "Mengelola perpustakaan" in out
    assert "1/2 available" in out


def test_search_without_index(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["index", "search", "apa saja"], settings) == 1
    assert "has not been built" in capsys.readouterr().err


def test_update_and_delete(settings: Settings, library_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["index", "build", str(library_csv)], settings)
    changes = write(tmp_path / "changes.csv", csv_rows("k9,Katalogisasi,,2022,,,,,,,,,,,,"))
    assert run(["index", "update", str(changes)], settings) == 0
    assert "indexed           1" in capsys.readouterr().out
    assert run(["index", "delete", "k9", "k1", "nope"], settings) == 0
    assert "Deleted 2 of 3" in capsys.readouterr().out
    run(["index", "status", "--json"], settings)
    assert json.loads(capsys.readouterr().out)["records"] == 3


def progress(read: int, bytes_done: int, elapsed: float) -> BuildProgress:
    return BuildProgress("a.mrc", 1, 3, bytes_done, 1000, read, read, 0, elapsed)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_a_bar_rewriting_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    terminal = FakeTerminal()
    printer = ProgressPrinter(terminal)
    printer(progress(read=3000, bytes_done=250, elapsed=2.0))
    printer.finish()
    text = terminal.getvalue()
    assert text.startswith("\r[#####---------------]  25% · 3,000 records · 1,500/s · file 1/3 · ETA 0:06")
    assert text.endswith("\r")
    assert "\n" not in text


def test_too_many_rejects_fail_the_build(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mostly_junk = write(tmp_path / "junk.mrc", iso(marc("g1", "Baik")) + b"junk one\x1d" + b"junk two\x1d")
    assert run(["index", "build", str(mostly_junk)], settings) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("Build failed")
    assert "67% of the records read were rejected (more than the 50% allowed)" in captured.err
    assert not (tmp_path / "indexes" / "catalog" / "CURRENT").exists()


def test_progress_in_a_log_is_plain_lines() -> None:
    log = io.StringIO()
    printer = ProgressPrinter(log)
    printer(progress(read=100, bytes_done=0, elapsed=1.0))
    printer(progress(read=200, bytes_done=10, elapsed=1.5))  # too soon after the first
    printer.finish()
    assert log.getvalue() == "index build: 100 records · 100/s · file 1/3 · ETA …\n"


def test_status_asks_for_a_rebuild_when_the_records_predate_editors_and_degrees(
    settings: Settings, library_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["index", "build", str(library_csv)], settings)
    assert run(["index", "status"], settings) == 0
    assert "to cite editors" not in capsys.readouterr().out
    generation = current_generation(settings.path(settings.catalog.index_dir))
    manifest = read_manifest(generation)
    del manifest["record_version"]  # what a build before editors and degrees were kept wrote
    write_manifest(generation, manifest)
    assert run(["index", "status"], settings) == 0
    assert "version 1: rebuild with `refbot index build` to cite editors" in capsys.readouterr().out
