"""Harvesting the OAI-PMH stand-in over real HTTP into a real catalog index, as a cataloger would see it."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from refbot.catalog.generations import read_manifest
from refbot.catalog.harvest.client import OaiClient
from refbot.catalog.harvest.harvester import harvest, harvest_and_record
from refbot.catalog.index import build_index
from refbot.catalog.maintenance import current_generation, index_status
from refbot.catalog.search import CatalogIndex
from refbot.config import HarvestSource, Settings, load_settings
from refbot.models import Candidate, Kind
from refbot.pipeline.parse import parse_need
from refbot.sandbox.oai import OAI_STATE, OaiState, create_oai_standin, thesis
from refbot.store import Store
from refbot.store.harvests import last_harvest
from tests.conftest import DEMO_CATALOG, serve


@dataclass
class Repository:
    state: OaiState
    source: HarvestSource


@pytest.fixture
async def repository() -> AsyncIterator[Repository]:
    app = create_oai_standin()
    runner, url = await serve(app)
    try:
        yield Repository(app[OAI_STATE], HarvestSource(name="repositori", url=f"{url}/", label="repositori Contoh"))
    finally:
        app[OAI_STATE].release()
        await runner.cleanup()


def search(index_dir: Path, text: str, limit: int = 10) -> list[Candidate]:
    index = CatalogIndex(index_dir)
    try:
        return index.search(parse_need(text, "id", current_year=2026), limit=limit)
    finally:
        index.close()


def titles(index_dir: Path, text: str) -> list[str]:
    return [c.title for c in search(index_dir, text)]


class NoWait:
    """Waits recorded, not slept: the retry's timing is the repository's Retry-After, checked as a number."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_a_first_harvest_takes_every_record_as_a_searchable_thesis_with_its_pdf(
        repository: Repository, tmp_path: Path) -> None:
    report = await harvest(repository.source, tmp_path)
    assert report.ok and report.full
    assert (report.read, report.added, report.pages, report.records) == (30, 30, 3, 30)
    found = search(tmp_path, "literasi informasi mahasiswa tingkat akhir")
    first = found[0]
    assert first.title.startswith("Literasi informasi mahasiswa tingkat akhir")
    assert first.kind is Kind.THESIS
    assert first.source_id == "repositori:oai:repositori.contoh.ac.id:1"
    assert first.url == "https://repositori.contoh.ac.id/1/1/skripsi-1.pdf"
    assert first.holdings[0].location == "repositori Contoh" and first.holdings[0].status == "online PDF"
    articles = [c for c in search(tmp_path, "repositori institusi diseminasi karya ilmiah") if "diseminasi" in c.title]
    assert articles[0].kind is Kind.ARTICLE
    assert read_manifest(current_generation(tmp_path))["harvested"] == {"repositori": 30}


async def test_the_next_harvest_asks_from_the_last_datestamp_and_applies_changes_and_deletions(
        repository: Repository, tmp_path: Path) -> None:
    settings, store = await _settings_and_store(tmp_path)
    try:
        first = await harvest_and_record(store, settings, repository.source)
        assert first.ok and first.datestamp
        nothing = await harvest_and_record(store, settings, repository.source)
        assert nothing.ok and not nothing.full and (nothing.read, nothing.added, nothing.deleted) == (0, 0, 0)
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
        repository.state.put(thesis(31, "skripsi", "Gamifikasi layanan perpustakaan untuk generasi Z", "Baru, Ani",
                                    2025, ["Gamifikasi"], "Skripsi baru.", later))
        repository.state.put(thesis(2, "skripsi", "Layanan referensi virtual melalui WhatsApp dan kepuasan pemustaka",
                                    "Saputra, Andi", 2022, ["Layanan referensi"], "Judul diperbaiki.", later))
        repository.state.delete(4, later)
        repository.state.requests.clear()
        second = await harvest_and_record(store, settings, repository.source)
        assert not second.full and second.since == nothing.datestamp >= first.datestamp
        assert repository.state.requests[1]["from"] == nothing.datestamp
        assert (second.read, second.added, second.updated, second.deleted) == (3, 1, 1, 1)
        index_dir = settings.path(settings.catalog.index_dir)
        assert "Gamifikasi layanan perpustakaan untuk generasi Z" in titles(index_dir, "gamifikasi perpustakaan")
        assert not any("SLiMS" in t for t in titles(index_dir, "evaluasi penggunaan SLiMS otomasi"))
        kept = await last_harvest(store, "default", "repositori")
        assert kept is not None and kept.status == "ok" and kept.records == 30 and kept.datestamp == second.datestamp
        assert index_status(index_dir)["records"] == 30
    finally:
        await store.close()


async def test_resumption_tokens_carry_the_list_across_pages(repository: Repository, tmp_path: Path) -> None:
    repository.state.page_size = 7
    report = await harvest(repository.source, tmp_path)
    asked = [r for r in repository.state.requests if r.get("verb") == "ListRecords"]
    assert report.pages == 5 and report.added == 30
    assert [("resumptionToken" in r) for r in asked] == [False, True, True, True, True]


async def test_a_busy_repository_is_waited_for_as_its_retry_after_says(repository: Repository, tmp_path: Path) -> None:
    repository.state.unavailable, repository.state.retry_after = 2, 3
    sleep = NoWait()
    client = OaiClient("repositori", repository.source.url, timeout=10, sleep=sleep)
    report = await harvest(repository.source, tmp_path, client=client)
    assert report.ok and report.added == 30
    assert sleep.waits == [3.0, 3.0] and report.waits == (3.0, 3.0)


async def test_a_repository_busy_for_too_long_fails_the_harvest_and_keeps_the_index(
        repository: Repository, tmp_path: Path) -> None:
    await harvest(repository.source, tmp_path)
    repository.state.unavailable = 100
    client = OaiClient("repositori", repository.source.url, timeout=10, retries=2, sleep=NoWait())
    report = await harvest(repository.source, tmp_path, client=client)
    assert not report.ok and "HTTP 503" in report.error and "3 times" in report.error
    assert report.datestamp == ""
    assert index_status(tmp_path)["records"] == 30


async def test_a_refused_resumption_token_starts_the_list_again_cleanly(repository: Repository, tmp_path: Path) -> None:
    repository.state.refuse_token = 1
    report = await harvest(repository.source, tmp_path)
    assert report.ok and report.restarts == 1
    assert (report.added, report.updated, report.records) == (30, 0, 30)
    assert index_status(tmp_path)["records"] == 30


async def test_a_hanging_page_times_out_and_what_came_before_it_is_kept(repository: Repository, tmp_path: Path) -> None:
    repository.state.hang_on_page = 2
    report = await harvest(repository.source, tmp_path, page_timeout=1.0)
    assert not report.ok and "no answer within 1 s" in report.error
    assert report.datestamp == "" and report.added == 10
    assert index_status(tmp_path)["records"] == 10
    repository.state.release()
    again = await harvest(repository.source, tmp_path)
    assert again.ok and (again.added, again.updated, again.records) == (20, 10, 30)


async def test_two_sources_with_the_same_local_identifiers_do_not_collide(tmp_path: Path) -> None:
    apps = [create_oai_standin(), create_oai_standin()]
    served = [await serve(app) for app in apps]
    try:
        for name, (_, url) in zip(("undip", "unnes"), served, strict=True):
            report = await harvest(HarvestSource(name=name, url=f"{url}/"), tmp_path)
            assert report.added == 30
        status = index_status(tmp_path)
        assert status["records"] == 60
        assert read_manifest(current_generation(tmp_path))["harvested"] == {"undip": 30, "unnes": 30}
        ids = {c.source_id for c in search(tmp_path, "literasi informasi mahasiswa tingkat akhir")}
        assert {"undip:oai:repositori.contoh.ac.id:1", "unnes:oai:repositori.contoh.ac.id:1"} <= ids
    finally:
        for runner, _ in served:
            await runner.cleanup()


async def test_a_full_harvest_drops_records_the_repository_no_longer_lists(repository: Repository, tmp_path: Path) -> None:
    await harvest(repository.source, tmp_path)
    del repository.state.items[5]
    repository.state.put(repository.state.items[6])  # the order is recomputed
    report = await harvest(repository.source, tmp_path)
    assert report.full and report.deleted == 1 and report.records == 29


async def test_after_a_rebuild_from_exports_the_next_harvest_is_full_and_both_are_searched(
        repository: Repository, tmp_path: Path) -> None:
    settings, store = await _settings_and_store(tmp_path)
    index_dir = settings.path(settings.catalog.index_dir)
    try:
        await harvest_and_record(store, settings, repository.source)
        await asyncio.to_thread(build_index, [DEMO_CATALOG], index_dir)  # harvested records are not in it
        report = await harvest_and_record(store, settings, repository.source)
        assert report.full and report.added == 30
        found = search(index_dir, "literasi informasi", limit=30)
        assert {c.kind for c in found} >= {Kind.BOOK, Kind.THESIS}
        assert any(c.source_id.startswith("repositori:") for c in found)
    finally:
        await store.close()


async def test_a_full_harvest_keeps_the_exports_and_other_sources_and_their_next_harvests_stay_incremental(
        repository: Repository, tmp_path: Path) -> None:
    settings, store = await _settings_and_store(tmp_path)
    index_dir = settings.path(settings.catalog.index_dir)
    other = create_oai_standin()
    runner, url = await serve(other)
    try:
        await asyncio.to_thread(build_index, [DEMO_CATALOG], index_dir)
        exported = index_status(index_dir)["records"]
        unnes = HarvestSource(name="unnes", url=f"{url}/")
        assert (await harvest_and_record(store, settings, repository.source)).full
        assert (await harvest_and_record(store, settings, unnes)).full  # served from a newer generation now
        again = await harvest_and_record(store, settings, repository.source, full=True)
        assert again.full and (again.added, again.updated, again.records) == (0, 30, 30)
        later = await harvest_and_record(store, settings, unnes)
        assert not later.full and later.read == 0  # its records came along into the new generation
        assert index_status(index_dir)["records"] == exported + 60
        found = search(index_dir, "literasi informasi", limit=60)
        assert {c.source_id.split(":")[0] for c in found} >= {"repositori", "unnes"}
        assert any(c.kind is Kind.BOOK for c in found)
    finally:
        await store.close()
        await runner.cleanup()


async def test_a_full_harvest_after_deletions_counts_what_is_really_in_the_index(
        repository: Repository, tmp_path: Path) -> None:
    settings, store = await _settings_and_store(tmp_path)
    try:
        await harvest_and_record(store, settings, repository.source)
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
        repository.state.delete(4, later)
        assert (await harvest_and_record(store, settings, repository.source)).deleted == 1
        full = await harvest_and_record(store, settings, repository.source, full=True)
        assert full.ok and (full.added, full.updated, full.deleted, full.records) == (0, 29, 0, 29)
        assert index_status(settings.path(settings.catalog.index_dir))["records"] == 29
    finally:
        await store.close()


async def _settings_and_store(tmp_path: Path) -> tuple[Settings, Store]:
    (tmp_path / "config.yaml").write_text("store:\n  path: refbot.sqlite3\ncatalog:\n  index_dir: indexes\n",
                                          encoding="utf-8")
    settings = load_settings(tmp_path / "config.yaml", env={})
    return settings, await Store.open(settings.store_location)
