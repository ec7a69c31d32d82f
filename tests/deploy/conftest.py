"""What the deployment tests share: where the repository is, and a copy of it to build from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
# Not part of the source: the developer's virtualenv, caches, state and earlier build output.
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__",
                                     ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis")


def not_source(folder: str, names: list[str]) -> set[str]:
    """What a source copy leaves out: caches, builds, and a built catalog index (``indexes/catalog``), not ``refbot/catalog``."""
    ignored = set(_NOT_SOURCE(folder, names))
    if Path(folder).name == "indexes":
        ignored.add("catalog")
    return ignored


def tool(name: str) -> str:
    """The path of a program the test drives, or skip naming the Debian package that brings it."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.skip(f"{name} is not installed (make system-deps installs it)")
    return found


def source_copy(target: Path) -> Path:
    """A copy of the source tree, so a build writes its build/ and egg-info there, not here."""
    shutil.copytree(REPO, target, ignore=not_source)
    return target
