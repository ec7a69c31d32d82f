"""``refbot librarian add|password|remove|list``."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from refbot.cli import main
from refbot.store import Store
from refbot.web.console import accounts


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("store:\n  path: refbot.sqlite3\n", encoding="utf-8")
    return path


def run(config: Path, *args: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["librarian", *args, "--config", str(config)])


def test_add_list_password_remove(config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "add", "Dewi", "--name", "Dewi Lestari", "--password-stdin", stdin="kata-sandi-rahasia\n",
               monkeypatch=monkeypatch) == 0
    assert run(config, "add", "admin", "--admin", stdin="kata-sandi-admin\n", monkeypatch=monkeypatch) == 0
    assert "Added librarian 'dewi'" in capsys.readouterr().out

    assert run(config, "list", "--json", monkeypatch=monkeypatch) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(a["username"], a["role"], a["name"]) for a in listed] == [
        ("admin", "admin", ""), ("dewi", "librarian", "Dewi Lestari")]
    assert "hash" not in json.dumps(listed)

    assert run(config, "password", "dewi", stdin="sandi-yang-baru\n", monkeypatch=monkeypatch) == 0
    assert _authenticates(config, "dewi", "sandi-yang-baru")
    assert not _authenticates(config, "dewi", "kata-sandi-rahasia")

    assert run(config, "remove", "dewi", monkeypatch=monkeypatch) == 0
    assert run(config, "remove", "dewi", monkeypatch=monkeypatch) == 1
    assert "no account 'dewi'" in capsys.readouterr().err


def test_add_refuses_weak_passwords_and_duplicates(config: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "add", "dewi", stdin="pendek\n", monkeypatch=monkeypatch) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert run(config, "add", "dewi", stdin="kata-sandi-rahasia\n", monkeypatch=monkeypatch) == 0
    assert run(config, "add", "DEWI", stdin="kata-sandi-rahasia\n", monkeypatch=monkeypatch) == 1
    assert "already an account 'dewi'" in capsys.readouterr().err
    assert run(config, "add", "<script>", stdin="kata-sandi-rahasia\n", monkeypatch=monkeypatch) == 1


def test_audit_trail_records_account_changes(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(config, "add", "dewi", stdin="kata-sandi-rahasia\n", monkeypatch=monkeypatch)
    run(config, "remove", "dewi", monkeypatch=monkeypatch)

    async def kinds() -> list[str]:
        store = await Store.open(config.parent / "refbot.sqlite3")
        try:
            return [e["kind"] for e in await store.events("account:dewi")]
        finally:
            await store.close()

    assert asyncio.run(kinds()) == ["account_add", "account_remove"]


def _authenticates(config: Path, username: str, password: str) -> bool:
    async def check() -> bool:
        store = await Store.open(config.parent / "refbot.sqlite3")
        try:
            return await accounts.authenticate(store, username, password) is not None
        finally:
            await store.close()

    return asyncio.run(check())
