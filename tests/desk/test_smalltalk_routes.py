"""Free text that is not an information need, read by the desk's real routing.

The table is what patrons actually write on the library's WhatsApp, in both languages, with
WhatsApp's spellings; each row goes through :meth:`refbot.desk.routing.Desk.route` of a desk
built by :func:`refbot.wiring.build_services`, with the real desk services behind it.

Expected routes read as the desk logs them: ``question`` (a draft for the librarians),
``greeting``, ``thanks``, ``ack``, ``hours``, ``hint:<topic>`` (the patron is told the code to
send), ``erasure``, or a service's name with the code it is handed (``circulation PINJAMAN``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio

from refbot.desk.routing import Desk
from refbot.models import InboundMessage
from refbot.wiring import build_services
from tests.conftest import LIBRARIAN, PATRON, make_settings

TABLE: list[tuple[str, str]] = [
    # greetings, alone or with a way of addressing the librarian
    ("halo", "greeting"),
    ("hello?", "greeting"),
    ("Haloooo kak", "greeting"),
    ("selamat pagi", "greeting"),
    ("Selamat siang bu", "greeting"),
    ("assalamualaikum", "greeting"),
    ("Assalamu'alaikum wr wb", "greeting"),
    ("P", "greeting"),
    ("permisi kak", "greeting"),
    ("kak?", "greeting"),
    ("Good morning!", "greeting"),
    ("hi there", "greeting"),
    ("halo apa kabar", "greeting"),
    # thanks, in full and in WhatsApp's shorthand
    ("terima kasih kak 🙏", "thanks"),
    ("makasih banyak", "thanks"),
    ("mksh", "thanks"),
    ("trims min", "thanks"),
    ("Makasiiiih kaaak 🙏🙏", "thanks"),
    ("terimakasi atas bantuannya", "thanks"),
    ("wkwkwk makasih kak", "thanks"),
    ("thx", "thanks"),
    ("tq", "thanks"),
    ("Thank you so much!", "thanks"),
    ("thanks a lot librarian", "thanks"),
    # acknowledgements
    ("ok siap", "ack"),
    ("oke kak", "ack"),
    ("siap kak, ditunggu ya", "ack"),
    ("👍", "ack"),
    ("noted, got it", "ack"),
    ("baik", "ack"),
    ("bye", "ack"),
    # a need, whatever greeting or thanks comes with it
    ("halo kak, saya cari buku tentang katalogisasi", "question"),
    ("Hello, I am looking for journal articles on information literacy", "question"),
    ("makasih kak, satu lagi: referensi tentang minat baca", "question"),
    ("literasi informasi", "question"),
    ("ok, yang 2020 saja", "question"),
    ("yang bahasa Indonesia saja", "question"),
    ("apa itu turnitin?", "question"),
    ("daftar pustaka tentang literasi informasi", "question"),
    ("usulan judul skripsi tentang perpustakaan", "question"),
    ("berapa denda keterlambatan per hari?", "question"),
    ("sistem informasi perpustakaan berbasis web", "question"),
    # a service asked about in words: answered as its code would be
    ("pinjaman saya apa saja ya kak?", "circulation PINJAMAN"),
    ("buku yang saya pinjam apa aja?", "circulation PINJAMAN"),
    ("hi, what are my loans?", "circulation LOANS"),
    ("denda saya berapa?", "circulation DENDA"),
    ("do I have any fines?", "circulation FINES"),
    ("layanan apa saja yang ada kak?", "circulation MENU"),
    ("what can you do?", "circulation MENU"),
    ("bisa minta format RIS kak?", "export RIS"),
    ("can I get the list as BibTeX?", "export BIBTEX"),
    ("riwayat pertanyaan saya", "history RIWAYAT"),
    ("mau cek turnitin skripsi saya kak", "similarity TURNITIN"),
    # a service that needs a code: the patron is told which
    ("cara perpanjang buku?", "hint:renew"),
    ("How do I renew a book?", "hint:renew"),
    ("saya mau usul buku baru kak", "hint:suggest"),
    ("bagaimana cara mengurus surat bebas pustaka?", "hint:clearance"),
    ("how do I get a library clearance letter?", "hint:clearance"),
    ("cara menghubungkan nomor wa dengan kartu anggota?", "hint:register"),
    ("bisa dibalas pakai bahasa inggris?", "hint:language"),
    ("hapus data saya kak", "hint:erase"),
    # office hours
    ("kapan perpustakaan buka?", "hours"),
    ("jam buka perpus hari sabtu?", "hours"),
    ("buka jam berapa kak?", "hours"),
    ("What are your opening hours?", "hours"),
    ("is the library open on saturday?", "hours"),
    # the erasure's confirmation, however it is punctuated
    ("yes, delete", "erasure"),
    ("Ya, hapus!", "erasure"),
    ("yaa hapus 🙏", "erasure"),
    # the desk's codes keep their own routes
    ("PINJAMAN", "circulation"),
    ("RIS", "export"),
    ("MENU", "circulation"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(tmp_path_factory: pytest.TempPathFactory, catalog_dir: Path) -> AsyncIterator[Desk]:
    """The desk as refbot builds it (nothing is sent: routing does no I/O)."""
    settings = make_settings(tmp_path_factory.mktemp("routes"), catalog_dir, port=8080,
                             graph="http://127.0.0.1:9", crossref="http://127.0.0.1:9")
    services = await build_services(settings)
    try:
        yield services.desk
    finally:
        await services.close()


def text(body: str, sender: str = PATRON) -> InboundMessage:
    return InboundMessage(wamid="wamid.table", sender=sender, type="text", text=body)


def test_the_table_is_big_enough_and_in_both_languages() -> None:
    assert len(TABLE) >= 40
    assert len({body for body, _ in TABLE}) == len(TABLE), "a row written twice"
    assert {"greeting", "thanks", "ack", "question", "hours", "hint:renew", "circulation PINJAMAN"} <= {
        route for _, route in TABLE}


@pytest.mark.parametrize(("body", "expected"), TABLE, ids=[body for body, _ in TABLE])
def test_each_message_goes_where_a_librarian_would_send_it(desk: Desk, body: str, expected: str) -> None:
    route = desk.route(text(body))
    assert str(route) == expected, route.verdict


def test_a_librarians_thanks_is_small_talk_too(desk: Desk) -> None:
    assert str(desk.route(text("makasih ya", sender=LIBRARIAN))) == "thanks"


def test_why_a_message_is_no_question_is_written_down(desk: Desk) -> None:
    route = desk.route(text("pinjaman saya apa saja ya kak?"))
    assert route.verdict is not None and "loans" in route.verdict.why
    assert route.verdict.language == "id"
    need = desk.route(text("halo kak, saya cari buku tentang katalogisasi")).verdict
    assert need is not None and "'cari'" in need.why


def test_captions_of_images_and_buttons_are_never_small_talk(desk: Desk) -> None:
    image = replace(text("terima kasih"), type="image", media_id="1", mime_type="image/jpeg")
    assert str(desk.route(image)) == "snap"
    button = replace(text("halo"), type="button")
    assert str(desk.route(button)) == "question"


def test_a_service_question_nobody_takes_stays_a_question(desk: Desk) -> None:
    alone = Desk(desk.store, desk.sources, desk.settings, services=())
    assert str(alone.route(text("pinjaman saya apa saja ya kak?"))) == "question"
    assert str(alone.route(text("halo"))) == "greeting"
