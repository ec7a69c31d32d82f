"""What the console's times and counts say: the library's clock, and what the patron actually received."""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import replace
from zoneinfo import ZoneInfo

from refbot.decisions import drafts
from refbot.models import DraftStatus, Kind, Ranked, Score
from tests.conftest import PATRON, eventually
from tests.web.console.conftest import ConsoleDesk

QUESTION = "tolong carikan jurnal tentang literasi informasi dan prestasi akademik mahasiswa"
JAKARTA = ZoneInfo("Asia/Jakarta")  # desk.timezone's default; the machine running the tests is on UTC or anything


async def test_times_are_the_librarys_in_the_draft_page_the_hour_chart_and_the_csv(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    row = await console.store.fetchone("SELECT created_at FROM requests WHERE id = ?", (draft.request_id,))
    asked = datetime.datetime.fromtimestamp(row["created_at"], JAKARTA)
    dewi = await console.librarian("dewi")

    page = await dewi.get(f"/console/drafts/{draft.id}")
    assert f"Ditanyakan</dt><dd>{asked:%Y-%m-%d %H:%M}" in page.text

    stats = await dewi.get("/console/stats", days="7")
    assert f"<title>{asked:%H}: 1</title>" in stats.text  # the per-hour column of the library's hour
    assert f"<title>{asked:%d/%m}: 1</title>" in stats.text  # and the day, which may differ from UTC's

    before = datetime.datetime.now(JAKARTA).date()
    export = await dewi.get("/console/stats.csv", days="7")
    after = datetime.datetime.now(JAKARTA).date()
    (only,) = csv.DictReader(io.StringIO(export.text))
    assert (only["asked_date"], only["asked_hour"]) == (asked.date().isoformat(), str(asked.hour))
    named = export.headers["Content-Disposition"]
    assert any(f"refbot-transactions-{day.isoformat()}" in named for day in (before, after))  # the library's today


async def test_a_retracted_item_is_never_counted_as_sent(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    first = draft.items[0].candidate
    retracted = replace(first, source="crossref", source_id="retracted-1", doi="10.5555/retracted.1",
                        title="Studi yang ditarik", retracted=True, kind=Kind.ARTICLE, holdings=())
    await drafts.edit(console.store, draft.id, "6281300000001",
                      add=[Ranked(retracted, Score(-9.5, (("relevance", 0.5), ("retracted", -10.0))))])
    dewi = await console.librarian("dewi")
    token = (await dewi.get(f"/console/drafts/{draft.id}")).csrf
    await dewi.post(f"/console/drafts/{draft.id}/approve", {"version": "2", "effort": "2"}, csrf=token)

    async def sent() -> bool:
        found = await console.store.get_draft(draft.id)
        return found is not None and found.status is DraftStatus.SENT

    await eventually(sent, what="the list sent")
    received = [m for m in await console.desk.sent_to(PATRON) if "daftar #" in str(m)]
    assert received and "Studi yang ditarik" not in str(received)
    kept = [r.candidate for r in draft.items if not r.candidate.retracted]
    crossref_kept = sum(1 for c in kept if c.source == "crossref")

    export = await dewi.get("/console/stats.csv", days="7")
    (only,) = csv.DictReader(io.StringIO(export.text))
    assert only["items_sent"] == str(len(kept))  # what the patron received, not the retracted one too
    sources = dict(part.split(":") for part in only["sources_sent"].split())
    assert int(sources.get("crossref", "0")) == crossref_kept
    assert only["items_added"] == "0"

    stats = await dewi.get("/console/stats", days="7")
    assert f"<title>crossref: {crossref_kept}</title>" in stats.text


async def test_the_draft_page_shows_citation_counts_and_names_every_score_part(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    cited = [r.candidate for r in draft.items if r.candidate.citations]
    assert cited, "the Crossref stand-in's works carry citation counts"
    parts = {name for r in draft.items for name, _value in r.score.parts}
    assert {"journal", "citations"} <= parts
    dewi = await console.librarian("dewi")

    page = await dewi.get(f"/console/drafts/{draft.id}")
    for c in cited:
        assert f"dikutip {c.citations} kali (Crossref)" in page.text  # as the WhatsApp review says it
    assert "terbit di jurnal ber-ISSN +" in page.text and "jumlah sitasi +" in page.text
    assert not re.search(r'class="part[^"]*">(journal|citations) ', page.text)

    english = await dewi.get(f"/console/drafts/{draft.id}", lang="en")
    assert f"cited {cited[0].citations} times (Crossref)" in english.text
