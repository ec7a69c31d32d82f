"""Fixtures for the decisions' tests: the store on both backends, and a desk that is open all day.

The librarians' moves are tested here, not office hours: with the desk open around the clock,
review copies go out at once whatever time the tests run (outside office hours they would wait
for the morning digest).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from refbot.config import DeskSettings
from tests.conftest import Desk, running_desk
from tests.store.conftest import clock, store  # noqa: F401 (fixtures, found by name)

OPEN_ALL_DAY = replace(DeskSettings(), office_hours=("mon-sun 00:00-23:59",))


@pytest.fixture
async def desk(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Desk]:
    """refbot on loopback with its stand-ins, the desk open all day."""
    async with running_desk(tmp_path, catalog_dir, desk=OPEN_ALL_DAY) as running:
        yield running
