"""A throwaway PostgreSQL cluster in a folder, for tests, benchmarks and trying refbot on PostgreSQL.

Debian's ``postgresql`` package provides the server; this starts a cluster of its own (``initdb``
into a folder, a server on a loopback port and a socket in that folder), so nothing of the
machine's own PostgreSQL is touched. The server refuses to run as root, so when refbot runs
as root the cluster is made and run as the ``postgres`` user the package creates.

    with TemporaryCluster(folder) as cluster:
        url = cluster.create_database("refbot")   # postgresql://refbot@127.0.0.1:PORT/refbot
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import socket
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Self

USER = "refbot"
"""The superuser the cluster is made with; connections from loopback need no password."""


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine (Debian: ``apt-get install postgresql``)."""


def server_binaries() -> Path:
    """The folder with ``initdb``, ``pg_ctl`` and ``postgres``, newest major version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresMissing("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")


def free_port() -> int:
    """A loopback port nobody is listening on right now, for a server that binds it a moment later.

    Taken below Linux's ephemeral range (32768–60999): a port the kernel hands out for outgoing
    connections — plentiful while other processes run — could be taken in that moment.
    """
    for _ in range(200):
        port = random.randint(20000, 32767)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port between 20000 and 32767")


class TemporaryCluster:
    """A PostgreSQL server of its own in ``folder``, stopped (and its data kept) on exit.

    Args:
        folder: where the cluster's data and socket go (created; must not hold a cluster).
        port: the loopback port; a free one when 0.
        settings: extra ``postgres -c`` settings, e.g. ``{"fsync": "off"}`` for tests that never
            survive a crash of the server itself.
    """

    def __init__(self, folder: Path, port: int = 0, settings: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port or free_port()
        self.settings = {"max_connections": "200", "shared_buffers": "64MB", **(settings or {})}
        self.bin = server_binaries()
        self._as_postgres = os.geteuid() == 0

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def url(self, database: str = "postgres") -> str:
        """Where a client connects: TCP on loopback, as the cluster's superuser."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Make the cluster (first time) and start its server; returns once it accepts connections."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run(self.bin / "initdb", "-D", str(self.data), "-U", USER, "--auth=trust",
                      "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        for attempt in range(3):
            options = " ".join(f"-c {k}={v}" for k, v in {
                "listen_addresses": "127.0.0.1", "port": str(self.port),
                "unix_socket_directories": str(self.folder), **self.settings,
            }.items())
            try:
                self._run(self.bin / "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                          "-o", options, "-w", "-t", "60", "start")
                return
            except RuntimeError as e:
                if "could not bind" not in str(e) or attempt == 2:
                    raise
                self.port = free_port()  # taken between choosing and binding

    def stop(self) -> None:
        """Stop the server fast (open connections are cut)."""
        if (self.data / "postmaster.pid").exists():
            self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        self._run(self.bin / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return self.url(name)

    def _run(self, *argv: str | Path) -> str:
        command = [str(a) for a in argv]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd="/")
        if done.returncode == 0:
            return done.stdout
        raise RuntimeError(f"{' '.join(command[-3:])} failed: {done.stderr.strip()}\n{self._log_tail()}")

    def _log_tail(self) -> str:
        log = self.folder / "server.log"
        try:
            return log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""
