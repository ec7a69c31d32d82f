"""One install path: `make install`, `make system-deps` and the image all go through deploy/install.sh
and the versions pinned in constraints.txt; the example configurations are ones refbot accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from refbot.config import load_settings
from tests.deploy.conftest import DEPLOY, REPO, tool

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.11 has it
    pytest.skip("tomllib needs Python 3.11", allow_module_level=True)

SCRIPT = "deploy/install.sh"


def _make_dry_run(folder: Path, *targets: str) -> str:
    """What make would run for ``targets`` in ``folder`` (nothing is run)."""
    done = subprocess.run([tool("make"), "-n", *targets], cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _makefile_copy(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml", "constraints.txt", SCRIPT):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def _containerfile_runs() -> list[str]:
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line[4:] for line in text.splitlines() if line.startswith("RUN ")]


def test_the_makefile_and_the_image_install_through_the_same_script(tmp_path: Path) -> None:
    planned = _make_dry_run(_makefile_copy(tmp_path), "-B", "install", "system-deps")
    assert re.search(rf"{SCRIPT} python \.venv test --editable", planned), planned
    assert re.search(rf"{SCRIPT} debian .*chromium", planned), planned
    runs = " ".join(_containerfile_runs())
    assert re.search(rf"/opt/refbot/src/{SCRIPT} debian .*python3-venv", runs), runs
    assert re.search(rf"/opt/refbot/src/{SCRIPT} python /opt/refbot/venv(\s|$)", runs), runs
    assert "pip install" not in runs and "apt-get install" not in runs, "the image must not install another way"


def test_the_script_installs_from_the_pinned_versions() -> None:
    script = (REPO / SCRIPT).read_text(encoding="utf-8")
    installs = [line for line in script.splitlines() if "pip install" in line]
    assert installs and all('-c "$here/constraints.txt"' in line for line in installs), installs


def test_the_install_is_redone_when_the_pinned_versions_change(tmp_path: Path) -> None:
    folder = _makefile_copy(tmp_path)
    stamp = re.search(r"touch (\.venv/\.installed-\S+)", _make_dry_run(folder, "install"))
    assert stamp is not None
    (folder / stamp.group(1)).parent.mkdir(parents=True)
    (folder / stamp.group(1)).touch()
    assert SCRIPT not in _make_dry_run(folder, "install"), "installed and unchanged: nothing to do"
    lock = folder / "constraints.txt"
    lock.write_text(lock.read_text(encoding="utf-8").replace("aiohttp==", "aiohttp===", 1), encoding="utf-8")
    assert SCRIPT in _make_dry_run(folder, "install")


def test_the_lock_pins_every_dependency_and_test_tool_within_what_pyproject_allows() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            name, version = line.split("==")
            pins[_normal(name)] = version.strip()
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        wanted = Requirement(text)
        pinned = pins.get(_normal(wanted.name))
        assert pinned is not None, f"{wanted.name} is not in constraints.txt: run make lock"
        assert wanted.specifier.contains(pinned, prereleases=True), f"{wanted.name}=={pinned} breaks {wanted}: make lock"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("example", ["config.example.yaml", "container/config.yaml"])
def test_the_example_configurations_start_and_keep_everything_in_the_state_folder(example: str) -> None:
    settings = load_settings(DEPLOY / example, env={})  # its rules checked; nothing created on this machine
    assert not settings.sandbox.enabled
    for written in (settings.store_location, settings.path(settings.catalog.index_dir), settings.data_dir):
        assert Path(written).is_relative_to("/var/lib/refbot"), written
    assert settings.public_url.startswith("https://")


def test_the_containers_run_the_worker_apart_and_the_servers_one_in_the_web_process() -> None:
    assert load_settings(DEPLOY / "container/config.yaml", env={}).worker.mode == "none"
    assert load_settings(DEPLOY / "config.example.yaml", env={}).worker.mode == "process"
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert 'command: ["refbot", "worker"]' in compose and "REFBOT_STORE_URL: postgresql://" in compose
