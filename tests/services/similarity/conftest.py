"""Manuscripts the tests make themselves, and a patron's and a librarian's moves with them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import aiohttp
import pytest
from fpdf import FPDF
from PIL import Image

from connectors.turnitin import TurnitinSimilarity
from refbot.config import Secret
from refbot.delivery.chores import Chores
from refbot.delivery.sender import Sender
from refbot.desk.routing import Desk
from refbot.models import InboundMessage
from refbot.sandbox.turnitin import TURNITIN_STATE, TurnitinState, create_turnitin_standin
from refbot.services.similarity.automation import SimilarityRunner
from refbot.services.similarity.service import SimilarityChecks
from refbot.store import InboxRow
from tests.conftest import serve
from tests.services.conftest import PATRON, Harness

TURNITIN_KEY = "tca-test-key"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PARAGRAPH = ("Literasi informasi mahasiswa di perguruan tinggi Indonesia berkembang pesat seiring dengan "
             "meningkatnya akses terhadap jurnal elektronik dan repositori institusi.")


def thesis_pdf(pages: int = 3) -> bytes:
    """A PDF with a text layer: ``pages`` pages of the same paragraph."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for n in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Bab {n + 1}. " + PARAGRAPH * 3)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF whose only page is a picture: what a phone scanner makes."""
    picture = io.BytesIO()
    Image.new("RGB", (400, 560), "white").save(picture, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(picture.getvalue()), x=10, y=10, w=180)
    return bytes(pdf.output())


def thesis_docx(paragraphs: int = 4, pages: int | None = 2) -> bytes:
    """A Word document as Word writes one: a ZIP with ``word/document.xml`` (and ``docProps/app.xml``)."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f'<w:p><w:r><w:t>{PARAGRAPH}</w:t></w:r><w:r><w:t xml:space="preserve"> Paragraf {n}.</w:t></w:r></w:p>'
                   for n in range(paragraphs))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>')
        if pages is not None:
            z.writestr("docProps/app.xml", f"<Properties><Pages>{pages}</Pages></Properties>")
    return out.getvalue()


async def send_document(
    harness: Harness, data: bytes, mime_type: str, caption: str = "TURNITIN", *, sender: str = PATRON,
    filename: str = "skripsi-bab2.pdf", type: str = "document",
) -> int:
    """A document (or image) message with a caption, as the webhook stores it; returns its inbox id."""
    media_id = harness.media.add(data, mime_type, filename)
    wamid = f"wamid.sim{next(harness.wamids)}"
    message = InboundMessage(wamid, sender, type, text=caption, media_id=media_id, mime_type=mime_type,
                             filename=filename)
    assert await harness.store.record_inbound(message)
    claimed = await harness.store.claim_inbox(10)
    row = next(r for r in claimed if r.message.wamid == wamid)
    await harness.desk.handle(InboxRow(row.id, row.message, row.attempts))
    return row.id


@dataclass
class Automated:
    """The desk with Turnitin configured, against the TCA stand-in on loopback; ``chores`` runs a round."""

    harness: Harness
    turnitin: TurnitinState
    chores: Chores

    async def round(self, times: int = 1) -> None:
        for _ in range(times):
            await self.chores.run_once()


@pytest.fixture
async def automated(harness: Harness) -> AsyncIterator[Automated]:
    """``harness`` with ``similarity.turnitin`` on: manuscripts go to the stand-in, librarians approve."""
    app = create_turnitin_standin(TURNITIN_KEY)
    runner, url = await serve(app)
    settings = replace(harness.settings, similarity=replace(
        harness.settings.similarity, turnitin=True, turnitin_base_url=url, turnitin_poll_seconds=0.0,
        turnitin_timeout=5.0), secrets=replace(harness.settings.secrets, turnitin_api_key=Secret(TURNITIN_KEY)))
    old = next(s for s in harness.desk.services if isinstance(s, SimilarityChecks))
    fresh = SimilarityChecks(harness.store, settings, old.channel, media=old.media, automated=True)
    harness.desk = Desk(harness.store, [], settings, services=[fresh if s is old else s for s in harness.desk.services])
    harness.settings = settings
    async with aiohttp.ClientSession() as session:
        checker = TurnitinSimilarity(settings.similarity, settings.secrets.turnitin_api_key, session, backoff=0.01)
        polling = SimilarityRunner(harness.store, settings, old.media, checker)
        chores = Chores(harness.store, Sender(harness.store, old.channel, settings), settings, similarity=polling)
        yield Automated(harness, app[TURNITIN_STATE], chores)
    await runner.cleanup()
