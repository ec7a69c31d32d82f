"""What patrons read from the desk's services: in their language (letters in the library's), saying
when the desk is closed, and telling them what else the desk can do."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from connectors.koha.library import KohaLibrary
from connectors.whatsapp import WhatsAppChannel
from refbot.config import DeskSettings
from refbot.decisions import requests
from refbot.desk.erasure import is_erasure
from refbot.desk.routing import Desk
from refbot.sandbox.graph import GRAPH_STATE, create_graph_standin
from refbot.sandbox.koha import KOHA_STATE, create_koha_standin
from refbot.services.codes import parse_code
from refbot.store import Store
from refbot.wiring import desk_services
from tests.conftest import serve
from tests.services.conftest import (
    APP_SECRET,
    CLEAR_PATRON,
    KOHA_ID,
    KOHA_SECRET,
    LIBRARIAN,
    LIMIT_PATRON,
    MEDIA_TOKEN,
    PATRON,
    PHONE_NUMBER_ID,
    STRANGER,
    Harness,
    MediaStandin,
    render_text_image,
    service_settings,
)
from tests.services.test_letters import pdf_text, request_letter, sent_pdf

JAKARTA = ZoneInfo("Asia/Jakarta")


@contextlib.asynccontextmanager
async def desk_with(tmp_path: Path, **sections: Any) -> AsyncIterator[Harness]:
    """The services harness with some settings sections replaced (``desk=…``, ``letters=…``)."""
    koha_app = create_koha_standin(KOHA_ID, KOHA_SECRET)
    graph_app = create_graph_standin(MEDIA_TOKEN, APP_SECRET, PHONE_NUMBER_ID)
    koha_runner, koha_url = await serve(koha_app)
    graph_runner, graph_url = await serve(graph_app)
    base = service_settings(tmp_path, koha_url, graph_url)
    settings = replace(base, **{name: change(getattr(base, name)) for name, change in sections.items()})
    store = await Store.open(settings.path(settings.store.path))
    try:
        async with aiohttp.ClientSession() as session:
            library = KohaLibrary(settings.koha, settings.secrets.koha_client_id,
                                  settings.secrets.koha_client_secret, session)
            channel = WhatsAppChannel(settings.whatsapp, settings.secrets.whatsapp_token,
                                      settings.secrets.whatsapp_app_secret, session)
            desk = Desk(store, [], settings, services=desk_services(settings, store, channel, library))
            yield Harness(desk, store, settings, koha_app[KOHA_STATE], koha_url, MediaStandin(graph_app[GRAPH_STATE]))
    finally:
        await store.close()
        await graph_runner.cleanup()
        await koha_runner.cleanup()


def closed_today_and_tomorrow(desk: DeskSettings) -> DeskSettings:
    today = dt.datetime.now(JAKARTA).date()
    return replace(desk, office_hours=("mon-sun 08:00-16:00",),
                   holidays=(str(today), str(today + dt.timedelta(days=1))))


def open_all_day(desk: DeskSettings) -> DeskSettings:
    return replace(desk, office_hours=("mon-sun 00:00-23:59",), holidays=(), hold_librarian_notices=False)


def the_day_after_tomorrow(language: str) -> str:
    day = dt.datetime.now(JAKARTA).date() + dt.timedelta(days=2)
    months = {"id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember",
              "en": "January February March April May June July August September October November December"}
    return f"{day.day} {months[language].split()[day.month - 1]} {day.year}"


# -- 5: the language a patron is answered in, and the language of official letters -----------------

async def test_delete_my_data_is_answered_in_english_and_hapus_data_in_indonesian(harness: Harness) -> None:
    await harness.send("DELETE MY DATA", sender=STRANGER)
    assert "Reply *YES DELETE*" in (await harness.last(STRANGER)).text
    await harness.send("YES DELETE", sender=STRANGER)
    assert (await harness.last(STRANGER)).text.startswith("Your data has been erased")

    await harness.send("hapus data saya")
    assert "Balas *YA HAPUS*" in (await harness.last(PATRON)).text


async def test_a_patron_who_chose_english_is_asked_in_english_whatever_they_type(harness: Harness) -> None:
    await harness.send("BAHASA#EN")
    await harness.send("HAPUS DATA")
    assert "YES DELETE" in (await harness.last(PATRON)).text


async def test_a_letter_is_in_the_librarys_language_though_the_patron_writes_english(harness: Harness) -> None:
    inbox_id = await harness.send("CLEARANCE", sender=CLEAR_PATRON)  # the English keyword
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.language == "en"
    assert "has gone to a librarian" in (await harness.last(CLEAR_PATRON)).text  # the chat: the patron's language
    await harness.press(f"letter-approve:{request.id}")
    letter = await harness.last(CLEAR_PATRON)
    assert letter.document is not None
    text = pdf_text(await sent_pdf(harness, letter.document))
    assert "SURAT KETERANGAN BEBAS PUSTAKA" in text and "LIBRARY CLEARANCE" not in text


async def test_letters_language_setting_writes_letters_in_english(tmp_path: Path) -> None:
    async with desk_with(tmp_path, letters=lambda s: replace(s, language="en")) as harness:
        await harness.press(f"letter-approve:{await request_letter(harness)}")  # asked in Indonesian
        letter = await harness.last(CLEAR_PATRON)
        assert letter.document is not None
        text = pdf_text(await sent_pdf(harness, letter.document))
        month = dt.datetime.now(JAKARTA).strftime("%B")  # English month names: Python's C locale
        assert "LIBRARY CLEARANCE LETTER" in text and "SURAT KETERANGAN" not in text and month in text


# -- 13: one way to say when the desk opens, and saying it for snaps and letters too ----------------

async def test_snap_and_clearance_acknowledgements_say_the_desk_is_closed_and_when_it_opens(tmp_path: Path) -> None:
    async with desk_with(tmp_path, desk=closed_today_and_tomorrow) as harness:
        media_id = harness.media.add(render_text_image(["Login gagal"]), "image/png")
        await harness.send("", type="image", media_id=media_id, mime_type="image/png")
        snap_ack = (await harness.last(PATRON)).text
        assert "gambar Anda sudah kami terima" in snap_ack and "di luar jam layanan" in snap_ack
        assert f"{the_day_after_tomorrow('id')} pukul 08:00" in snap_ack  # the long date, as elsewhere

        await harness.send("CLEARANCE", sender=CLEAR_PATRON)
        letter_ack = (await harness.last(CLEAR_PATRON)).text
        assert "The desk is closed now" in letter_ack and f"{the_day_after_tomorrow('en')} at 08:00" in letter_ack


async def test_acknowledgements_while_open_say_nothing_of_closing(tmp_path: Path) -> None:
    async with desk_with(tmp_path, desk=open_all_day) as harness:
        if dt.datetime.now(JAKARTA).strftime("%H:%M") == "23:59":
            return  # the one minute the desk is shut
        await request_letter(harness)
        assert "di luar jam layanan" not in (await harness.last(CLEAR_PATRON)).text


async def test_the_renewal_count_is_inside_the_sentence(harness: Harness) -> None:
    await harness.send("RENEW#B0005", sender=LIMIT_PATRON)
    refused = (await harness.last(LIMIT_PATRON)).text
    assert "tercapai (sudah diperpanjang 2 dari 2 kali). Batas kembali tetap" in refused
    assert ". (" not in refused


# -- 14: the menu tells a patron everything the desk does, and each thing it names works ------------

async def test_the_menu_names_exports_history_erasure_and_the_card_code(harness: Harness) -> None:
    await harness.send("MENU")
    menu = (await harness.last(PATRON)).text
    for word in ("RIS", "BIBTEX", "RIWAYAT", "HAPUS DATA", "KODE#"):
        assert word in menu, word
    assert is_erasure("HAPUS DATA")
    code = parse_code("KODE#123456")
    assert code is not None and code.command.value == "confirm"

    await harness.send("RIS")  # what the menu promises answers, rather than being taken for a question
    assert "balas RIS atau BibTeX" in (await harness.last(PATRON)).text

    await harness.send("help", sender=STRANGER)
    english = (await harness.last(STRANGER)).text
    for word in ("RIS", "BIBTEX", "HISTORY", "DELETE MY DATA", "CODE#"):
        assert word in english, word
    assert LIBRARIAN not in english
