"""The worker a deployment runs is given every part the desk's services need."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from refbot.config import Secret, load_settings
from refbot.wiring import build_services
from refbot.worker.loops import Worker


async def test_a_library_with_turnitin_has_its_checks_advanced_by_the_workers_chores(tmp_path: Path) -> None:
    # Without this, manuscripts sent to Turnitin would wait there for ever: only the chores poll them.
    settings = load_settings(None, env={})
    settings = replace(
        settings, base_dir=str(tmp_path), crossref=replace(settings.crossref, enabled=False),
        store=replace(settings.store, path=str(tmp_path / "refbot.sqlite3")),
        similarity=replace(settings.similarity, turnitin=True, turnitin_base_url="http://127.0.0.1:9/tca"),
        secrets=replace(settings.secrets, turnitin_api_key=Secret("tca-key")),
    )
    services = await build_services(settings)
    try:
        assert services.similarity is not None
        assert Worker.from_services(services).chores.similarity is services.similarity
        manual = replace(settings, similarity=replace(settings.similarity, turnitin=False))
        plain = await build_services(replace(manual, store=replace(settings.store, path=str(tmp_path / "b.sqlite3"))))
        try:
            assert plain.similarity is None and Worker.from_services(plain).chores.similarity is None
        finally:
            await plain.close()
    finally:
        await services.close()
