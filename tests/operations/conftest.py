"""A small stopped desk on disk to back up: a store with questions drafted, a journal, files, a catalog."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from refbot.config import Settings, load_settings
from refbot.store import Store
from refbot.store.journal import WebhookJournal, journal_path
from tests.store.conftest import ask


@dataclass
class Desk:
    """A desk's folder: its configuration file and the settings read from it."""

    folder: Path
    config: Path

    @property
    def settings(self) -> Settings:
        return load_settings(self.config, env={})

    @property
    def store(self) -> Path:
        return self.folder / "refbot.sqlite3"


def make_desk(folder: Path, index_dir: Path, **extra: object) -> Desk:
    """A configuration for a desk in ``folder`` (nothing else is made)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"store": {"path": "refbot.sqlite3"},
                                      "catalog": {"index_dir": str(index_dir)}, **extra}))
    return Desk(folder, config)


async def fill(desk: Desk, questions: int) -> None:
    """Questions drafted in the store, webhook bodies in the journal, a patron's file and a letter."""
    store = await Store.open(desk.store)
    try:
        for n in range(questions):
            await ask(store, wamid=f"wamid.q{n}")
    finally:
        await store.close()
    journal = WebhookJournal(journal_path(desk.store))
    for n in range(questions):
        journal.append(b'{"entry": %d}' % n)
    journal.close()
    (desk.folder / "media").mkdir(exist_ok=True)
    (desk.folder / "media" / "1-0123456789abcdef.png").write_bytes(b"\x89PNG a patron's screenshot")
    (desk.folder / "letters").mkdir(exist_ok=True)
    (desk.folder / "letters" / "K7QM-2XWD-9RTA.pdf").write_bytes(b"%PDF-1.4 a clearance letter")
    (desk.folder / "letters" / "HALF.pdf.part").write_bytes(b"%PDF half written")


@pytest.fixture
def desk(tmp_path: Path, catalog_dir: Path) -> Desk:
    """A stopped desk with three questions drafted, serving the demo catalog."""
    made = make_desk(tmp_path / "desk", catalog_dir)
    asyncio.run(fill(made, 3))
    return made


@pytest.fixture
def fresh(tmp_path: Path) -> Desk:
    """An empty folder configured for a desk to be restored into, with its own catalog folder."""
    return make_desk(tmp_path / "fresh", tmp_path / "fresh" / "indexes")
