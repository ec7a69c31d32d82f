"""Settings: declared once, checked at start, secrets only from the environment, all documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from refbot.cli import build_parser
from refbot.config import ConfigError, Secret, describe, load_settings

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads() -> None:
    settings = load_settings(REPO / "config.yaml", env={})
    assert settings.language.default == "id"
    assert settings.librarians and all(lib.phone.isdigit() for lib in settings.librarians)


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("server:\n  prot: 80\n", "server.prot", "unknown key"),
        ("colour: blue\n", "colour", "unknown key"),
        ("server:\n  port: eighty\n", "server.port", "expected int"),
        ("crossref:\n  enabled: 'yes'\n", "crossref.enabled", "expected bool"),
        ("librarians: {name: x}\n", "librarians", "expected a list"),
        ("librarians:\n  - {name: Dewi, phone: '62', desk: 2}\n", "librarians[0].desk", "unknown key"),
        ("secrets:\n  whatsapp_token: abc\n", "secrets", "environment"),
        ("- just\n- a list\n", "config.yaml", "mapping"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), env={})
    assert key in str(caught.value)
    assert problem in str(caught.value)


def test_numbers_are_forgiven_where_meaning_is_clear(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "search:\n  deadline: 5\nlibrarians:\n  - {name: A, phone: 6281}\n"), env={})
    assert settings.search.deadline == 5.0
    assert settings.librarians[0].phone == "6281"


def test_secrets_come_from_environment_and_hide_in_repr(tmp_path: Path) -> None:
    env = {"REFBOT_WHATSAPP_TOKEN": "EAAG-secret-token", "REFBOT_WHATSAPP_APP_SECRET": "app-secret"}
    settings = load_settings(write(tmp_path, "{}\n"), env=env)
    assert settings.secrets.whatsapp_token.get() == "EAAG-secret-token"
    assert "EAAG" not in repr(settings)
    assert not settings.secrets.whatsapp_verify_token
    assert repr(Secret("x")) == "Secret('**********')"


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "store:\n  path: var/db.sqlite3\n"), env={})
    assert settings.path(settings.store.path) == tmp_path / "var" / "db.sqlite3"


def test_every_setting_and_command_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [key for key, _, meaning in describe() if f"`{key}`" not in readme or not meaning]
    assert not missing, f"settings not in README.md: {missing}"
    parser = build_parser()
    commands = re.findall(r"^\s{4}(\w+)\s", parser.format_help(), re.MULTILINE)
    assert commands
    assert [c for c in commands if f"refbot {c}" not in readme] == []


@pytest.mark.parametrize("before", [True, False])
def test_config_option_works_before_or_after_the_command(tmp_path: Path, before: bool) -> None:
    from refbot.cli import main

    bad = write(tmp_path, "colour: blue\n")
    argv = ["--config", str(bad), "config"] if before else ["config", "--config", str(bad)]
    assert main(argv) == 2  # the named file was read, and its unknown key refused


@pytest.mark.parametrize(("text", "key"), [
    ("server: {port: -5}", "server.port"),
    ("server: {port: 70000}", "server.port"),
    ("worker: {concurrency: 0}", "worker.concurrency"),
    ("worker: {mode: threads}", "worker.mode"),
    ("language: {default: fr}", "language.default"),
    ("whatsapp: {messages_per_second: -1}", "whatsapp.messages_per_second"),
    ("desk: {timezone: Mars/Olympus}", "desk.timezone"),
    ("desk: {holidays: [soon]}", "desk.holidays"),
    ("crossref: {base_url: api.crossref.org}", "crossref.base_url"),
    ("match: {duplicate_threshold: 150}", "match.duplicate_threshold"),
])
def test_a_value_that_cannot_work_is_refused_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"'{key}'")):
        load_settings(path, env={})


@pytest.mark.parametrize(("text", "key"), [
    ('desk: {office_hours: ["garbage"]}', "desk.office_hours"),
    ("store: {path: a-file/refbot.sqlite3}", "store.path"),
])
def test_refbot_serve_with_a_bad_setting_exits_at_once_naming_it(tmp_path: Path, text: str, key: str) -> None:
    import subprocess
    import sys

    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(text + "\nserver: {port: 18999}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "refbot.cli", "serve", "--config", str(config)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2
    assert f"'{key}'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "var").exists(), "nothing is opened before the settings are checked"


def test_libraries_that_log_request_urls_with_patrons_words_are_kept_quiet() -> None:
    import logging

    from refbot.logs import QUIET, configure_logging

    configure_logging(logging.INFO)
    assert "httpx2" in QUIET
    assert all(logging.getLogger(name).getEffectiveLevel() >= logging.WARNING for name in QUIET)
