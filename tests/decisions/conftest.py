"""Fixtures for the decisions' tests: the store on both backends, and a desk that never holds notices.

The librarians' moves are tested here, not office hours: review copies go out at once whatever
time the tests run (outside office hours they would otherwise wait for the morning digest).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from refbot.config import DeskSettings
from tests.conftest import Desk, running_desk
from tests.store.conftest import clock, store  # noqa: F401 (fixtures, found by name)

DAY_AND_NIGHT = replace(DeskSettings(), hold_librarian_notices=False)


@pytest.fixture
async def desk(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Desk]:
    """refbot on loopback with its stand-ins, sending librarians' notices at any hour."""
    async with running_desk(tmp_path, catalog_dir, desk=DAY_AND_NIGHT) as running:
        yield running
