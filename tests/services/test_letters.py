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
                "genuine": True, "valid": True, "replaced_by": "", "replaces": "", "number": number[1],
                "name": "Andi Pratama", "cardnumber": "2100002", "code": code[0], "issued": "",
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
    [old] = await harness.store.fetchall("SELECT number FROM letters")
    await harness.send(f"SURATULANG {old['number']}", sender=LIBRARIAN)
    numbers = [r["number"] for r in await harness.store.fetchall("SELECT number FROM letters ORDER BY id")]
    assert [n.split("/")[0] for n in numbers] == ["001", "002"]


# -- one open request and one valid letter per patron ----------------------------------------------


async def test_asking_twice_while_a_request_waits_names_the_waiting_request(harness: Harness) -> None:
    first = await request_letter(harness)
    second_inbox = await harness.send("BEBASPUSTKA", sender=CLEAR_PATRON)  # as typed on a phone
    assert await requests.for_inbox(harness.store, second_inbox) is None
    told = (await harness.last(CLEAR_PATRON)).text
    assert f"(#{first})" in told and "masih menunggu pustakawan" in told
    assert len([m for m in await harness.received(LIBRARIAN) if m.buttons]) == 1
    assert len(await harness.store.fetchall("SELECT id FROM service_requests WHERE kind = 'letter'")) == 1


async def test_a_patron_holding_a_valid_letter_is_told_its_number_and_link(harness: Harness) -> None:
    request_id = await request_letter(harness)
    await harness.press(f"letter-approve:{request_id}")
    [letter] = await harness.store.fetchall("SELECT number, code FROM letters")
    inbox_id = await harness.send("bebas pustaka", sender=CLEAR_PATRON)
    told = (await harness.last(CLEAR_PATRON)).text
    assert letter["number"] in told and f"https://perpus.example.ac.id/verify/{letter['code']}" in told
    assert await requests.for_inbox(harness.store, inbox_id) is None
    assert len(await harness.store.fetchall("SELECT id FROM letters")) == 1


async def test_approving_an_older_second_request_of_a_holder_issues_nothing(harness: Harness) -> None:
    first = await request_letter(harness)
    inbox = await harness.send("MENU", sender=STRANGER)
    async with harness.store.tx() as db:  # a second request opened before one letter per patron was the rule
        second = await requests.create(harness.store, db, inbox_id=inbox, kind="letter", patron=CLEAR_PATRON,
                                       language="id", detail={})
    assert second is not None
    await harness.press(f"letter-approve:{first}")
    await harness.press(f"letter-approve:{second}", sender=LIBRARIAN_2)
    [letter] = await harness.store.fetchall("SELECT number FROM letters")
    refused = (await harness.last(LIBRARIAN_2)).text
    assert f"Surat #{second} tidak diterbitkan" in refused and letter["number"] in refused and "SURATULANG" in refused
    assert sum(m.document is not None for m in await harness.received(CLEAR_PATRON)) == 1


async def test_a_reissue_names_the_letter_it_replaces_and_the_old_one_says_so(harness: Harness,
                                                                               verify_url: str) -> None:
    request_id = await request_letter(harness)
    await harness.press(f"letter-approve:{request_id}")
    [old] = await harness.store.fetchall("SELECT number, code FROM letters")
    await harness.send(f"suratulang {old['code']}", sender=LIBRARIAN_2)
    ack = (await harness.last(LIBRARIAN_2)).text
    new = await harness.store.fetchone("SELECT number, code, replaces FROM letters WHERE code != ?", (old["code"],))
    assert new is not None and new["replaces"] == old["code"]
    assert f"nomor {new['number']} menggantikan surat {old['number']}" in ack
    sent = await harness.last(CLEAR_PATRON)
    assert sent.document is not None and f"menggantikan surat Nomor {old['number']}" in sent.text
    assert new["code"] in sent.text
    replaced = await harness.store.issued_letter(old["code"])
    assert replaced is not None and replaced.replaced_by == new["number"]
    reissued = await harness.store.issued_letter(new["code"])
    assert reissued is not None and reissued.replaces == old["number"] and not reissued.replaced_by
    # Whoever checks the old paper letter's QR code learns it no longer holds.
    async with aiohttp.ClientSession() as http, http.get(f"{verify_url}/verify/{old['code']}") as resp:
        page = await resp.text()
        assert resp.status == 200 and "TIDAK BERLAKU" in page and new["number"] in page
    async with aiohttp.ClientSession() as http, http.get(
            f"{verify_url}/verify/{old['code']}", headers={"Accept": "application/json"}) as resp:
        answer = await resp.json()
        assert answer["genuine"] and not answer["valid"] and answer["replaced_by"] == new["number"]

    await harness.send("BEBASPUSTAKA", sender=CLEAR_PATRON)
    assert new["number"] in (await harness.last(CLEAR_PATRON)).text
    await harness.send(f"SURATULANG {old['number']}", sender=LIBRARIAN)
    assert f"sudah diganti dengan surat {new['number']}" in (await harness.last(LIBRARIAN)).text
    await harness.send("SURATULANG 999/BP/PERPUS/I/1999", sender=LIBRARIAN)
    assert "Tidak ada surat bebas pustaka" in (await harness.last(LIBRARIAN)).text
    assert len(await harness.store.fetchall("SELECT id FROM letters")) == 2


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
