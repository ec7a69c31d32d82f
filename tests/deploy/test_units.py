"""The systemd units an IT officer installs: systemd itself must accept them, hardening included."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from refbot.config import SECRET_ENV
from tests.deploy.conftest import DEPLOY, tool

UNITS = ("refbot.service", "refbot-worker@.service")
INSTALLED = "/opt/refbot/venv/bin/refbot"


def _settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _as_here(unit: str, folder: Path, name: str | None = None) -> Path:
    """The unit with its refbot at this checkout's (systemd checks that ExecStart can run)."""
    text = (DEPLOY / unit).read_text(encoding="utf-8")
    assert INSTALLED in text, f"{unit} no longer starts {INSTALLED}; update this test with it"
    copy = folder / (name or unit)
    copy.write_text(text.replace(INSTALLED, str(Path(sys.executable).parent / "refbot")), encoding="utf-8")
    return copy


def test_systemd_accepts_the_units_without_a_complaint(tmp_path: Path) -> None:
    # systemd-analyze verify works without systemd running as PID 1 (containers, CI). It exits 0
    # on an unknown key or a bad value and only prints a warning, so any output is a failure.
    analyze = tool("systemd-analyze")
    units = [_as_here("refbot.service", tmp_path), _as_here("refbot-worker@.service", tmp_path, "refbot-worker@2.service")]
    done = subprocess.run([analyze, "verify", *map(str, units)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done.stdout + done.stderr


def test_the_verification_would_catch_a_mistyped_unit(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    unit = _as_here("refbot.service", tmp_path)
    unit.write_text(unit.read_text(encoding="utf-8").replace("ProtectSystem=strict", "ProtectSystem=strictly"))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=120)
    assert "ProtectSystem" in done.stderr or "protect system" in done.stderr.lower()


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_runs_hardened_as_refbot_and_writes_only_its_state_folder(unit: str) -> None:
    s = _settings(unit)
    assert s["User"] == ["refbot"] and s["Group"] == ["refbot"]
    assert s["ProtectSystem"] == ["strict"] and s["ReadWritePaths"] == ["/var/lib/refbot"]
    assert s["StateDirectory"] == ["refbot"]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"):
        assert s[key] == ["yes"], key
    assert s["Restart"] == ["on-failure"]
    assert s["CapabilityBoundingSet"] == [""]


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_reads_the_config_file_and_the_secrets_file(unit: str) -> None:
    s = _settings(unit)
    assert "REFBOT_CONFIG=/etc/refbot/config.yaml" in s["Environment"]
    assert s["EnvironmentFile"] == ["/etc/refbot/refbot.env"]


def test_the_web_unit_serves_and_the_worker_units_work() -> None:
    assert _settings("refbot.service")["ExecStart"] == [f"{INSTALLED} serve"]
    assert _settings("refbot-worker@.service")["ExecStart"] == [f"{INSTALLED} worker"]


def test_the_secrets_example_lists_every_secret_refbot_reads_and_nothing_else() -> None:
    listed = re.findall(r"^(REFBOT_\w+)=", (DEPLOY / "refbot.env.example").read_text(encoding="utf-8"), re.M)
    assert sorted(listed) == sorted(SECRET_ENV.values())
