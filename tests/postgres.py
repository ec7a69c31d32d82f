"""A real PostgreSQL for the tests: one throwaway cluster per test session, a fresh database per test.

The cluster runs from Debian's ``postgresql`` package (``make test`` installs it), in a
temporary folder on a port of its own. Each test gets an empty database cloned from a migrated
template, so a test starts in a second and sees nothing another test wrote. Where PostgreSQL
is not installed, the tests that need it skip with the reason (``make test`` and CI always
have it).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from refbot.sandbox.postgres import PostgresMissing, TemporaryCluster
from refbot.store import Store

TEMPLATE = "refbot_template"
_numbers = itertools.count(1)


class Postgres:
    """The session's cluster: hands out fresh databases with refbot's schema."""

    def __init__(self, cluster: TemporaryCluster) -> None:
        self.cluster = cluster
        self._template_ready = False

    async def fresh_url(self) -> str:
        """A new database holding refbot's (empty, migrated) schema; its URL."""
        if not self._template_ready:
            self.cluster.create_database(TEMPLATE)
            store = await Store.open(self.cluster.url(TEMPLATE))
            await store.close()
            self._template_ready = True
        name = f"t{os.getpid()}_{next(_numbers)}"
        conn = await asyncpg.connect(self.cluster.url())
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
        finally:
            await conn.close()
        return self.cluster.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The session's PostgreSQL (skipped with the reason where the server is not installed).

    Its folder is made in the system's temporary folder, not pytest's: as root, the server runs
    as the ``postgres`` user, who cannot enter pytest's private folders.
    """
    folder = Path(tempfile.mkdtemp(prefix="refbot-pg-"))
    try:
        cluster = TemporaryCluster(folder, settings={"fsync": "off"})
    except PostgresMissing as e:
        pytest.skip(str(e))
    try:
        with cluster:
            yield Postgres(cluster)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
