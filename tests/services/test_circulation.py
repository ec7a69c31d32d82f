"""Circulation codes end to end: patron code → desk → Koha stand-in over HTTP → outbox."""

from __future__ import annotations

import pytest

from refbot.decisions import requests
from refbot.models import InboundMessage
from refbot.services.codes import Command, parse_code
from tests.services.conftest import CLEAR_PATRON, LIBRARIAN, LIBRARIAN_2, LIMIT_PATRON, PATRON, STRANGER, Harness


async def test_renew_succeeds_and_tells_the_new_due_date(harness: Harness) -> None:
    inbox_id = await harness.send("RENEW#B0001")
    answer = await harness.last(PATRON)
    assert "Perpanjangan berhasil" in answer.text and "Literasi informasi di perguruan tinggi" in answer.text
    checkout = harness.koha.checkouts[11]
    assert checkout.renewals_count == 1
    assert f"{checkout.due_date.day} " in answer.text and str(checkout.due_date.year) in answer.text
    assert await harness.inbox_state(inbox_id) == "done"


@pytest.mark.parametrize("typed", ["renew # b0001", "RENEWW#B0001", "Renew B0001", "perpanjang#B0001", "RENEW#b0001"])
async def test_renew_code_is_read_through_case_spaces_and_typos(harness: Harness, typed: str) -> None:
    await harness.send(typed)
    assert "Perpanjangan berhasil" in (await harness.last(PATRON)).text


@pytest.mark.parametrize("typed", ["PINJAMAN", "pinjaman", "Pinjmaan", "  PINJAMAN  ", "PINJAMANN", "loans"])
async def test_loan_list_code_is_read_through_typos(harness: Harness, typed: str) -> None:
    await harness.send(typed)
    text = (await harness.last(PATRON)).text
    assert "B0001" in text and "B0002" in text and "B0003" in text


async def test_loans_show_due_dates_and_flag_the_overdue_one(harness: Harness) -> None:
    await harness.send("PINJAMAN")
    lines = (await harness.last(PATRON)).text.splitlines()
    assert lines[0] == "📚 Pinjaman Anda (3):"
    overdue = next(i for i, line in enumerate(lines) if "B0003" in line)
    assert "terlambat" in lines[overdue]
    assert "terlambat" not in next(line for line in lines if "B0001" in line)
    assert lines[1].startswith("1. Pengantar ilmu perpustakaan")  # soonest due first


async def test_fines_are_shown_in_rupiah(harness: Harness) -> None:
    await harness.send("DENDA")
    text = (await harness.last(PATRON)).text
    assert "Rp 4.000" in text and "Pengantar ilmu perpustakaan" in text
    await harness.send("denda", sender=CLEAR_PATRON)
    assert "tidak memiliki denda" in (await harness.last(CLEAR_PATRON)).text


@pytest.mark.parametrize(
    ("sender", "barcode", "indonesian", "english"),
    [
        (LIMIT_PATRON, "B0005", "batas jumlah perpanjangan sudah tercapai", "renewed as many times as allowed"),
        (PATRON, "B0002", "sedang dipesan (reservasi)", "another patron has placed a hold"),
        (PATRON, "B0003", "melewati batas kembali", "the loan is overdue"),
    ],
    ids=["limit-reached", "reserved", "overdue"],
)
async def test_refused_renewal_gives_the_reason_in_the_patrons_language(
    harness: Harness, sender: str, barcode: str, indonesian: str, english: str,
) -> None:
    await harness.send(f"RENEW#{barcode}", sender=sender)
    refused = (await harness.last(sender)).text
    assert refused.startswith("❌") and indonesian in refused
    await harness.send("BAHASA#EN", sender=sender)
    await harness.send(f"renew#{barcode}", sender=sender)
    refused = (await harness.last(sender)).text
    assert "cannot be renewed" in refused and english in refused
    checkout = harness.koha.checkout_of(barcode)
    assert checkout is not None and checkout.renewals_count == (2 if barcode == "B0005" else 0)


async def test_limit_reached_says_how_many_renewals_were_used(harness: Harness) -> None:
    await harness.send("RENEW#B0005", sender=LIMIT_PATRON)
    assert "(sudah diperpanjang 2 dari 2 kali)" in (await harness.last(LIMIT_PATRON)).text


async def test_a_patron_who_asked_in_english_is_answered_in_english(harness: Harness) -> None:
    await harness.send("LOANS")  # the keyword is English
    assert (await harness.last(PATRON)).text.startswith("📚 Your loans (3):")


async def test_unknown_barcode_lists_the_patrons_own_loans(harness: Harness) -> None:
    await harness.send("RENEW#X9999")
    text = (await harness.last(PATRON)).text
    assert "X9999 tidak ada di daftar pinjaman Anda" in text
    assert "B0001, B0002, B0003" in text or all(b in text for b in ("B0001", "B0002", "B0003"))


async def test_several_barcodes_are_renewed_one_by_one(harness: Harness) -> None:
    await harness.send("RENEW#B0001, B0002")
    text = (await harness.last(PATRON)).text
    assert "Perpanjangan berhasil" in text and "sedang dipesan" in text


async def test_a_number_not_linked_to_a_card_is_told_how_to_link_it(harness: Harness) -> None:
    await harness.send("RENEW#B0001", sender=STRANGER)
    assert "DAFTAR#" in (await harness.last(STRANGER)).text
    assert harness.koha.checkouts[11].renewals_count == 0


async def test_handling_the_same_message_twice_renews_once(harness: Harness) -> None:
    inbox_id = await harness.send("RENEW#B0001")
    row = await harness.store.fetchone("SELECT message FROM inbox WHERE id = ?", (inbox_id,))
    assert row is not None
    from refbot import codec
    from refbot.store import InboxRow

    again = InboxRow(inbox_id, codec.loads(InboundMessage, row["message"]), 2)
    await harness.desk.handle(again)  # as after a crash before the row was marked done
    assert harness.koha.checkouts[11].renewals_count == 1
    assert len(await harness.received(PATRON)) == 1


async def test_a_renewal_made_just_before_a_crash_is_not_made_again(harness: Harness) -> None:
    # The attempt was written, Koha renewed, and the process died before the answer was kept.
    async with harness.store.tx() as db:
        await db.execute(
            "INSERT INTO renewal_attempts (origin, barcode, checkout_id, renewals_before, created_at)"
            " VALUES ('inbox:1', 'B0001', '11', 0, 0)")
    harness.koha.checkouts[11].renewals_count = 1
    await harness.send("RENEW#B0001")  # becomes inbox row 1
    assert harness.koha.checkouts[11].renewals_count == 1
    assert "Perpanjangan berhasil" in (await harness.last(PATRON)).text


async def test_koha_down_tells_the_patron_and_the_request_waits_for_a_librarian(harness: Harness) -> None:
    await harness.koha_fault(down=True)
    inbox_id = await harness.send("RENEW#B0001")
    assert "tidak dapat dihubungi" in (await harness.last(PATRON)).text
    assert await harness.inbox_state(inbox_id) == "done"
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None and (request.kind, request.status) == ("circulation", "pending")
    for librarian in (LIBRARIAN, LIBRARIAN_2):
        waiting = await harness.last(librarian)
        assert f"#{request.id}" in waiting.text and "RENEW#B0001" in waiting.text
        assert [b.id for b in waiting.buttons] == [f"circ-retry:{request.id}", f"circ-done:{request.id}"]

    await harness.press(f"circ-retry:{request.id}")  # still down
    assert "masih belum dapat dihubungi" in (await harness.last(LIBRARIAN)).text
    await harness.koha_fault()
    await harness.press(f"circ-retry:{request.id}")
    assert "Perpanjangan berhasil" in (await harness.last(PATRON)).text
    assert harness.koha.checkouts[11].renewals_count == 1
    assert (await requests.get(harness.store, request.id)).status == "done"  # type: ignore[union-attr]

    await harness.press(f"circ-retry:{request.id}", sender=LIBRARIAN_2)
    assert "Dewi" in (await harness.last(LIBRARIAN_2)).text
    assert harness.koha.checkouts[11].renewals_count == 1


async def test_a_librarian_can_answer_a_waiting_request_in_their_own_words(harness: Harness) -> None:
    await harness.koha_fault(status=500, times=5)
    inbox_id = await harness.send("DENDA")
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None
    await harness.send(f"JAWAB#{request.id} Denda Anda Rp 4.000, bisa dibayar di loket.", sender=LIBRARIAN)
    assert (await harness.last(PATRON)).text == "Denda Anda Rp 4.000, bisa dibayar di loket."
    assert f"#{request.id}" in (await harness.last(LIBRARIAN)).text
    await harness.press(f"circ-done:{request.id}", sender=LIBRARIAN_2)
    assert "sudah dijawab oleh Dewi" in (await harness.last(LIBRARIAN_2)).text


async def test_a_patron_cannot_use_the_librarians_answer_code(harness: Harness) -> None:
    services = harness.desk.services
    message = InboundMessage("w1", PATRON, "text", text="JAWAB#1 halo")
    assert not any(s.wants(message, from_librarian=False) for s in services)


@pytest.mark.parametrize("question", [
    "daftar pustaka tentang literasi informasi",
    "Denda saya berapa ya kak?",
    "halo kak, mau tanya jurnal tentang perpustakaan digital",
])
async def test_questions_are_not_mistaken_for_codes(harness: Harness, question: str) -> None:
    message = InboundMessage("w1", PATRON, "text", text=question)
    assert not any(s.wants(message, from_librarian=False) for s in harness.desk.services)


async def test_menu_lists_the_codes_and_librarians_see_their_own(harness: Harness) -> None:
    await harness.send("menu")
    patron_menu = (await harness.last(PATRON)).text
    assert "RENEW#" in patron_menu and "BEBASPUSTAKA" in patron_menu and "JAWAB#" not in patron_menu
    await harness.send("BANTUAN", sender=LIBRARIAN)
    assert "JAWAB#" in (await harness.last(LIBRARIAN)).text
    await harness.send("help", sender=STRANGER)
    assert "RENEW#<barcode> — renew a loan" in (await harness.last(STRANGER)).text


async def test_suggestions_are_stored_and_listed_for_librarians(harness: Harness) -> None:
    await harness.send("USUL#Metodologi Penelitian, ISBN 978-0-306-40615-7")
    assert "sudah kami catat" in (await harness.last(PATRON)).text
    await harness.send("usul#Information literacy handbook", sender=CLEAR_PATRON)
    rows = await harness.store.fetchall("SELECT text, isbn FROM suggestions ORDER BY id")
    assert [(r["text"], r["isbn"]) for r in rows] == [
        ("Metodologi Penelitian, ISBN 978-0-306-40615-7", "9780306406157"),
        ("Information literacy handbook", ""),
    ]
    await harness.send("USUL", sender=LIBRARIAN)
    listing = (await harness.last(LIBRARIAN)).text
    assert "Usulan pengadaan terbaru (2)" in listing and "ISBN 9780306406157" in listing
    assert PATRON not in listing  # numbers are masked for colleagues


async def test_daftar_links_at_once_when_koha_lists_the_number(harness: Harness) -> None:
    await harness.send("DAFTAR#2100001")
    assert "terhubung dengan kartu anggota 2100001" in (await harness.last(PATRON)).text
    assert await harness.received(LIBRARIAN) == []


async def test_daftar_confirmed_by_the_code_the_librarians_received(harness: Harness) -> None:
    await harness.send("DAFTAR#2100003", sender=STRANGER, name="Budi S")
    assert "KODE#" in (await harness.last(STRANGER)).text
    request_text = (await harness.last(LIBRARIAN)).text
    assert "Budi Santoso" in request_text and "Budi S" in request_text
    code = request_text.split("KODE#")[1][:6]
    await harness.send("KODE#000000" if code != "000000" else "KODE#111111", sender=STRANGER)
    assert "Sisa percobaan: 4" in (await harness.last(STRANGER)).text
    await harness.send(f"kode {code}", sender=STRANGER)
    assert "terhubung dengan kartu anggota 2100003" in (await harness.last(STRANGER)).text
    await harness.send("PINJAMAN", sender=STRANGER)
    assert "tidak sedang meminjam" in (await harness.last(STRANGER)).text


async def test_daftar_confirmed_by_a_librarian(harness: Harness) -> None:
    inbox_id = await harness.send("DAFTAR#2100003", sender=STRANGER)
    request = await requests.for_inbox(harness.store, inbox_id)
    assert request is not None
    assert [b.id for b in (await harness.last(LIBRARIAN)).buttons] == [f"link-approve:{request.id}",
                                                                       f"link-reject:{request.id}"]
    await harness.press(f"link-approve:{request.id}")
    assert "terhubung" in (await harness.last(STRANGER)).text
    assert "2100003" in (await harness.last(LIBRARIAN)).text
    await harness.send("DENDA", sender=STRANGER)
    assert "tidak memiliki denda" in (await harness.last(STRANGER)).text


async def test_daftar_with_an_unknown_card(harness: Harness) -> None:
    await harness.send("DAFTAR#9999999", sender=STRANGER)
    assert "9999999 tidak ditemukan" in (await harness.last(STRANGER)).text


async def test_wrong_codes_lock_the_link(harness: Harness) -> None:
    await harness.send("DAFTAR#2100003", sender=STRANGER)
    code = (await harness.last(LIBRARIAN)).text.split("KODE#")[1][:6]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        await harness.send(f"KODE#{wrong}", sender=STRANGER)
    await harness.send(f"KODE#{code}", sender=STRANGER)
    assert "terlalu sering" in (await harness.last(STRANGER)).text


def test_codes_parse_to_their_commands() -> None:
    assert parse_code("BEBAS PUSTAKA") is not None
    assert parse_code("usul") == parse_code("USUL")
    found = parse_code("renew # 123")
    assert found is not None and (found.command, found.argument) == (Command.RENEW, "123")
    assert parse_code("#12 hapus 2") is None  # a librarian's draft command
    assert parse_code("RENEW") is None  # needs a barcode
