"""The services inside a running refbot: signed webhook in, Graph API stand-in out.

Until ``refbot/app.py`` registers the services itself, the test hands them to the running
desk; everything else — webhook, worker, outbox, sender, channel — is the real service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.koha.library import KohaLibrary
from refbot.config import Secret
from refbot.sandbox.koha import create_koha_standin
from refbot.wiring import desk_services
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually, serve


@pytest.fixture
async def koha_url() -> AsyncIterator[str]:
    app = create_koha_standin("refbot", "s3cret")
    runner, url = await serve(app)
    yield url
    await runner.cleanup()


async def test_codes_and_buttons_travel_the_whole_way(desk: Desk, koha_url: str) -> None:
    services = desk.services
    settings = services.settings
    library = KohaLibrary(
        type(settings.koha)(enabled=True, base_url=koha_url), Secret("refbot"), Secret("s3cret"), services.session)
    services.desk.services = desk_services(settings, services.store, services.channel, library)

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
