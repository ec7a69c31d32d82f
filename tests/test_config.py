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


def test_any_setting_is_overridden_from_the_environment_typed_as_the_setting(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  port: 8080\nwhatsapp:\n  phone_number_id: '111'\n")
    settings = load_settings(path, env={
        "REFBOT_SERVER__PORT": "8099", "REFBOT_CROSSREF__ENABLED": "no", "REFBOT_SEARCH__DEADLINE": "4.5",
        # A number with a leading zero stays the text it is (YAML would read 0712 as an octal number).
        "REFBOT_WHATSAPP__PHONE_NUMBER_ID": "0712", "REFBOT_SERVER__TRUSTED_PROXIES": "[127.0.0.1, 10.0.0.0/8]",
        "REFBOT_STORE_URL": "postgresql://refbot:rahasia@db/refbot",  # a secret, not an override
    })
    assert settings.server.port == 8099 and settings.crossref.enabled is False and settings.search.deadline == 4.5
    assert settings.whatsapp.phone_number_id == "0712"
    assert settings.server.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")
    assert settings.secrets.store_url.get().endswith("@db/refbot")


def test_a_library_of_a_consortium_is_overridden_by_its_id(tmp_path: Path) -> None:
    path = write(tmp_path, "libraries:\n  - {id: undip, whatsapp: {phone_number_id: '1'}}\n"
                           "  - {id: unnes, whatsapp: {phone_number_id: '2'}}\n")
    settings = load_settings(path, env={"REFBOT_LIBRARIES__UNNES__WHATSAPP__PHONE_NUMBER_ID": "222"})
    assert [lib.settings.whatsapp.phone_number_id for lib in settings.libraries] == ["1", "222"]
    with pytest.raises(ConfigError, match=r"REFBOT_LIBRARIES__UNAIR__WHATSAPP__PHONE_NUMBER_ID.*no library"):
        load_settings(path, env={"REFBOT_LIBRARIES__UNAIR__WHATSAPP__PHONE_NUMBER_ID": "3"})


@pytest.mark.parametrize(("var", "text", "says"), [
    ("REFBOT_SERVER__PROT", "8081", "no such setting; known here: host, port"),
    ("REFBOT_SERVER__PORT", "delapan", "expected a number"),
    ("REFBOT_SERVER__PORT", "70000", "must be between 1 and 65535"),
    ("REFBOT_CROSSREF__ENABLED", "mungkin", "expected true or false"),
    ("REFBOT_SERVER_PORT", "8081", "two underscores, e.g. REFBOT_SERVER__PORT"),  # a misspelt override
    ("REFBOT_WHATSAP_TOKEN", "EAAG", "the secrets are REFBOT_WHATSAPP_TOKEN"),  # a misspelt secret
    ("REFBOT_SERVER__", "x", "no such setting"),
    ("REFBOT_SECRETS__WHATSAPP_TOKEN", "x", "no such setting"),
])
def test_a_wrong_override_stops_start_up_naming_the_variable(
        tmp_path: Path, var: str, text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)) as caught:
        load_settings(None, env={var: text})
    assert var in str(caught.value) or "server.port" in str(caught.value)
    assert load_settings(None, env={"REFBOT_CONFIG": "elsewhere.yaml", "REFBOT_WHATSAPP_TOKEN": "EAAG"})


def test_refbot_config_says_where_each_value_came_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from refbot.cli import main

    path = write(tmp_path, "server:\n  host: 0.0.0.0\nstore:\n  url: postgresql://refbot:rahasia@db/refbot\n")
    monkeypatch.setenv("REFBOT_SERVER__PORT", "8099")
    monkeypatch.setenv("REFBOT_WHATSAPP_TOKEN", "EAAG-rahasia")
    assert main(["config", "--config", str(path)]) == 0
    lines = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert lines["server.host"][1:3] == ["'0.0.0.0'", "config.yaml"]
    assert lines["server.port"][1:3] == ["8099", "REFBOT_SERVER__PORT"]
    assert lines["catalog.timeout"][1:3] == ["3.0", "default"]
    assert lines["REFBOT_WHATSAPP_TOKEN"][1] == "set" and lines["REFBOT_KOHA_CLIENT_ID"][1:3] == ["not", "set"]
    # A password written into a URL is never printed.
    assert "rahasia" not in " ".join(" ".join(v) for v in lines.values())
