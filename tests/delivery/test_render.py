"""What patrons and librarians read on WhatsApp: the review copy with its buttons, and the patron's list."""

from __future__ import annotations

import pytest

from refbot.delivery import render
from refbot.models import Candidate, Draft, Holding, InformationNeed, Kind, Ranked, Score, Term
from refbot.texts import TEXT_LIMIT

PATRON = "6281234567890"
LIBRARIAN = "6281300000001"

BOOK = Candidate(
    "catalog", "b1", Kind.BOOK, "Pengantar ilmu perpustakaan", authors=("Sulistyo-Basuki",), year=1991,
    publisher="Gramedia", call_number="020 SUL p",
    holdings=(Holding("Lantai 2", "020 SUL p", available=True), Holding("Lantai 2", "020 SUL p", available=False)),
)
ON_LOAN = Candidate("catalog", "b2", Kind.BOOK, "Metodologi penelitian", call_number="001.4 MET",
                    holdings=(Holding("Lantai 1", available=False), Holding("Lantai 1", available=False)))
ARTICLE = Candidate(
    "crossref", "10.1234/jpi.2021.5", Kind.ARTICLE, "Literasi informasi mahasiswa", authors=("Sari, Dewi",),
    year=2021, container="Jurnal Pustaka", volume="5", issue="2", pages="10-20", doi="10.1234/jpi.2021.5",
    open_access=True, url="https://example.org/landing",
)
RETRACTED = Candidate("crossref", "10.9/bad", Kind.ARTICLE, "Hasil yang ditarik", doi="10.9/bad", retracted=True,
                      notices=("Retracted by the publisher",))


def draft(*items: Candidate, note: str = "", draft_id: int = 7, question: str = "buku literasi informasi",
          source_notes: tuple[str, ...] = ()) -> Draft:
    return Draft(draft_id, 1, tuple(Ranked(c, Score(0.9, (("source", 0.5), ("year", 0.1)))) for c in items),
                 note=note, patron=PATRON, question=question, source_notes=source_notes)


NEED = InformationNeed(raw="buku literasi informasi", terms=(Term("literasi"), Term("informasi")), year_from=2015,
                       kinds=frozenset({Kind.BOOK}))


# -- the librarian's review copy ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_librarian_gets_the_draft_then_three_short_buttons(language: str) -> None:
    messages = render.librarian_draft(draft(BOOK, ARTICLE), NEED, language, LIBRARIAN)
    assert {m.to for m in messages} == {LIBRARIAN}
    *body, actions = messages
    assert body and all(not m.buttons for m in body)
    assert [b.id for b in actions.buttons] == ["approve:7", "edit:7", "reject:7"]
    assert len(actions.buttons) <= 3, "WhatsApp shows at most three reply buttons"
    assert all(1 <= len(b.title) <= 20 for b in actions.buttons), "WhatsApp cuts button titles at 20 characters"
    assert "#7" in actions.text


def test_the_review_copy_shows_the_question_what_was_understood_and_why_items_ranked() -> None:
    [body, _] = render.librarian_draft(
        draft(BOOK, ARTICLE, RETRACTED, note="Tanya di meja", source_notes=("crossref: terlalu lama",)),
        NEED, "id", LIBRARIAN)
    text = body.text
    assert "Draft #7 (versi 1)" in text
    assert PATRON not in text and "6281*****7890" in text, "colleagues see the patron's number masked"
    assert "buku literasi informasi" in text
    assert "literasi informasi" in text and "2015" in text and "Buku" in text
    assert "source +0.50" in text and "year +0.10" in text
    assert "Pengantar ilmu perpustakaan" in text and "Literasi informasi mahasiswa" in text
    assert "Hasil yang ditarik" in text, "the librarian sees the retracted item, with its warning"
    assert "Tanya di meja" in text and "crossref: terlalu lama" in text


def test_a_draft_with_no_items_still_gets_its_buttons() -> None:
    messages = render.librarian_draft(draft(), NEED, "en", LIBRARIAN)
    assert len(messages) == 2
    assert messages[-1].buttons


def test_a_long_question_is_cut_in_the_review_copy() -> None:
    [body, _] = render.librarian_draft(draft(BOOK, question="x" * 5000), NEED, "id", LIBRARIAN)
    assert "x" * 600 in body.text and "x" * 601 not in body.text


def test_a_long_review_copy_is_split_and_every_part_fits() -> None:
    many = [Candidate("catalog", f"b{i}", Kind.BOOK, f"Judul {i:02d} " + "panjang " * 40, call_number=f"020.{i}")
            for i in range(40)]
    messages = render.librarian_draft(draft(*many), NEED, "id", LIBRARIAN)
    assert len(messages) > 2
    assert all(len(m.text) <= TEXT_LIMIT for m in messages)
    joined = "\n".join(m.text for m in messages)
    assert all(f"Judul {i:02d}" in joined for i in range(40))
    assert messages[-1].buttons and not any(m.buttons for m in messages[:-1])


# -- the patron's list ------------------------------------------------------------------------


def test_the_patrons_list_in_indonesian() -> None:
    approved = draft(BOOK, ON_LOAN, ARTICLE, note="Tanya di meja")
    [message] = render.patron_list(approved, "id")
    text = message.text
    assert message.to == PATRON and not message.buttons
    # The list's number is the one RIWAYAT <n> resends.
    assert text.startswith(f"Berikut referensi yang kami rekomendasikan untuk pertanyaan Anda (daftar #{approved.request_id}):")
    assert "1. Sulistyo-Basuki. (1991). _Pengantar ilmu perpustakaan_. Gramedia." in text
    assert "No. panggil 020 SUL p · 1 dari 2 eksemplar tersedia di rak · lokasi: Lantai 2" in text
    assert "No. panggil 001.4 MET · semua eksemplar (2) sedang dipinjam" in text
    assert "3. Sari, D. (2021)" in text and "https://doi.org/10.1234/jpi.2021.5" in text
    assert "Artikel · akses terbuka" in text
    assert "Catatan pustakawan: Tanya di meja" in text
    assert "(misalnya tahun terbit atau bahasa)." in text
    assert text.endswith("Kirim RIS atau BIBTEX untuk menerima daftar ini sebagai berkas bagi Zotero/Mendeley, RIWAYAT"
                         " untuk semua yang pernah kami kirim, atau MENU untuk layanan lainnya.")


def test_the_patrons_list_in_english() -> None:
    approved = draft(BOOK, ON_LOAN, ARTICLE, note="Ask at the desk")
    [message] = render.patron_list(approved, "en")
    text = message.text
    assert text.startswith(f"Here are the references we recommend for your question (list #{approved.request_id}):")
    assert "Call no. 020 SUL p · 1 of 2 copies on the shelf · location: Lantai 2" in text
    assert "Call no. 001.4 MET" in text and "copies are on loan" in text
    assert "https://doi.org/10.1234/jpi.2021.5" in text and "Article · open access" in text
    assert "Librarian's note: Ask at the desk" in text
    assert "Berikut" not in text and "eksemplar" not in text


def test_an_article_with_a_doi_links_the_doi_not_its_landing_page() -> None:
    [message] = render.patron_list(draft(ARTICLE), "id")
    assert "https://doi.org/10.1234/jpi.2021.5" in message.text
    assert "https://example.org/landing" not in message.text
    no_doi = Candidate("zotero", "z1", Kind.ARTICLE, "Tanpa DOI", url="https://example.org/paper")
    [message] = render.patron_list(draft(no_doi), "id")
    assert "https://example.org/paper" in message.text


def test_an_article_has_no_shelf_details() -> None:
    item = render.patron_item(ARTICLE, "id")
    assert "No. panggil" not in item and "eksemplar" not in item


def test_a_retracted_item_never_reaches_the_patron() -> None:
    [message] = render.patron_list(draft(BOOK, RETRACTED), "id")
    assert "Hasil yang ditarik" not in message.text and "10.9/bad" not in message.text
    assert "1. Sulistyo-Basuki" in message.text and "2." not in message.text


@pytest.mark.parametrize(("language", "says"), [("id", "Mohon maaf"), ("en", "Sorry")])
def test_an_empty_list_says_a_librarian_will_be_in_touch(language: str, says: str) -> None:
    [message] = render.patron_list(draft(RETRACTED), language)
    assert message.text.startswith(says)
    assert "1." not in message.text


def test_a_long_list_is_split_between_items_under_whatsapps_limit() -> None:
    many = [Candidate("catalog", f"b{i}", Kind.BOOK, f"Judul {i:02d} " + "panjang " * 60, call_number=f"020.{i}")
            for i in range(30)]
    messages = render.patron_list(draft(*many), "id")
    assert len(messages) > 1
    assert all(len(m.text) <= TEXT_LIMIT for m in messages)
    assert all(m.to == PATRON for m in messages)
    joined = "\n\n".join(m.text for m in messages)
    positions = [joined.index(f"{i}. _Judul {i - 1:02d}") for i in range(1, 31)]
    assert positions == sorted(positions), "the items keep their order across messages"
    for m in messages:
        # Every message starts at an item (or the intro), so no reference is cut in two.
        first = m.text.split("\n", 1)[0]
        assert first.startswith("Berikut") or first[0].isdigit()


# -- splitting and masking ------------------------------------------------------------------


def test_pack_joins_blocks_until_the_limit_and_never_splits_one() -> None:
    assert render.pack(["a" * 4, "b" * 4, "c" * 4], limit=10) == ["aaaa\n\nbbbb", "cccc"]
    assert render.pack(["a" * 10, "b"], limit=10) == ["a" * 10, "b"]
    assert render.pack([], limit=10) == []


def test_pack_cuts_a_block_longer_than_a_whole_message() -> None:
    [one, two] = render.pack(["x" * 5000, "y"])
    assert one == "x" * TEXT_LIMIT and two == "y"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("6281234567890", "6281*****7890"),
        ("628123456789", "6281****6789"),
        ("123456789", "12*****89"),
        ("123456", "******"),
        ("", ""),
    ],
)
def test_mask_phone_hides_the_middle(phone: str, masked: str) -> None:
    assert render.mask_phone(phone) == masked
    assert len(render.mask_phone(phone)) == len(phone)


@pytest.mark.parametrize("phone", ["1234567", "12345678"])
def test_mask_phone_hides_something_of_short_numbers(phone: str) -> None:
    masked = render.mask_phone(phone)
    assert len(masked) == len(phone) and "*" in masked
