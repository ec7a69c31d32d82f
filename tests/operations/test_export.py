"""``refbot export conversations``: a period's records, with pseudonyms unless an admin takes the contacts.

The records are made the way the desk makes them (webhooks into the real app, librarians'
*Setujui*, the Graph API and Koha stand-ins); the command then runs as an IT officer runs it.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from refbot.cli import main
from refbot.store import Store
from refbot.web.console import accounts
from tests.conftest import LIBRARIAN, LIBRARIAN_2, eventually
from tests.services.history_desk import ANDI, SITI, approved_list, history_desk, issued_letter, texts_to

SECRET = "konsol-rahasia-untuk-ekspor-0123456789"
DAY = 86400


@dataclass
class Recorded:
    """A desk's store after some weeks of work, and a configuration naming it."""

    config: Path
    store: Path
    today: datetime.date
    andi: list[int]
    """Andi's questions, each answered with a list (the first asked ten days ago)."""
    siti: int
    """Siti's question."""
    letter: str


@pytest.fixture
async def recorded(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[Recorded]:
    async with history_desk(tmp_path, catalog_dir) as desk:
        andi = [await approved_list(desk, q) for q in ("literasi informasi", "manajemen perpustakaan")]
        _, letter = await issued_letter(desk)
        siti = await approved_list(desk, "minat baca remaja", patron=SITI)
        store = desk.services.store
        await accounts.add_account(store, "kepala", "kata-sandi-rahasia", name="Kepala Perpustakaan", role="admin")
        await accounts.add_account(store, "dewi", "kata-sandi-rahasia", name="Dewi")
        async with store.tx() as db:  # Andi's first question was asked ten days ago
            await db.execute("UPDATE requests SET created_at = created_at - ? WHERE id = ?", (10 * DAY, andi[0]))
        path = Path(desk.services.settings.store.path)
    config = tmp_path / "config.yaml"
    write_config(config, path)
    yield Recorded(config, path, datetime.datetime.now(ZoneInfo("Asia/Jakarta")).date(), andi, siti, letter)


def write_config(config: Path, store: Path) -> None:
    """The desk's configuration as the IT officer keeps it: its store and its librarians."""
    librarians = [{"name": "Dewi", "phone": LIBRARIAN}, {"name": "Budi", "phone": LIBRARIAN_2}]
    config.write_text(yaml.safe_dump({"store": {"path": str(store)}, "librarians": librarians}), encoding="utf-8")


def export(r: Recorded, capsys: pytest.CaptureFixture[str], *options: str, days: tuple[int, int] = (30, 0),
           fmt: str = "jsonl") -> tuple[int, str, str]:
    """Run the command for the days ``days`` ago (first, last); its exit status, output and messages."""
    first, last = (str(r.today - datetime.timedelta(days=d)) for d in days)
    code = main(["export", "conversations", "--config", str(r.config), "--from", first, "--to", last, "--format", fmt,
                 *options])
    out, err = capsys.readouterr()
    return code, out, err


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


async def audited(r: Recorded) -> list[dict[str, Any]]:
    store = await Store.open(r.store)
    try:
        return [{"actor": e["actor"], **json.loads(e["detail"])} for e in await store.events()
                if e["kind"] == "records_exported"]
    finally:
        await store.close()


def test_the_period_is_written_without_phone_numbers(recorded: Recorded, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFBOT_CONSOLE_SECRET", SECRET)
    code, out, err = export(recorded, capsys)
    assert code == 0, err
    records = jsonl(out)
    questions = [r for r in records if r["record"] == "question"]
    assert [q["id"] for q in questions] == [*recorded.andi, recorded.siti]
    assert [q["question"] for q in questions] == ["literasi informasi", "manajemen perpustakaan", "minat baca remaja"]
    assert all(q["status"] == "sent" and q["items_sent"] == len(q["items"]) > 0 for q in questions)
    assert all(q["decided_by"] == "Dewi" for q in questions)  # the librarian as the configuration names her
    assert all(i["reference"] for q in questions for i in q["items"])
    [letter] = [r for r in records if r["record"] == "service_request"]
    assert letter["service"] == "letter" and letter["status"] == "approved" and letter["letter_number"] == recorded.letter
    for phone in (ANDI, SITI, LIBRARIAN):
        assert phone not in out
    andi = {questions[0]["patron"], questions[1]["patron"], letter["patron"]}
    assert len(andi) == 1 and andi != {questions[2]["patron"]}  # one stable pseudonym per patron
    assert "3 questions, 1 service requests" in err

    again = jsonl(export(recorded, capsys)[1])
    assert [r["patron"] for r in again] == [r["patron"] for r in records]  # the same pseudonyms next time


def test_dates_choose_the_records_and_csv_parses(recorded: Recorded, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    out = tmp_path / "bulan-ini.csv"
    code, printed, _ = export(recorded, capsys, "--output", str(out), days=(3, 0), fmt="csv")
    assert code == 0 and printed == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["record"], r["id"]) for r in rows] == [
        ("question", str(recorded.andi[1])), ("service_request", rows[1]["id"]), ("question", str(recorded.siti))]
    assert rows[0]["question"] == "manajemen perpustakaan" and int(rows[0]["items_sent"]) > 0
    assert rows[0]["items"].count(" | ") == int(rows[0]["items_sent"]) - 1
    assert ANDI not in out.read_text(encoding="utf-8")

    older = jsonl(export(recorded, capsys, days=(12, 8))[1])
    assert [(r["record"], r["id"], r["question"]) for r in older] == [("question", recorded.andi[0], "literasi informasi")]
    assert jsonl(export(recorded, capsys, days=(7, 4))[1]) == []
    assert export(recorded, capsys, days=(0, 3))[0] == 2  # --to before --from


def test_contacts_only_for_a_named_admin_and_audited(recorded: Recorded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = export(recorded, capsys, "--with-contacts")
    assert code == 2 and out == "" and "--by USERNAME" in err
    code, out, err = export(recorded, capsys, "--with-contacts", "--by", "dewi")  # a librarian, not an admin
    assert code == 1 and out == "" and "not an admin" in err
    code, out, err = export(recorded, capsys, "--with-contacts", "--by", "tamu")  # no such account
    assert code == 1 and out == ""
    code, out, _ = export(recorded, capsys, "--with-contacts", "--by", "Kepala")
    assert code == 0
    records = jsonl(out)
    assert {r["patron"] for r in records} == {ANDI, SITI}
    assert {r["decided_by"] for r in records} == {LIBRARIAN}
    log = asyncio.run(audited(recorded))
    assert [(e["actor"], e["with_contacts"], e["records"]) for e in log] == [("console:kepala", True, 4)]


async def test_erased_patrons_and_records_past_retention_are_not_exported(
    tmp_path: Path, catalog_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    async with history_desk(tmp_path, catalog_dir) as desk:
        kept = await approved_list(desk, "literasi informasi")
        await approved_list(desk, "minat baca remaja", patron=SITI)
        old = await approved_list(desk, "arsip dinamis")
        await desk.patron_says("HAPUS DATA", sender=SITI)
        await desk.patron_says("YA HAPUS", sender=SITI)

        async def erased() -> bool:
            return any("sudah kami hapus" in t for t in await texts_to(desk, SITI))

        await eventually(erased, what="Siti's data erased")
        days = desk.services.settings.privacy.retention_days
        async with desk.services.store.tx() as db:  # asked just over the retention period ago
            await db.execute("UPDATE requests SET created_at = ? WHERE id = ?", (time.time() - (days + 2) * DAY, old))
        path = desk.services.settings.store.path
    config = tmp_path / "config.yaml"
    write_config(config, Path(path))
    r = Recorded(config, Path(path), datetime.datetime.now(ZoneInfo("Asia/Jakarta")).date(), [kept], 0, "")
    code, out, _ = await asyncio.to_thread(export, r, capsys, "--with-contacts", "--by", "kepala")
    assert code == 1  # no admin in this desk's console yet: refused
    code, out, _ = await asyncio.to_thread(export, r, capsys, days=(days + 10, 0))
    records = jsonl(out)
    assert [(x["record"], x["id"]) for x in records] == [("question", kept)]
    assert "minat baca" not in out and "arsip dinamis" not in out
