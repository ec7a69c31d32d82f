"""A real MariaDB for the tests: one throwaway server per test session, a fresh SLiMS database per test.

The server runs from Debian's ``mariadb-server`` package (``make test`` installs it), in a
temporary folder with its own socket and a loopback port. Each database gets SLiMS 9's schema
read at test time from ``../shared/data/slims/install/senayan_ddl.sql`` (SLiMS is GPL; its
schema is never copied into this repository) and a read-only account, as a library would give
refbot. Where the server or the schema is missing, the tests that need them skip with the reason.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from refbot.sandbox.postgres import free_port

SCHEMA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "slims" / "install" / "senayan_ddl.sql"
READER, READER_PASSWORD = "refbot_ro", "baca-saja-123"
_numbers = itertools.count(1)


class MariaDBMissing(RuntimeError):
    """No MariaDB server on this machine (Debian: ``apt-get install mariadb-server``)."""


class TemporaryMariaDB:
    """``mariadb-install-db`` into a folder, then ``mariadbd`` on a socket there and a loopback port."""

    def __init__(self, folder: Path) -> None:
        server, install = shutil.which("mariadbd", path="/usr/sbin:/usr/bin"), shutil.which("mariadb-install-db")
        if not server or not install or not shutil.which("mariadb"):
            raise MariaDBMissing("MariaDB's server is not installed (Debian: apt-get install mariadb-server)")
        self.folder, self.server = folder, server
        self.socket, self.port = folder / "mysqld.sock", free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # The server will not run as root; as root it runs as the mysql user the package makes.
        self.user = "mysql" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            shutil.chown(folder, self.user, self.user)
        subprocess.run([install, "--no-defaults", f"--datadir={folder / 'data'}", f"--user={self.user}",
                        "--auth-root-authentication-method=normal", "--skip-test-db"],
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """Start the server and wait (up to a minute) until it answers."""
        with (self.folder / "server.log").open("ab") as log:  # the server keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [self.server, "--no-defaults", f"--datadir={self.folder / 'data'}", f"--socket={self.socket}",
                 f"--port={self.port}", "--bind-address=127.0.0.1", f"--user={self.user}",
                 f"--pid-file={self.folder / 'server.pid'}", "--skip-log-bin", "--innodb-buffer-pool-size=16M",
                 "--max-connections=50"],
                stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while self.sql("SELECT 1", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"MariaDB did not start; see {self.folder / 'server.log'}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server, harder if it does not stop within half a minute."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def sql(self, statements: str, database: str = "", *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run SQL as root through the ``mariadb`` client (which reads ``DELIMITER`` as a dump needs)."""
        command = ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", *([database] if database else [])]
        done = subprocess.run(command, input=statements.encode(), capture_output=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"mariadb failed: {done.stderr.decode(errors='replace')}")
        return done


@dataclass
class SlimsDatabase:
    """One SLiMS database in the session's server, with a read-only account for refbot."""

    server: TemporaryMariaDB
    name: str

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self.server.port

    def insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert rows as SLiMS's staff screens would have written them."""
        statements = []
        for row in rows:
            columns = ", ".join(f"`{c}`" for c in row)
            values = ", ".join(_literal(v) for v in row.values())
            statements.append(f"INSERT INTO `{table}` ({columns}) VALUES ({values});")
        self.server.sql("\n".join(statements), self.name)

    def execute(self, statements: str) -> None:
        self.server.sql(statements, self.name)


class MariaDB:
    """The session's server: hands out fresh SLiMS databases."""

    def __init__(self, server: TemporaryMariaDB) -> None:
        self.server = server

    def fresh_slims(self) -> SlimsDatabase:
        """A new database holding SLiMS 9's schema (and its triggers), readable by :data:`READER`."""
        name = f"slims_{os.getpid()}_{next(_numbers)}"
        self.server.sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        self.server.sql(SCHEMA.read_text(encoding="utf-8"), name)
        self.server.sql(f"CREATE USER IF NOT EXISTS '{READER}'@'127.0.0.1' IDENTIFIED BY '{READER_PASSWORD}';"
                        f" GRANT SELECT ON `{name}`.* TO '{READER}'@'127.0.0.1';")
        return SlimsDatabase(self.server, name)


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    """The session's MariaDB (skipped with the reason where the server or SLiMS's schema is missing).

    Its folder is in the system's temporary folder, not pytest's: the server runs as the
    ``mysql`` user, who cannot enter pytest's private folders.
    """
    if not SCHEMA.exists():
        pytest.skip(f"SLiMS's schema {SCHEMA} is not present (the shared data folder sits beside the repo)")
    folder = Path(tempfile.mkdtemp(prefix="refbot-mariadb-"))
    try:
        try:
            server = TemporaryMariaDB(folder)
        except MariaDBMissing as e:
            pytest.skip(str(e))
        server.start()
        try:
            yield MariaDB(server)
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"
