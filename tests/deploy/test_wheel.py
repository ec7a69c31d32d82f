"""The built wheel, which the image and a server install from: it must carry everything refbot reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.deploy.conftest import REPO, source_copy


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    folder = tmp_path_factory.mktemp("wheel")
    source = source_copy(folder / "source")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                           "-w", str(folder / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = (folder / "dist").glob("refbot-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_the_licence_and_the_type_marker(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    assert "refbot/py.typed" in names


def test_the_wheel_carries_every_data_file_of_the_source(wheel: zipfile.ZipFile) -> None:
    # Migrations, templates, static files, texts, the demo catalog: every file that is not Python.
    data = sorted(str(p.relative_to(REPO)) for p in (REPO / "refbot").rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts)
    assert "refbot/data/demo_catalog.xml" in data
    assert any(p.endswith(".sql") for p in data) and any(p.endswith(".html") for p in data)
    missing = set(data) - set(wheel.namelist())
    assert not missing, f"not in the wheel (pyproject.toml's package-data): {sorted(missing)}"


def test_the_wheel_carries_the_connectors(wheel: zipfile.ZipFile) -> None:
    modules = sorted(str(p.relative_to(REPO)) for p in (REPO / "connectors").rglob("*.py"))
    assert modules and not set(modules) - set(wheel.namelist())
