"""Clearance letters: the check, the librarian's approval, the PDF, and /verify over HTTP."""

from __future__ import annotations

import io
import re

import aiohttp
from pypdf import PdfReader

from refbot.decisions import requests
from refbot.models import Attachment
from refbot.services.letters.service import new_code
from refbot.store.media import media_store, store_folder
from refbot.web.verify import normalise_code
from tests.services.conftest import CLEAR_PATRON, LIBRARIAN, LIBRARIAN_2, PATRON, STRANGER, Harness


async def request_letter(harness: Harness, sender: str = CLEAR_PATRON) -> int:
    inbox_id = await harness.send("BEBASPUSTAKA", sender=sender)
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and request.kind == "letter"
    return request.id


async def sent_pdf(harness: Harness, document: Attachment) -> PdfReader:
    """The PDF a document message carries, read from where refbot keeps it."""
    data = await media_store(harness.settings, harness.store).get(document.path)
    assert data is not None, f"{document.path} is not kept"
    return PdfReader(io.BytesIO(data))


def pdf_text(pdf: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in pdf.pages)


async def test_a_patron_with_loans_and_fines_is_told_what_is_open(harness: Harness) -> None:
    inbox_id = await harness.send("bebas pustaka")
    text = (await harness.last(PATRON)).text
    assert "belum dapat diterbitkan" in text
    assert all(b in text for b in ("B0001", "B0002", "B0003")) and "Rp 4.000" in text
    assert await requests.for_inbox(harness.store, inbox_id) is None
    assert await harness.received(LIBRARIAN) == []


async def test_a_clear_patron_gets_a_pdf_letter_after_approval(harness: Harness, verify_url: str) -> None:
    request_id = await request_letter(harness)
    assert "diteruskan ke pustakawan" in (await harness.last(CLEAR_PATRON)).text
    draft = await harness.last(LIBRARIAN)
    assert "Andi Pratama" in draft.text and "2100002" in draft.text
    assert [b.id for b in draft.buttons] == [f"letter-approve:{request_id}", f"letter-reject:{request_id}"]

    await harness.press(f"letter-approve:{request_id}")
    letter = await harness.last(CLEAR_PATRON)
    assert letter.document is not None
    assert letter.document.mime_type == "application/pdf" and letter.document.filename == "bebas-pustaka-2100002.pdf"
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", letter.text)
    assert code is not None
    pdf = await sent_pdf(harness, letter.document)
    text = pdf_text(pdf)
    assert code[0] in text and "Andi Pratama" in text and "2100002" in text
    assert "SURAT KETERANGAN BEBAS PUSTAKA" in text and "UPT PERPUSTAKAAN UNIVERSITAS CONTOH" in text
    assert f"https://perpus.example.ac.id/verify/{code[0]}" in text
    number = re.search(r"Nomor: (\S+)", text)
    assert number is not None and re.fullmatch(r"001/BP/PERPUS/[IVX]+/20\d\d", number[1])
    assert pdf.pages[0].images  # the QR code
    assert "diterbitkan dengan nomor 001/BP/PERPUS" in (await harness.last(LIBRARIAN)).text

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{verify_url}/verify/{code[0]}") as resp:
            page = await resp.text()
            assert resp.status == 200 and "ASLI" in page and "Andi Pratama" in page and number[1] in page
        async with http.get(f"{verify_url}/verify/{code[0].lower().replace('-', '')}") as resp:
            assert resp.status == 200  # as typed from the paper
        async with http.get(f"{verify_url}/verify/{code[0]}", headers={"Accept": "application/json"}) as resp:
            assert (await resp.json()) | {"issued": ""} == {
                "genuine": True, "number": number[1], "name": "Andi Pratama", "cardnumber": "2100002",
                "code": code[0], "issued": "",
            }


async def test_verification_refuses_a_forged_code(harness: Harness, verify_url: str) -> None:
    request_id = await request_letter(harness)
    await harness.press(f"letter-approve:{request_id}")
    forged = new_code()
    async with aiohttp.ClientSession() as http:
        for code in (forged, "BUKAN-KODE", "<img src=x onerror=alert(1)>"):
            async with http.get(f"{verify_url}/verify/{code}") as resp:
                page = await resp.text()
                assert resp.status == 404 and "TIDAK ASLI" in page and "<img" not in page
        async with http.get(f"{verify_url}/verify/{forged}", headers={"Accept": "application/json"}) as resp:
            assert resp.status == 404 and (await resp.json())["genuine"] is False


async def test_numbers_run_on_through_the_year(harness: Harness) -> None:
    first = await request_letter(harness)
    await harness.press(f"letter-approve:{first}")
    second = await request_letter(harness)
    await harness.press(f"letter-approve:{second}")
    numbers = [r["number"] for r in await harness.store.fetchall("SELECT number FROM letters ORDER BY id")]
    assert [n.split("/")[0] for n in numbers] == ["001", "002"]


async def test_approving_twice_issues_one_letter(harness: Harness) -> None:
    request_id = await request_letter(harness)
    await harness.press(f"letter-approve:{request_id}")
    await harness.press(f"letter-approve:{request_id}", sender=LIBRARIAN_2)
    assert "sudah disetujui oleh Dewi" in (await harness.last(LIBRARIAN_2)).text
    assert len(await harness.store.fetchall("SELECT id FROM letters")) == 1
    assert sum(m.document is not None for m in await harness.received(CLEAR_PATRON)) == 1


async def test_a_loan_made_before_approval_stops_the_letter(harness: Harness) -> None:
    request_id = await request_letter(harness)
    from refbot.sandbox.koha import KohaCheckout

    now = harness.koha.clock()
    harness.koha.checkouts[99] = KohaCheckout(99, 2, 4, now, now)
    await harness.press(f"letter-approve:{request_id}")
    assert "kini memiliki pinjaman" in (await harness.last(LIBRARIAN)).text
    assert await harness.store.fetchall("SELECT id FROM letters") == []
    assert (await requests.get(harness.store, request_id)).status == "pending"  # type: ignore[union-attr]


async def test_rejecting_tells_the_patron_and_no_letter_exists(harness: Harness) -> None:
    request_id = await request_letter(harness)
    await harness.press(f"letter-reject:{request_id}")
    assert "Pustakawan akan menghubungi Anda" in (await harness.last(CLEAR_PATRON)).text
    assert await harness.store.fetchall("SELECT id FROM letters") == []


async def test_koha_down_sends_an_unchecked_draft_that_is_checked_on_approval(harness: Harness) -> None:
    await harness.koha_fault(down=True)
    request_id = await request_letter(harness)
    assert "pustakawan akan memeriksanya" in (await harness.last(CLEAR_PATRON)).text
    assert "belum diperiksa" in (await harness.last(LIBRARIAN)).text
    await harness.press(f"letter-approve:{request_id}")
    assert "masih belum dapat dihubungi" in (await harness.last(LIBRARIAN)).text
    await harness.koha_fault()
    await harness.press(f"letter-approve:{request_id}")
    assert (await harness.last(CLEAR_PATRON)).document is not None


async def test_a_number_without_a_card_is_told_to_link_it(harness: Harness) -> None:
    await harness.send("CLEARANCE", sender=STRANGER)
    assert "REGISTER#" in (await harness.last(STRANGER)).text


def test_codes_are_normalised_as_typed() -> None:
    assert normalise_code("k7qm 2xwd-9rta") == "K7QM-2XWD-9RTA"
    assert normalise_code("K7QM-2XWD") == ""
    code = new_code()
    assert normalise_code(code) == code and len(code) == 14


async def test_letters_are_kept_beside_the_database(harness: Harness) -> None:
    request_id = await request_letter(harness)
    await harness.press(f"letter-approve:{request_id}")
    row = await harness.store.fetchone("SELECT code, path FROM letters")
    assert row is not None and row["path"] == f"letters/{row['code']}.pdf"
    kept = store_folder(harness.settings) / "letters" / f"{row['code']}.pdf"  # where letters have always been
    assert kept.read_bytes().startswith(b"%PDF")
