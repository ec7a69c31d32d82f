"""A question about one journal, by its ISSN, as a librarian and then the patron see the answer.

The journal's own record comes first, and its line answers the question the patron asked: its
SINTA rank and decree from the library's list, and whether DOAJ lists it (the DOAJ stand-in on
loopback); articles of vetted journals carry "DOAJ ✓ · SINTA 2".
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp

from refbot.config import CrossrefSettings, DeskSettings, JournalSettings, SearchSettings
from refbot.sandbox.doaj import create_doaj_standin
from refbot.web.server import create_app
from tests.conftest import LIBRARIAN, PATRON, Desk, eventually, free_port, make_settings, running_desk, serve

QUESTION = ("kak, saya mau kirim artikel literasi informasi ke jurnal Berkala Literasi Informasi "
            "ISSN 1907-4239, apakah jurnalnya sudah terakreditasi SINTA?")
# Drafts reach the librarian at once, whatever the hour the test runs at.
DAY_AND_NIGHT = replace(DeskSettings(), hold_librarian_notices=False)
PORTAL = "https://portal.issn.org/resource/ISSN/1907-4239"
# The library's list as a test keeps it: ranks far from expiring, so the test holds for years.
SINTA_CSV = """issn,eissn,title,sinta_rank,decree,valid_until
1907-4239,2503-1864,Berkala Literasi Informasi,S2,105/E/KPT/2022,2031-12-31
2088-6306,2580-9148,Jurnal Dokumentasi dan Arsip Digital,5,164/E/KPT/2021,2025-06-30
"""


async def test_the_journal_asked_about_by_issn_comes_first_without_a_kind_penalty(
    tmp_path: Path, catalog_dir: Path,
) -> None:
    async with running_desk(tmp_path, catalog_dir, desk=DAY_AND_NIGHT) as desk:
        text, draft_id = await _ask(desk, QUESTION)
        draft = await desk.services.store.get_draft(draft_id)

    assert draft is not None
    first = draft.items[0]
    assert first.candidate.kind.value == "journal" and "1907-4239" in first.candidate.issn
    assert dict(first.score.parts).get("kind", 0.0) >= 0.0
    assert "1. _Berkala Literasi Informasi_" in text and "ISSN yang ditanyakan +1.00" in text
    item = _item(text, 1)
    assert item.count(PORTAL) == 1, item  # the journal's address once, not twice
    # Without DOAJ or a SINTA list configured, refbot says nothing of accreditation rather than guess.
    assert "Akreditasi" not in text and "DOAJ" not in text and not first.candidate.accreditation


async def test_the_draft_answers_whether_the_journal_is_accredited_and_the_patron_gets_that_answer(
    tmp_path: Path, catalog_dir: Path,
) -> None:
    async with _desk_with_lists(tmp_path, catalog_dir) as (desk, _doaj_url):
        text, draft_id = await _ask(desk, QUESTION)
        draft = await desk.services.store.get_draft(draft_id)
        await desk.press(f"approve:{draft_id}")

        async def patron_list() -> str:
            texts = [m.get("text", "") for m in await desk.sent_to(PATRON)]
            return next((t for t in texts if "Berkala Literasi Informasi" in t), "")

        patron = str(await eventually(patron_list, what="the approved list on the patron's phone"))
        # Asked for articles on a topic, the articles of vetted journals carry the short marks.
        topic, topic_id = await _ask(desk, "minta artikel jurnal tentang literasi informasi siswa sekolah menengah")
        topic_draft = await desk.services.store.get_draft(topic_id)

    assert draft is not None and topic_draft is not None
    first = draft.items[0].candidate
    assert first.kind.value == "journal" and "1907-4239" in first.issn
    assert {"DOAJ", "SINTA 2"} <= set(first.accreditation)
    answer = ("Akreditasi: SINTA 2 (SK Dirjen No. 105/E/KPT/2022, berlaku s.d. 31 Des 2031); terindeks DOAJ")
    assert answer in _item(text, 1)
    assert answer in patron and patron.count(PORTAL) == 1
    lines = {n: _item(topic, n).split("\n")[1] for n in range(1, len(topic_draft.items) + 1)}
    journals = {n: topic_draft.items[n - 1].candidate.container for n in lines}
    assert {lines[n] for n in lines if journals[n] == "Berkala Literasi Informasi"} == {
        "   Artikel · akses terbuka · DOAJ ✓ · SINTA 2"}
    # Jurnal Minat Baca dan Budaya Literasi is on neither list: its articles say nothing either way.
    assert {lines[n] for n in lines if journals[n] == "Jurnal Minat Baca dan Budaya Literasi"} == {
        "   Artikel · akses terbuka"}


async def test_a_journal_on_no_list_is_said_so_and_a_doaj_outage_is_unknown_never_no(
    tmp_path: Path, catalog_dir: Path,
) -> None:
    async with _desk_with_lists(tmp_path, catalog_dir) as (desk, doaj_url):
        # Journal of Academic Reference Services: in neither DOAJ nor the library's SINTA list.
        text, _ = await _ask(desk, "apakah jurnal ISSN 1544-7189 terakreditasi?")
        first = _item(text, 1)
        assert "Journal of Academic Reference Services" in first
        updated = first.split("(diperbarui ")[1].split(")")[0]
        assert "Akreditasi: tidak ada di daftar SINTA perpustakaan (diperbarui " in first
        assert updated.split()[-1].isdigit() and first.endswith("; tidak ada di DOAJ")

        async with desk.http.post(f"{doaj_url}/_control", json={"status": 503}) as resp:
            assert resp.status == 200
        # Its SINTA accreditation ended in 2025; DOAJ is down: "unknown", never "not in DOAJ".
        text, _ = await _ask(desk, "jurnal ISSN 2088-6306 masih terakreditasi sinta?")
        first = _item(text, 1)
        assert "Jurnal Dokumentasi dan Arsip Digital" in first
        assert "pernah SINTA 5 (SK Dirjen No. 164/E/KPT/2021), masa berlakunya berakhir 30 Jun 2025" in first
        assert "DOAJ belum dapat dicek saat ini" in first and "tidak ada di DOAJ" not in first


async def test_as_make_demo_runs_it_the_sandbox_answers_from_its_doaj_and_demo_sinta_list(
    tmp_path: Path, catalog_dir: Path,
) -> None:
    port = free_port()
    # The stand-ins answer in-process; the default budgets leave room for a busy machine.
    settings = make_settings(tmp_path, catalog_dir, port=port, graph="", crossref="", desk=DAY_AND_NIGHT,
                             search=SearchSettings())
    settings = replace(settings, crossref=replace(settings.crossref, timeout=CrossrefSettings().timeout),
                       sandbox=replace(settings.sandbox, enabled=True))
    runner, url = await serve(create_app(settings), port)
    try:
        async with aiohttp.ClientSession() as http:
            body = {"from": PATRON, "text": QUESTION}
            async with http.post(f"{url}/sandbox/api/send", json=body) as resp:  # the chat page's signed webhook
                assert resp.status == 200, await resp.text()

            async def draft() -> str:
                async with http.get(f"{url}/sandbox/api/thread", params={"phone": LIBRARIAN}) as resp:
                    messages = (await resp.json())["messages"]
                return next((m["text"] for m in messages if not m["from_me"] and "Draft #" in m["text"]
                             and "\n\n1. " in m["text"]), "")

            text = str(await eventually(draft, within=30, what="the draft in the librarian's sandbox phone"))
    finally:
        await runner.cleanup()
    first = _item(text, 1)
    assert first.startswith("_Berkala Literasi Informasi_")
    assert "Akreditasi: SINTA 2 (SK Dirjen No. 105/E/KPT/2022 (demo), berlaku s.d. 31 Des 2029); terindeks DOAJ" in first


@asynccontextmanager
async def _desk_with_lists(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[tuple[Desk, str]]:
    runner, doaj_url = await serve(create_doaj_standin())
    sinta = tmp_path / "sinta.csv"
    sinta.write_text(SINTA_CSV, encoding="utf-8")
    journals = JournalSettings(doaj=True, doaj_base_url=f"{doaj_url}/api", doaj_timeout=1.0, sinta_csv=str(sinta))
    try:
        # The whole default search deadline, so DOAJ's answers are in even on a busy machine.
        async with running_desk(tmp_path, catalog_dir, journals=journals, desk=DAY_AND_NIGHT,
                                search=SearchSettings()) as desk:
            yield desk, doaj_url
    finally:
        await runner.cleanup()


async def _ask(desk: Desk, question: str) -> tuple[str, int]:
    """The patron asks; the librarian's review copy of the new draft, and its number."""
    before = set(await desk.services.store.draft_ids())
    already = len(await desk.sent_to(LIBRARIAN))
    await desk.patron_says(question)

    async def new_draft() -> list[int]:
        return [d for d in await desk.services.store.draft_ids() if d not in before]

    [draft_id] = await eventually(new_draft, what="a draft")

    async def review() -> str:
        # A long review copy comes in several messages; it is whole once its buttons have come.
        messages = (await desk.sent_to(LIBRARIAN))[already:]
        if not any(f"approve:{draft_id}" in json.dumps(m) for m in messages):
            return ""
        return "\n\n".join(m.get("text", "") for m in messages)

    return str(await eventually(review, what="the draft on the librarian's phone")), draft_id


def _item(text: str, number: int) -> str:
    """Item ``number`` of a draft as the librarian reads it (its lines up to the score)."""
    block = text.split(f"\n\n{number}. ", 1)[1].split("\n\n", 1)[0]
    return block.split("\n   [")[0]
