"""tools/build_vocabulary.py on a tiny wordnet pair: which names it keeps, and the file it writes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "build_vocabulary.py"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_vocabulary", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_vocabulary", module)
    spec.loader.exec_module(module)
    return module


def synset(offset: int, lemmas: list[str], hypernym: int | None) -> str:
    """One data.noun line (WordNet's wndb format) with at most one hypernym pointer."""
    words = " ".join(f"{lemma.replace(' ', '_')} 0" for lemma in lemmas)
    pointers = f"001 @ {hypernym:08d} n 0000" if hypernym is not None else "000"
    return f"{offset:08d} 03 n {len(lemmas):02x} {words} {pointers} | a gloss  \n"


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    """A WordNet folder and a Wordnet Bahasa file: a chain of general synsets, then subjects under it."""
    chain = [(1, ["entity"]), (2, ["abstraction"]), (3, ["attribute"]), (4, ["state"]), (5, ["condition"])]
    lines = [synset(o, lemmas, o - 1 if o > 1 else None) for o, lemmas in chain]
    lines += [
        synset(10, ["hypertension", "high blood pressure"], 5),
        synset(11, ["role"], 5),
        synset(12, ["garret"], 5),
        synset(13, ["caries"], 5),
    ]
    wordnet = tmp_path / "wordnet"
    wordnet.mkdir()
    (wordnet / "data.noun").write_text("  1 licence header\n" + "".join(lines), encoding="latin-1")
    for pos in ("noun", "verb", "adj", "adv"):
        (wordnet / f"index.{pos}").write_text("  1 licence header\n", encoding="latin-1")
    (wordnet / "index.verb").write_text("search v 1 0 1 0 00000099\n", encoding="latin-1")
    (wordnet / "cntlist.rev").write_text("role%1:04:00:: 1 58\nhypertension%1:26:00:: 1 0\n", encoding="latin-1")
    bahasa = tmp_path / "wn-data-ind.tab"
    rows = [
        ("00000010-n", "hipertensi"), ("00000010-n", "tekanan darah tinggi"),
        ("00000011-n", "peran"), ("00000012-n", "peran"),
        ("00000013-n", "karies"), ("00000099-v", "mencari"),
    ]  # fmt: skip
    bahasa.write_text("# Wordnet Bahasa\tind\turl\tMIT\n" + "".join(f"{s}\tind:lemma\t{x}\n" for s, x in rows), "utf-8")
    return wordnet, bahasa


def test_it_keeps_subjects_and_drops_generic_and_clashing_words(
    build: ModuleType, sources: tuple[Path, Path], tmp_path: Path
) -> None:
    wordnet, bahasa = sources
    out = tmp_path / "subjects.txt"
    assert build.main(["--wordnet-bahasa", str(bahasa), "--wordnet", str(wordnet), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    rows = {line.split("\t")[0]: line.split("\t")[2] for line in text.splitlines() if not line.startswith("#")}
    assert rows["tekanan darah tinggi"] == "hypertension|high blood pressure"
    assert rows["hipertensi"].startswith("hypertension")
    assert "peran" not in rows and "role" not in rows  # a title word, and a wrong sense besides
    assert "caries" not in rows  # analysed, it is "cari", Indonesian for search
    assert "# built-by: tools/build_vocabulary.py" in text
    assert f"# rows: {len(rows)}" in text


def test_a_loanword_is_recognised_in_both_spellings(build: ModuleType) -> None:
    assert build.cognate("hipertensi", "hypertension")
    assert build.cognate("kanker", "cancer")
    assert not build.cognate("peran", "garret")
