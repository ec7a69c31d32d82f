"""One generation, built once, served by every node: nodes follow the store's record, and say what they serve.

A "node" here is what a web or worker process builds: a CatalogIndex on its catalog.index_dir
behind a CatalogSource whose follower reads the store. The cataloger's commands run in a
thread of their own, with their own store connection, as `refbot index …` would on a third
machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from refbot.catalog import generations as gens
from refbot.catalog.index import build_index
from refbot.catalog.search import CatalogIndex, CatalogSource
from refbot.catalog.serving import GenerationFollower
from refbot.cli import build_parser
from refbot.config import CatalogSettings, Settings, StoreSettings
from refbot.models import InformationNeed, Term
from refbot.store import Store
from refbot.store.indexes import ServedIndex
from tests.catalog.conftest import LIBRARY_ROWS, csv_rows, write
from tests.postgres import Postgres

NEW_BOOK = "k5,Pustakawan dan literasi digital,\"Lestari, Dewi\",2024,Gramedia,,,Pustakawan,,020 LES p,id,buku,3,3,Lantai 2,"


@dataclass
class Node:
    """One searching process: what a patron's question would find in the catalog."""

    name: str
    index: CatalogIndex
    source: CatalogSource

    async def finds(self, *words: str) -> list[str]:
        need = InformationNeed(raw=" ".join(words), terms=tuple(Term(w) for w in words))
        return [c.source_id for c in await self.source.search(need, limit=10)]


StartNode = Callable[[str, Path], Awaitable[Node]]


@pytest.fixture
async def pg_url(postgres: Postgres) -> str:
    return await postgres.fresh_url()


@pytest.fixture
async def start_node(pg_url: str, open_index: list[CatalogIndex]) -> AsyncIterator[StartNode]:
    """Starts a node on an index folder, with its own connection to the shared PostgreSQL store."""
    stores: list[Store] = []

    async def start(name: str, index_dir: Path) -> Node:
        store = await Store.open(pg_url)
        stores.append(store)
        index = CatalogIndex(index_dir)
        open_index.append(index)
        follower = GenerationFollower(index, store, node=name, every=0)
        return Node(name, index, CatalogSource(index, timeout=10.0, follower=follower))

    yield start
    for store in stores:
        await store.close()


@pytest.fixture
def exports(tmp_path: Path) -> tuple[Path, Path]:
    """This week's export, and next week's with one new book in it."""
    first = write(tmp_path / "exports" / "week1.csv", csv_rows(*LIBRARY_ROWS))
    second = write(tmp_path / "exports" / "week2.csv", csv_rows(*LIBRARY_ROWS, NEW_BOOK))
    return first, second


def cataloger(tmp_path: Path, index_dir: Path, store_url: str) -> Settings:
    """The settings `refbot index …` runs with on the machine where the cataloger builds."""
    return Settings(catalog=CatalogSettings(index_dir=str(index_dir)), store=StoreSettings(url=store_url),
                    base_dir=str(tmp_path))


async def index_command(settings: Settings, *argv: str) -> int:
    """Run `refbot index …` as its own program would, off the event loop (it runs its own)."""
    args = build_parser().parse_args(["index", *argv])
    code: int = await asyncio.to_thread(args.handler, args, settings)
    return code


async def status(settings: Settings, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, object]]:
    """`refbot index status` as text and as JSON."""
    capsys.readouterr()
    await index_command(settings, "status")
    text = capsys.readouterr().out
    await index_command(settings, "status", "--json")
    return text, json.loads(capsys.readouterr().out)


def copy_generation(name: str, source: Path, target: Path) -> None:
    """Copy a generation folder the safe way: into a temporary name, then renamed into place."""
    target.mkdir(parents=True, exist_ok=True)
    incoming = target / f".incoming-{name}"
    shutil.copytree(source / name, incoming)
    incoming.rename(target / name)


async def test_every_node_switches_to_a_build_recorded_elsewhere(
    tmp_path: Path, pg_url: str, start_node: StartNode, exports: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared" / "catalog"
    settings = cataloger(tmp_path, shared, pg_url)
    assert await index_command(settings, "build", str(exports[0])) == 0
    first = gens.current_name(shared)
    a = await start_node("lib-a:101", shared)
    b = await start_node("lib-b:202", shared)
    assert await a.finds("pustakawan") == await b.finds("pustakawan") == []
    assert "k1" in await b.finds("perpustakaan")

    capsys.readouterr()
    assert await index_command(settings, "build", str(exports[1])) == 0
    second = gens.current_name(shared)
    assert second != first
    assert f"Serving {second}" in capsys.readouterr().out
    text, _ = await status(settings, capsys)
    assert "nodes       2 reporting, 2 BEHIND" in text
    assert f"behind: no search since {second} was set; switches at its next one" in text

    assert await a.finds("pustakawan") == ["k5"]
    assert await b.finds("pustakawan") == ["k5"]
    text, report = await status(settings, capsys)
    assert f"served      {second}, set " in text
    assert "by refbot index build on " in text
    assert "nodes       2 reporting\n" in text + "\n"
    assert "BEHIND" not in text and "behind" not in text
    assert report["served"]["generation"] == second  # type: ignore[index]
    assert sorted((n["node"], n["generation"], n["state"]) for n in report["nodes"]) == [  # type: ignore[attr-defined]
        ("lib-a:101", second, "current"), ("lib-b:202", second, "current")]


async def test_a_node_without_the_new_generation_keeps_serving_the_old_one_and_says_so(
    tmp_path: Path, pg_url: str, start_node: StartNode, exports: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    built_here = tmp_path / "lib-a" / "catalog"
    copied_there = tmp_path / "lib-c" / "catalog"
    settings = cataloger(tmp_path, built_here, pg_url)
    assert await index_command(settings, "build", str(exports[0])) == 0
    first = gens.current_name(built_here)
    assert first is not None
    copy_generation(first, built_here, copied_there)  # lib-c has no CURRENT: it serves what the store names
    a = await start_node("lib-a:101", built_here)
    c = await start_node("lib-c:303", copied_there)
    assert "k1" in await c.finds("perpustakaan")

    assert await index_command(settings, "build", str(exports[1])) == 0
    second = gens.current_name(built_here)
    assert second is not None
    assert await a.finds("pustakawan") == ["k5"]
    with caplog.at_level(logging.WARNING, logger="refbot.catalog.serving"):
        assert await c.finds("pustakawan") == []
        assert "k1" in await c.finds("perpustakaan")  # the old generation, never nothing
    assert f"catalog generation {second} is the one to serve, but it is not in {copied_there}" in caplog.text
    assert c.index.generation == first

    text, report = await status(settings, capsys)
    assert "nodes       2 reporting, 1 BEHIND" in text
    [line] = [line for line in text.splitlines() if "lib-c:303" in line]
    assert first in line
    assert f"BEHIND: {second} is not on this node yet" in line
    states = {n["node"]: (n["generation"], n["state"], n["behind"]) for n in report["nodes"]}  # type: ignore[attr-defined]
    assert states == {"lib-a:101": (second, "current", False), "lib-c:303": (first, "missing", True)}

    copy_generation(second, built_here, copied_there)
    assert await c.finds("pustakawan") == ["k5"]
    text, _ = await status(settings, capsys)
    assert "BEHIND" not in text


async def test_going_back_to_an_earlier_generation_reaches_every_node(
    tmp_path: Path, pg_url: str, start_node: StartNode, exports: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared" / "catalog"
    settings = cataloger(tmp_path, shared, pg_url)
    assert await index_command(settings, "build", str(exports[0])) == 0
    first = gens.current_name(shared)
    assert first is not None
    assert await index_command(settings, "build", str(exports[1])) == 0
    a = await start_node("lib-a:101", shared)
    assert await a.finds("pustakawan") == ["k5"]

    assert await index_command(settings, "serve", first) == 0
    assert await a.finds("pustakawan") == []
    assert gens.current_name(shared) == first
    _, report = await status(settings, capsys)
    assert report["generation"] == report["served"]["generation"] == first  # type: ignore[index]

    assert await index_command(settings, "serve", "gen-19990101T000000-dead") == 1
    assert "there is no complete generation gen-19990101T000000-dead" in capsys.readouterr().err


async def test_a_held_build_is_served_only_once_told(
    tmp_path: Path, pg_url: str, start_node: StartNode, exports: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared" / "catalog"
    settings = cataloger(tmp_path, shared, pg_url)
    assert await index_command(settings, "build", str(exports[0])) == 0
    a = await start_node("lib-a:101", shared)
    capsys.readouterr()
    assert await index_command(settings, "build", "--hold", str(exports[1])) == 0
    out = capsys.readouterr().out
    held = out.split()[1]
    assert f"run `refbot index serve {held}`" in out
    assert await a.finds("pustakawan") == []

    assert await index_command(settings, "serve", held) == 0
    assert await a.finds("pustakawan") == ["k5"]


async def test_a_half_copied_generation_is_not_served(
    tmp_path: Path, pg_url: str, start_node: StartNode, exports: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    built_here = tmp_path / "lib-a" / "catalog"
    copied_there = tmp_path / "lib-c" / "catalog"
    settings = cataloger(tmp_path, built_here, pg_url)
    assert await index_command(settings, "build", str(exports[0])) == 0
    first = gens.current_name(built_here)
    assert first is not None
    copy_generation(first, built_here, copied_there)
    c = await start_node("lib-c:303", copied_there)
    assert "k1" in await c.finds("perpustakaan")

    assert await index_command(settings, "build", str(exports[1])) == 0
    second = gens.current_name(built_here)
    assert second is not None
    # A plain copy interrupted half-way: the manifest and table of contents, no segments.
    (copied_there / second).mkdir()
    for part in (built_here / second).iterdir():
        if not part.name.endswith(".seg"):
            shutil.copy2(part, copied_there / second / part.name)
    with caplog.at_level(logging.WARNING, logger="refbot.catalog.search"):
        assert "k1" in await c.finds("perpustakaan")
        assert await c.finds("pustakawan") == []
    assert f"catalog generation {second} in {copied_there} cannot be opened" in caplog.text
    assert f"still serving {first}" in caplog.text

    shutil.rmtree(copied_there / second)
    copy_generation(second, built_here, copied_there)
    assert await c.finds("pustakawan") == ["k5"]


async def test_in_place_changes_are_refused_where_another_generation_is_served(
    tmp_path: Path, pg_url: str, exports: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    built_here = tmp_path / "lib-a" / "catalog"
    stale = tmp_path / "lib-c" / "catalog"
    build_index([exports[0]], stale)  # an old copy with its own CURRENT
    assert await index_command(cataloger(tmp_path, built_here, pg_url), "build", str(exports[1])) == 0
    served = gens.current_name(built_here)
    capsys.readouterr()
    assert await index_command(cataloger(tmp_path, stale, pg_url), "delete", "k1") == 1
    assert f"every node serves {served}, but CURRENT in {stale} names" in capsys.readouterr().err
    assert await index_command(cataloger(tmp_path, built_here, pg_url), "delete", "k1") == 0


async def test_without_a_record_nodes_follow_current_as_before(
    tmp_path: Path, exports: tuple[Path, Path], open_index: list[CatalogIndex]
) -> None:
    index_dir = tmp_path / "indexes" / "catalog"
    build_index([exports[0]], index_dir)
    store = await Store.open(tmp_path / "var" / "refbot.sqlite3")
    try:
        index = CatalogIndex(index_dir)
        open_index.append(index)
        node = Node("lib-a:101", index, CatalogSource(index, 10.0, GenerationFollower(index, store, node="lib-a:101", every=0)))
        assert await node.finds("pustakawan") == []
        build_index([exports[1]], index_dir)
        assert await node.finds("pustakawan") == ["k5"]
        assert await store.node_indexes("default") == []  # nothing recorded, nothing reported
    finally:
        await store.close()


class UnreachableStore:
    """A store whose server has gone away."""

    async def served_index(self, library: str) -> ServedIndex | None:
        raise ConnectionRefusedError("the database server is not answering")


async def test_an_unreachable_store_does_not_stop_the_catalog(
    tmp_path: Path, exports: tuple[Path, Path], open_index: list[CatalogIndex], caplog: pytest.LogCaptureFixture
) -> None:
    index_dir = tmp_path / "indexes" / "catalog"
    build_index([exports[1]], index_dir)
    index = CatalogIndex(index_dir)
    open_index.append(index)
    follower = GenerationFollower(index, UnreachableStore(), node="lib-a:101", every=0)  # type: ignore[arg-type]
    node = Node("lib-a:101", index, CatalogSource(index, 10.0, follower))
    with caplog.at_level(logging.WARNING, logger="refbot.catalog.serving"):
        assert await node.finds("pustakawan") == ["k5"]
    assert "could not read the served catalog generation" in caplog.text
