"""The console's pages over HTTP: what a librarian sees and what each form does."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

from markupsafe import escape

from refbot.decisions import drafts
from refbot.models import DraftStatus, Ranked, Score
from refbot.texts import console_texts
from refbot.web.server import create_app
from tests.conftest import LIBRARIAN, LIBRARIAN_2, PATRON, eventually, free_port, make_settings, serve
from tests.web.console.conftest import ConsoleDesk, Page

ID_QUESTION = "kak, saya cari buku tentang literasi informasi untuk skripsi"
EN_QUESTION = "Hello, I am looking for journal articles on information literacy and academic achievement"


def rows_of(page: Page) -> list[str]:
    body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


async def test_queue_lists_waiting_drafts_oldest_first_with_their_facts(console: ConsoleDesk) -> None:
    first = await console.question(ID_QUESTION)
    second = await console.question(EN_QUESTION, sender="6281200000002")
    async with console.store.tx() as db:  # the second patron last wrote 25 hours ago
        await db.execute("UPDATE patrons SET last_inbound_at = last_inbound_at - 90000 WHERE phone = '6281200000002'")
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{second.id}")
    await dewi.post(f"/console/drafts/{second.id}/take", {}, csrf=page.csrf)

    rows = rows_of(await dewi.get("/console/"))
    assert len(rows) == 2
    assert rows[0].startswith(f"#{first.id} {ID_QUESTION}") and rows[1].startswith(f"#{second.id} Hello")
    assert " id " in rows[0] and " en " in rows[1]
    assert re.search(r" \d+ dtk ", rows[0])  # waiting time
    assert re.search(r"23 j 59 mnt", rows[0])  # the WhatsApp window, almost whole
    assert "tertutup" in rows[1]  # and shut for the patron who wrote yesterday
    assert rows[0].endswith("belum ada") and rows[1].endswith("Dewi")
    assert "6281*****0001" in rows[0] and PATRON not in rows[0]  # the patron's number stays masked


async def test_draft_page_shows_each_candidate_and_why_it_ranked(console: ConsoleDesk) -> None:
    draft = await console.question("tolong carikan jurnal tentang literasi informasi dan prestasi akademik mahasiswa")
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}", lang="en")
    assert page.status == 200
    assert f"Draft #{draft.id}" in page.text and "version 1" in page.text
    assert "crossref" in {r.candidate.source for r in draft.items}
    english = console_texts()["en"]
    for r in draft.items:
        c = r.candidate
        assert str(escape(c.title[:30])) in page.text
        assert f'class="chip kind">{english("kind_" + c.kind.value)}<' in page.text
        if c.doi:
            assert f'href="https://doi.org/{c.doi}"' in page.text
        if c.holdings:
            shelf = "on_shelf_one" if c.copies == 1 else "on_shelf"  # "1 of 1 copy", "1 of 2 copies"
            assert english(shelf, available=c.available, copies=c.copies) in page.text
        if c.retracted:
            assert "RETRACTED — not sent" in page.text
    assert "source relevance +" in page.text and "title similarity +" in page.text


async def test_edit_note_and_approve_send_the_edited_list(console: ConsoleDesk) -> None:
    draft = await console.question(ID_QUESTION)
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}")
    page = await dewi.post(f"/console/drafts/{draft.id}/move", {"version": "1", "position": "2", "direction": "up"},
                           csrf=page.csrf, follow=True)
    assert "Tersimpan — sekarang versi 2" in page.text
    page = await dewi.post(f"/console/drafts/{draft.id}/note", {"version": "2", "note": "Ambil di lantai 2 <ya>"},
                           csrf=page.csrf, follow=True)
    assert "Ambil di lantai 2 &lt;ya&gt;" in page.text
    page = await dewi.post(f"/console/drafts/{draft.id}/approve", {"version": "3", "effort": "4"}, csrf=page.csrf,
                           follow=True)
    assert f"Draf #{draft.id} disetujui" in page.text
    final = await console.store.get_draft(draft.id)
    assert final.status in (DraftStatus.APPROVED, DraftStatus.SENT) and final.note == "Ambil di lantai 2 <ya>"
    assert [r.candidate.title for r in final.items[:2]] == [draft.items[1].candidate.title, draft.items[0].candidate.title]

    async def listed() -> str | None:
        found = [m["text"] for m in await console.desk.sent_to(PATRON) if m["text"].startswith("Berikut")]
        return found[0] if found else None

    sent = await eventually(listed, what="the patron's list")
    assert sent.index(draft.items[1].candidate.title) < sent.index(draft.items[0].candidate.title)
    assert "Ambil di lantai 2 <ya>" in sent
    effort = await console.store.fetchone("SELECT effort FROM console_effort WHERE draft_id = ?", (draft.id,))
    assert effort["effort"] == 4


async def test_reject_sends_the_personal_reply(console: ConsoleDesk) -> None:
    draft = await console.question("minat baca remaja")
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}")
    reply = "Halo kak, untuk topik ini silakan datang ke meja referensi lantai 2 ya."
    page = await dewi.post(f"/console/drafts/{draft.id}/reject", {"version": "1", "reply": reply, "effort": "1"},
                           csrf=page.csrf)
    assert page.status == 303 and page.headers["Location"] == f"/console/?done=rejected&draft={draft.id}"

    async def replied() -> bool:
        return reply in [m["text"] for m in await console.desk.sent_to(PATRON)]

    await eventually(replied, what="the personal reply")
    assert (await console.store.get_draft(draft.id)).status is DraftStatus.REJECTED

    async def told(phone: str) -> bool:
        return any(m["text"].startswith(f"ℹ️ Draft #{draft.id} ditolak oleh") for m in await console.desk.sent_to(phone))

    # The librarians on WhatsApp hear in one line that the console decided it, so nobody works it twice.
    await eventually(lambda: told(LIBRARIAN), what="the decision told to Dewi's phone")
    await eventually(lambda: told(LIBRARIAN_2), what="the decision told to Budi's phone")
    page = await dewi.get(f"/console/drafts/{draft.id}")
    assert "Draf ini sudah ditolak oleh Dewi" in page.text
    assert "/approve" not in page.text  # a decided draft has no forms left


async def test_bad_forms_are_explained_not_applied(console: ConsoleDesk) -> None:
    draft = await console.question(ID_QUESTION)
    dewi = await console.librarian("dewi")
    token = (await dewi.get(f"/console/drafts/{draft.id}")).csrf
    for action, form in (("remove", {"version": "1", "position": "99"}), ("approve", {"version": "1", "effort": "9"}),
                         ("remove", {"position": "1"}), ("note", {"version": "1", "note": "x" * 1001})):
        page = await dewi.post(f"/console/drafts/{draft.id}/{action}", form, csrf=token)
        assert page.status == 400, (action, form)
        assert 'class="alert"' in page.text
    assert (await dewi.post(f"/console/drafts/{draft.id}/explode", {}, csrf=token)).status == 404
    assert (await dewi.get("/console/drafts/99999")).status == 404
    after = await console.store.get_draft(draft.id)
    assert after.version == 1 and after.status is DraftStatus.PENDING


async def test_conversation_history_shows_both_sides(console: ConsoleDesk) -> None:
    draft = await console.question(ID_QUESTION)

    async def acked() -> bool:
        return any(m["text"].startswith("Terima kasih") for m in await console.desk.sent_to(PATRON))

    await eventually(acked, what="the acknowledgement")
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}/history")
    assert page.status == 200
    assert re.search(r'class="in">\s*<div class="bubble">kak, saya cari buku', page.text)
    assert re.search(r'class="out">\s*<div class="bubble">Terima kasih', page.text)


async def test_search_page_searches_the_apps_sources(console: ConsoleDesk) -> None:
    dewi = await console.librarian("dewi")
    page = await dewi.get("/console/search", q="literasi informasi")
    assert page.status == 200
    assert "<h2>catalog" in page.text and "<h2>crossref" in page.text
    page = await dewi.get("/console/search", q="literasi informasi", source="catalog")
    assert "<h2>catalog" in page.text and "<h2>crossref" not in page.text
    assert "No. panggil" in page.text


async def test_statistics_and_csv_without_personal_data(console: ConsoleDesk) -> None:
    approved = await console.question(ID_QUESTION)
    rejected = await console.question("minat baca remaja", sender="6281200000002")
    dewi = await console.librarian("dewi")
    token = (await dewi.get("/console/")).csrf
    await dewi.post(f"/console/drafts/{approved.id}/remove", {"version": "1", "position": "1"}, csrf=token)
    await dewi.post(f"/console/drafts/{approved.id}/approve", {"version": "2", "effort": "3"}, csrf=token)
    await dewi.post(f"/console/drafts/{rejected.id}/reject", {"version": "1", "effort": "1"}, csrf=token)
    await eventually(lambda: _sent(console, approved.id), what="the list sent")

    page = await dewi.get("/console/stats", lang="en")
    assert page.status == 200
    assert page.text.count("<svg class=\"chart") == 6
    assert "edited, then sent <b>1</b>" in page.text and "rejected <b>1</b>" in page.text

    export = await dewi.get("/console/stats.csv", days="7")
    assert export.status == 200 and export.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    by_draft = {int(r["draft"]): r for r in rows}
    assert by_draft[approved.id]["outcome"] == "edited" and by_draft[approved.id]["effort"] == "3"
    assert by_draft[approved.id]["items_sent"] == str(len(approved.items) - 1)
    assert by_draft[rejected.id]["outcome"] == "rejected"
    for phone in (PATRON, "6281200000002", "0001"):
        assert phone not in export.text
    assert "literasi" not in export.text.lower() and "dewi" not in export.text.lower()


async def test_interface_language_follows_the_choice(console: ConsoleDesk) -> None:
    dewi = await console.librarian("dewi")
    assert "Antrean" in (await dewi.get("/console/")).text
    assert "Queue" in (await dewi.get("/console/", lang="en")).text
    assert "Queue" in (await dewi.get("/console/stats")).text.split("</nav>")[0]  # remembered in a cookie
    assert "Antrean" in (await dewi.get("/console/", lang="id")).text


async def test_console_is_mounted_and_shut_without_a_secret(console: ConsoleDesk, tmp_path: Path,
                                                            catalog_dir: Path) -> None:
    dewi = await console.librarian("dewi")
    page = await dewi.get("/console")
    assert page.status == 303 and page.headers["Location"] == "/console/"

    port = free_port()
    settings = make_settings(tmp_path / "shut", catalog_dir, port=port, graph="http://127.0.0.1:9", crossref="http://127.0.0.1:9")
    assert not settings.secrets.console_secret
    runner, url = await serve(create_app(settings, run_worker=False), port)
    try:
        async with dewi.http.get(f"{url}/console/", allow_redirects=False) as resp:
            assert resp.status == 503
            assert "REFBOT_CONSOLE_SECRET" in await resp.text()
    finally:
        await runner.cleanup()


async def _sent(console: ConsoleDesk, draft_id: int) -> bool:
    draft = await console.store.get_draft(draft_id)
    return draft is not None and draft.status is DraftStatus.SENT


async def test_the_same_form_sent_twice_edits_once(console: ConsoleDesk) -> None:
    draft = await console.question(ID_QUESTION)
    dewi = await console.librarian("dewi")
    token = (await dewi.get(f"/console/drafts/{draft.id}")).csrf
    for _ in range(2):  # a double click: the second post must neither remove another item nor conflict
        page = await dewi.post(f"/console/drafts/{draft.id}/remove", {"version": "1", "position": "1"}, csrf=token)
        assert page.status == 303
    after = await console.store.get_draft(draft.id)
    assert after.version == 2 and [r.candidate.title for r in after.items] == [r.candidate.title for r in draft.items[1:]]


async def test_retracted_items_are_flagged_and_not_counted_for_the_patron(console: ConsoleDesk) -> None:
    draft = await console.question(ID_QUESTION)
    retracted = replace(draft.items[0].candidate, source_id="retracted-1", title="Studi yang ditarik", retracted=True)
    await drafts.edit(console.store, draft.id, "6281300000001",
                         add=[Ranked(retracted, Score(-9.5, (("relevance", 0.5), ("retracted", -10.0))))])
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}")
    assert page.text.count('class="item retracted"') == 1
    assert "DITARIK (retracted) — tidak dikirim" in page.text
    assert 'class="part neg">ditarik -10.00' in page.text
    assert f"Pemustaka menerima {len(draft.items)} butir" in page.text
    assert "Terakhir diubah oleh</dt><dd>Dewi" in page.text  # the WhatsApp librarian, by name
