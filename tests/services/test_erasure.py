"""HAPUS DATA across the desk services: the card link, suggestions and requests go; an issued letter stays genuine."""

from __future__ import annotations

import re

import aiohttp

from refbot.decisions import requests
from tests.services.conftest import LIBRARIAN, PATRON, STRANGER, Harness


async def tables_holding(harness: Harness, fragment: str) -> set[str]:
    """The tables of the store with ``fragment`` in any value."""
    found = set()
    for table in await harness.store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in await harness.store.fetchall(f"SELECT * FROM {table['name']}"):
            if any(fragment in str(value) for value in tuple(row)):
                found.add(table["name"])
    return found


async def erase(harness: Harness, phone: str) -> None:
    await harness.send("HAPUS DATA", sender=phone)
    await harness.send("YA HAPUS", sender=phone)
    assert "sudah kami hapus" in (await harness.last(phone)).text


async def test_erasure_unlinks_the_card_and_forgets_requests_but_the_letter_still_verifies(
    harness: Harness, verify_url: str,
) -> None:
    await harness.send("DAFTAR#2100003", sender=STRANGER, name="Budi S")
    code = (await harness.last(LIBRARIAN)).text.split("KODE#")[1][:6]
    await harness.send(f"KODE#{code}", sender=STRANGER)
    await harness.send("USUL#Sejarah pers Semarang 1920an", sender=STRANGER)
    await harness.send("USUL#Metodologi Penelitian, ISBN 978-0-306-40615-7")
    letter_request = await requests.for_inbox(harness.store, await harness.send("BEBASPUSTAKA", sender=STRANGER))
    assert letter_request is not None
    await harness.press(f"letter-approve:{letter_request.id}")
    letter_code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", (await harness.last(STRANGER)).text)
    assert letter_code is not None

    await erase(harness, STRANGER)

    assert await tables_holding(harness, "Sejarah pers") == set()
    assert await tables_holding(harness, "Budi S\"") == set()  # the WhatsApp profile name
    assert await tables_holding(harness, "Budi Santoso") == {"letters"}
    assert await tables_holding(harness, STRANGER) == {"outbox"}  # only the goodbye, to be delivered
    await harness.send("USUL", sender=LIBRARIAN)
    listing = (await harness.last(LIBRARIAN)).text
    assert "Usulan pengadaan terbaru (1)" in listing and "Metodologi Penelitian" in listing
    assert await tables_holding(harness, PATRON)  # another patron is untouched
    async with aiohttp.ClientSession() as http, http.get(f"{verify_url}/verify/{letter_code[0]}",
                                                         headers={"Accept": "application/json"}) as resp:
        assert resp.status == 200 and (await resp.json())["name"] == "Budi Santoso"

    await harness.send("PINJAMAN", sender=STRANGER)  # the card is no longer linked to the number
    assert "DAFTAR#" in (await harness.last(STRANGER)).text


async def test_a_request_waiting_for_a_librarian_is_withdrawn(harness: Harness) -> None:
    inbox_id = await harness.send("DAFTAR#2100003", sender=STRANGER)
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None

    await erase(harness, STRANGER)
    await harness.press(f"link-approve:{request.id}")

    assert "pemustaka menghapus datanya" in (await harness.last(LIBRARIAN)).text
    assert await harness.store.fetchone("SELECT 1 FROM card_links") is None
    assert [m.text for m in await harness.received(STRANGER) if "terhubung" in m.text] == []
