"""The services inside a running refbot, wired from its settings alone: signed webhook in, Graph API stand-in out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.koha.library import KohaLibrary
from refbot.config import KohaSettings, Secret, Secrets
from refbot.sandbox.koha import create_koha_standin
from tests.conftest import APP_SECRET, LIBRARIAN, PATRON, TOKEN, VERIFY_TOKEN, Desk, eventually, running_desk, serve


@pytest.fixture
async def koha_url() -> AsyncIterator[str]:
    app = create_koha_standin("refbot", "s3cret")
    runner, url = await serve(app)
    yield url
    await runner.cleanup()


@pytest.fixture
async def desk(tmp_path: Path, catalog_dir: Path, koha_url: str) -> AsyncIterator[Desk]:
    """refbot with Koha configured in its settings, as a library would configure it."""
    secrets = Secrets(Secret(TOKEN), Secret(APP_SECRET), Secret(VERIFY_TOKEN),
                      koha_client_id=Secret("refbot"), koha_client_secret=Secret("s3cret"))
    async with running_desk(tmp_path, catalog_dir, koha=KohaSettings(enabled=True, base_url=koha_url),
                            secrets=secrets) as running:
        yield running


async def test_codes_and_buttons_travel_the_whole_way(desk: Desk) -> None:
    await desk.patron_says("RENEW#B0001")

    async def renewed() -> bool:
        return any("Perpanjangan berhasil" in m.get("text", "") for m in await desk.sent_to(PATRON))

    await eventually(renewed, what="the renewal answer to reach the patron through the Graph stand-in")

    await desk.patron_says("BEBASPUSTAKA", sender="6281200000002")

    async def drafted() -> list[dict[str, object]]:
        return [m for m in await desk.sent_to(LIBRARIAN) if m.get("buttons")]

    draft = (await eventually(drafted, what="the letter draft with buttons"))[-1]
    buttons = draft["buttons"]
    assert isinstance(buttons, list) and buttons[0]["id"].startswith("letter-approve:")
    await desk.press(buttons[0]["id"])

    async def letter() -> bool:
        return any("Kode verifikasi" in m.get("text", "") for m in await desk.sent_to("6281200000002"))

    await eventually(letter, what="the letter's caption to reach the patron")


async def test_the_koha_standin_works_mounted_under_the_sandbox() -> None:
    import aiohttp
    from aiohttp import web

    from refbot.config import KohaSettings

    parent = web.Application()
    parent.add_subapp("/sandbox/koha", create_koha_standin("refbot", "s3cret"))
    runner, url = await serve(parent)
    try:
        async with aiohttp.ClientSession() as http:
            library = KohaLibrary(KohaSettings(enabled=True, base_url=f"{url}/sandbox/koha"),
                                  Secret("refbot"), Secret("s3cret"), http)
            assert [loan.barcode for loan in await library.loans("1")] == ["B0003", "B0002", "B0001"]
    finally:
        await runner.cleanup()
