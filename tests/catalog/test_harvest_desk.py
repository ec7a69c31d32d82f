"""Harvested theses reach patrons: `refbot harvest` and `index search` from the command line, and a real draft."""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
from pathlib import Path

from refbot.catalog.harvest.harvester import harvest
from refbot.cli import main
from refbot.config import HarvestSource
from refbot.sandbox.oai import OAI_STATE, create_oai_standin
from tests.conftest import LIBRARIAN, eventually, running_desk, serve


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


async def test_refbot_harvest_summarises_and_index_search_finds_the_theses(tmp_path: Path) -> None:
    app = create_oai_standin()
    runner, url = await serve(app)
    config = tmp_path / "config.yaml"
    config.write_text(f"store: {{path: refbot.sqlite3}}\ncatalog:\n  index_dir: indexes\n  harvest:\n"
                      f"    - {{name: repositori, url: '{url}/', label: repositori Contoh}}\n", encoding="utf-8")
    try:
        code, out, _ = await asyncio.to_thread(_run, ["harvest", "--config", str(config)])
        assert code == 0, out
        assert "Harvested repositori (full)" in out and "added            30" in out
        app[OAI_STATE].delete(1)
        code, out, _ = await asyncio.to_thread(_run, ["harvest", "repositori", "--config", str(config)])
        assert code == 0 and "(changes since " in out and "deleted           1" in out
        code, out, _ = await asyncio.to_thread(_run, ["index", "search", "minat baca siswa perpustakaan sekolah",
                                                      "--config", str(config)])
        assert "Minat baca siswa sekolah menengah pertama" in out and "thesis" in out
        code, _, err = await asyncio.to_thread(_run, ["harvest", "nosuch", "--config", str(config)])
        assert code == 2 and "no source named nosuch" in err
    finally:
        await runner.cleanup()


async def test_a_patron_writing_a_skripsi_gets_the_repositorys_theses_in_the_draft(
        tmp_path: Path, catalog_dir: Path) -> None:
    index_dir = tmp_path / "catalog"
    shutil.copytree(catalog_dir, index_dir)  # the demo catalog's books, and the repository's theses beside them
    app = create_oai_standin()
    runner, url = await serve(app)
    try:
        report = await harvest(HarvestSource(name="repositori", url=f"{url}/", label="repositori Contoh"), index_dir)
        assert report.added == 30
        async with running_desk(tmp_path, index_dir) as desk:
            await desk.patron_says("kak, saya lagi nyusun skripsi tentang layanan referensi virtual lewat WhatsApp")

            async def draft() -> str | None:
                texts = [m["text"] for m in await desk.sent_to(LIBRARIAN)]
                return next((t for t in texts if "repositori Contoh" in t), None)

            text = str(await eventually(draft, within=30, what="a draft naming the repository"))
        first_items = [part for part in text.split("\n\n") if part.startswith(("1. ", "2. ", "3. "))]
        thesis = next(item for item in first_items if "WhatsApp terhadap kepuasan pemustaka" in item)
        assert "Skripsi/Tesis · repositori Contoh · PDF" in thesis
        assert "https://repositori.contoh.ac.id/2/1/skripsi-2.pdf" in thesis
    finally:
        await runner.cleanup()
