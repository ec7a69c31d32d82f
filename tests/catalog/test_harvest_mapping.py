"""What a repository's record says about editors, degrees and hosts reaches the catalog record, as MARC's does."""

from __future__ import annotations

from refbot.catalog.harvest.mapping import Origin, to_record
from refbot.catalog.harvest.protocol import parse_page
from refbot.catalog.record import CatalogRecord
from refbot.citations import apa_citation
from refbot.models import Kind

_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2026-12-03T08:00:00Z</responseDate><request verb="ListRecords">https://repo.example/oai</request>
<ListRecords>{records}</ListRecords></OAI-PMH>"""
_DC = """<record><header><identifier>oai:repo:7</identifier><datestamp>2026-01-02</datestamp></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Literasi informasi mahasiswa tingkat akhir</dc:title><dc:creator>Lestari, Dewi</dc:creator>
<dc:contributor>Kusnadi, Hendra</dc:contributor><dc:type>Thesis</dc:type><dc:type>Skripsi</dc:type>
<dc:publisher>Universitas Diponegoro</dc:publisher><dc:date>2021</dc:date>
<dc:identifier>https://repo.example/7/1/skripsi.pdf</dc:identifier></oai_dc:dc></metadata></record>"""
_MODS = """<record><header><identifier>oai:repo:8</identifier><datestamp>2026-01-02</datestamp></header><metadata>
<mods xmlns="http://www.loc.gov/mods/v3">
<titleInfo><title>Katalogisasi subjek</title></titleInfo>
<name><namePart>Sari, Rina</namePart><role><roleTerm>author</roleTerm></role></name>
<name><namePart>Kusnadi, Hendra</namePart><role><roleTerm type="code">edt</roleTerm></role></name>
<genre>bookPart</genre><originInfo><dateIssued>2020</dateIssued><edition>Ed. ke-2</edition></originInfo>
<relatedItem type="host"><titleInfo><title>Linked data untuk perpustakaan</title></titleInfo>
<part><extent unit="pages"><start>15</start><end>32</end></extent></part></relatedItem>
</mods></metadata></record>"""


def _records() -> list[CatalogRecord]:
    page = parse_page(_PAGE.format(records=_DC + _MODS).encode())
    mapped = [to_record(r, Origin("repositori", "repositori Undip"), p) for r, p in zip(page.records, ("oai_dc", "mods"), strict=True)]
    assert all(isinstance(m, CatalogRecord) for m in mapped), mapped
    return [m for m in mapped if isinstance(m, CatalogRecord)]


def test_a_repository_thesis_keeps_its_degree_and_its_advisor_apart_from_its_author() -> None:
    thesis = _records()[0]
    assert (thesis.kind, thesis.degree, thesis.authors, thesis.contributors) == (
        Kind.THESIS, "Skripsi", ("Lestari, Dewi",), ("Kusnadi, Hendra",))
    citation = apa_citation(thesis.to_candidate(), "plain", "id")
    assert "Skripsi" in citation and "Kusnadi" not in citation, citation


def test_a_mods_chapter_names_its_editor_edition_and_book_as_its_reference_needs() -> None:
    chapter = _records()[1]
    assert (chapter.authors, chapter.editors, chapter.edition) == (("Sari, Rina",), ("Kusnadi, Hendra",), "Ed. ke-2")
    assert (chapter.container, chapter.pages) == ("Linked data untuk perpustakaan", "15–32")
    citation = apa_citation(chapter.to_candidate(), "plain", "en")
    assert "In H. Kusnadi (Ed.), Linked data untuk perpustakaan" in citation, citation


_PAPER = """<record><header><identifier>oai:repo:{n}</identifier><datestamp>2026-01-02</datestamp></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Prosiding seminar literasi {n}</dc:title><dc:type>Conference paper</dc:type>
<dc:identifier>Sari, R. (2020) Prosiding seminar literasi.</dc:identifier>
<dc:identifier>urn:ISBN:978-602-1234-56-7</dc:identifier><dc:identifier>ISSN 2301-4385</dc:identifier>
<dc:identifier>{link}</dc:identifier>
<dc:relation>https://repo.example/{n}/1/prosiding.pdf</dc:relation></oai_dc:dc></metadata></record>"""


def test_a_papers_codes_and_full_text_come_from_its_identifiers_and_each_record_shows_its_own_copy() -> None:
    # The landing page comes first among the identifiers, the PDF only in a relation: the PDF is the full text.
    page = parse_page(_PAGE.format(records=_PAPER.format(n=1, link="https://repo.example/1/")
                                   + _PAPER.format(n=2, link="https://repo.example/2/")).encode())
    first, second = (to_record(r, Origin("repositori", "repositori Undip"), "oai_dc") for r in page.records)
    assert isinstance(first, CatalogRecord) and isinstance(second, CatalogRecord)
    assert (first.isbn, first.issn, first.url) == (("9786021234567",), ("2301-4385",), "https://repo.example/1/1/prosiding.pdf")
    assert [(h.location, h.status, h.available) for h in first.holdings] == [("repositori Undip", "online PDF", True)]
    assert second.url == "https://repo.example/2/1/prosiding.pdf" and second.holdings == first.holdings
    landing_only = parse_page(_PAGE.format(records=_PAPER.format(n=3, link="https://repo.example/3/").replace(
        "<dc:relation>https://repo.example/3/1/prosiding.pdf</dc:relation>", "")).encode())
    paper = to_record(landing_only.records[0], Origin("repositori"), "oai_dc")
    assert isinstance(paper, CatalogRecord) and paper.url == "https://repo.example/3/"
    assert [(h.location, h.status) for h in paper.holdings] == [("repositori", "online")]
