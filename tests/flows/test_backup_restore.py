"""A busy desk backed up while it answers, then rebuilt from the backup in a fresh folder.

``refbot serve`` runs with its worker child while patrons keep writing (signed webhooks, a few
screenshots among the questions) and the worker keeps drafting; ``refbot backup`` runs in the
middle of it. The desk must keep acknowledging webhooks meanwhile. Then: a restore is refused
while the desk runs and from a damaged copy; the desk is stopped, the backup restored into a
fresh folder, and refbot started there. Every request, draft, outbox row and file the backup's
manifest counted must be there, and the restored desk must carry on: a new question gets its draft.

Timings are printed (``pytest -s``): the backup's duration and the slowest webhook answer during it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path

import aiohttp
import yaml

from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, media_message, sign, text_message
from tests.conftest import APP_SECRET, LIBRARIAN, PHONE_NUMBER_ID, eventually
from tests.flows.conftest import Service
from tests.services.conftest import render_text_image

QUESTIONS = ("literasi informasi mahasiswa", "metodologi penelitian kualitatif", "sejarah perpustakaan indonesia",
             "manajemen arsip digital", "statistik untuk penelitian sosial")
RATE = 15.0
"""Questions posted per second while the desk is busy."""


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return list(conn.execute(sql))


def write_config(folder: Path, index_dir: Path, crossref_url: str, graph_url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "store": {"path": "refbot.sqlite3"},
        "catalog": {"index_dir": str(index_dir)},
        "crossref": {"base_url": crossref_url, "timeout": 20.0},
        "search": {"deadline": 30.0},
        "whatsapp": {"graph_api_base": graph_url, "phone_number_id": PHONE_NUMBER_ID},
        "librarians": [{"name": "Dewi", "phone": LIBRARIAN}],
        "desk": {"max_questions_per_hour": 1000, "hold_librarian_notices": False},  # drafts reach the librarian at whatever hour the suite runs
        "worker": {"poll_interval": 0.05},
    }))
    return config


async def refbot(*argv: str) -> tuple[int, str, float]:
    """Run the refbot command line as an admin would; its exit code, its output, and how long it took."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "refbot.cli", *argv,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return int(proc.returncode or 0), out.decode(), time.monotonic() - started


class Patrons:
    """Patrons writing to the desk at a steady rate until stopped; the slowest acknowledgement in each window."""

    def __init__(self, http: aiohttp.ClientSession, port: int, graph_url: str) -> None:
        self.http, self.port, self.graph_url = http, port, graph_url
        self.sent = 0
        self.slowest = 0.0
        self.refused = 0
        self._stop = asyncio.Event()

    async def post(self, payload: dict[str, object]) -> None:
        body = encode(payload)
        started = time.monotonic()
        async with self.http.post(f"http://127.0.0.1:{self.port}/webhook", data=body,
                                  headers={SIGNATURE_HEADER: sign(body, APP_SECRET)}) as r:
            if r.status != 200:
                self.refused += 1
        self.slowest = max(self.slowest, time.monotonic() - started)

    async def screenshot(self, patron: str) -> None:
        image = render_text_image(["Portal Perpustakaan", f"Login gagal {patron}"])
        async with self.http.post(f"{self.graph_url}/_media", data=image, headers={"Content-Type": "image/png"}) as r:
            uploaded = await r.json()
        await self.post(media_message(BusinessNumber(PHONE_NUMBER_ID), patron, "image", uploaded["id"], "image/png",
                                      caption="tidak bisa login"))

    async def run(self) -> None:
        while not self._stop.is_set():
            patron = f"62812{self.sent:08d}"
            if self.sent % 10 == 3:
                await self.screenshot(patron)
            else:
                text = QUESTIONS[self.sent % len(QUESTIONS)]
                await self.post(text_message(BusinessNumber(PHONE_NUMBER_ID), patron, text))
            self.sent += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 1 / RATE)

    def stop(self) -> None:
        self._stop.set()


async def test_a_busy_desk_is_backed_up_and_rebuilt_from_the_backup(
    tmp_path: Path, catalog_dir: Path, stand_ins: tuple[str, str, int]
) -> None:
    crossref_url, graph_url, port = stand_ins
    index_dir = tmp_path / "indexes"
    shutil.copytree(catalog_dir, index_dir)
    desk = tmp_path / "desk"
    config = write_config(desk, index_dir, crossref_url, graph_url)
    db = desk / "refbot.sqlite3"
    backup = tmp_path / "backup"
    service = Service(config, port, tmp_path / "service.log")
    await service.start()
    async with aiohttp.ClientSession() as http:
        patrons = Patrons(http, port, graph_url)
        writing = asyncio.create_task(patrons.run())
        try:
            await eventually(lambda: _at_least(db, "SELECT COUNT(*) FROM drafts", 20), within=90,
                             what="the worker to have drafted 20 questions")
            await eventually(lambda: _at_least(db, "SELECT COUNT(*) FROM service_requests", 1), within=60,
                             what="a screenshot to be kept")
            patrons.slowest = 0.0
            code, out, took = await refbot("backup", str(backup), "--config", str(config))
            slowest_during = patrons.slowest
            assert code == 0, out
            print(f"\nbackup under load: {took:.2f} s (command), slowest webhook answer meanwhile "
                  f"{slowest_during * 1000:.0f} ms\n{out}")
            await eventually(lambda: _at_least(db, "SELECT COUNT(*) FROM drafts", _drafts_in(backup) + 5), within=60,
                             what="the desk to go on drafting after the backup")

            code, out, _ = await refbot("restore", str(backup), "--config", str(config), "--force")
            assert code == 1 and "refbot is running" in out and "stop it first" in out
        finally:
            patrons.stop()
            await writing
            await service.stop()
    assert patrons.refused == 0, "a webhook was refused while the backup ran"

    await _refused_when_damaged(tmp_path, backup)
    fresh = tmp_path / "fresh"
    fresh_config = write_config(fresh, fresh / "indexes", crossref_url, graph_url)
    code, out, took = await refbot("restore", str(backup), "--config", str(fresh_config))
    assert code == 0, out
    print(f"restore: {took:.2f} s\n{out}")
    manifest = json.loads((backup / "manifest.json").read_text())
    _everything_counted_is_there(backup, manifest, fresh)

    restored = Service(fresh_config, port, tmp_path / "restored.log")
    await restored.start(healthy=False)
    try:
        await _carries_on(fresh / "refbot.sqlite3", port, manifest)
    finally:
        await restored.stop()


def _drafts_in(backup: Path) -> int:
    return int(json.loads((backup / "manifest.json").read_text())["libraries"]["default"]["rows"]["drafts"])


async def _at_least(db: Path, sql: str, n: int) -> bool:
    """Whether the query's one number is at least ``n`` (the store is made by the service's start)."""
    return int(str(rows(db, sql)[0][0] or 0)) >= n


async def _refused_when_damaged(tmp_path: Path, backup: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    journal = damaged / "libraries" / "default" / "webhooks.sqlite3"
    data = bytearray(journal.read_bytes())
    data[-100] ^= 0xFF
    journal.write_bytes(bytes(data))
    target = tmp_path / "elsewhere"
    config = write_config(target, target / "indexes", "http://127.0.0.1:9", "http://127.0.0.1:9")
    code, out, _ = await refbot("restore", str(damaged), "--config", str(config))
    assert code == 1 and "libraries/default/webhooks.sqlite3 does not match its checksum" in out
    assert sorted(p.name for p in target.iterdir()) == ["config.yaml"]


def _everything_counted_is_there(backup: Path, manifest: dict[str, object], fresh: Path) -> None:
    part = manifest["libraries"]["default"]  # type: ignore[index]
    db = fresh / "refbot.sqlite3"
    for table in ("inbox", "requests", "drafts", "draft_items", "outbox", "service_requests", "events"):
        assert rows(db, f"SELECT COUNT(*) FROM {table}") == [(part["rows"][table],)], table
    assert part["rows"]["drafts"] >= 20 and part["rows"]["outbox"] > 0 and part["file_count"] >= 1
    prefix = "libraries/default/files/"
    files = {name[len(prefix):]: entry for name, entry in manifest["files"].items()  # type: ignore[attr-defined]
             if name.startswith(prefix)}
    assert len(files) == part["file_count"]
    for name, entry in files.items():
        assert hashlib.sha256((fresh / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert (fresh / "indexes" / "CURRENT").read_text().strip() == part["index"]


async def _carries_on(db: Path, port: int, manifest: dict[str, object]) -> None:
    """Everything the backup held is still there, the backlog it carried is drafted, and a new question too."""
    kept = manifest["libraries"]["default"]["rows"]  # type: ignore[index]
    async with aiohttp.ClientSession() as http:
        patrons = Patrons(http, port, "")
        await patrons.post(text_message(BusinessNumber(PHONE_NUMBER_ID), "6281999999999", "katalog skripsi hukum",
                                        wamid="wamid.after-restore"))
        assert patrons.refused == 0

    def drafted() -> bool:
        return rows(db, "SELECT COUNT(*) FROM drafts d JOIN requests r ON r.id = d.request_id"
                        " JOIN inbox i ON i.id = r.inbox_id WHERE i.wamid = 'wamid.after-restore'") == [(1,)]

    # The restored desk drafts the backlog it carried first; however slow the machine, it must
    # keep making drafts until the new question's is among them (stalled for a minute: a failure).
    made, progressed = -1, time.monotonic()
    while not drafted():
        count = len(rows(db, "SELECT id FROM drafts"))
        if count != made:
            made, progressed = count, time.monotonic()
        assert time.monotonic() - progressed < 60, f"the restored desk made no draft for 60 s ({made} drafts)"
        await asyncio.sleep(0.2)
    for table in ("requests", "drafts", "outbox"):
        assert int(rows(db, f"SELECT COUNT(*) FROM {table}")[0][0]) > kept[table]  # type: ignore[call-overload]
