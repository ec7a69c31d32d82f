"""Recorded real OAI-PMH answers (../shared/data/oai/) read by the harvester's parser and mappings."""

from __future__ import annotations

import pytest

from refbot.catalog.harvest.mapping import Origin, to_record
from refbot.catalog.harvest.protocol import OaiError, parse_identify, parse_page
from refbot.catalog.record import CatalogRecord, RejectedRecord
from refbot.models import Kind
from tests.conftest import shared_data

ZENODO = Origin("zenodo", "Zenodo")


def recorded(*parts: str) -> bytes:
    return shared_data("oai", *parts).read_bytes()


def test_a_zenodo_page_of_dublin_core_becomes_records_with_kinds_and_links() -> None:
    page = parse_page(recorded("zenodo-oaipmh-scythe", "list_records__0.xml"))
    assert len(page.records) == 50 and page.token and page.complete_size == 1345244
    items = [to_record(r, ZENODO, "oai_dc") for r in page.records]
    records = [i for i in items if isinstance(i, CatalogRecord)]
    assert len(records) == 50
    assert all(r.id.startswith("zenodo:oai:zenodo.org:") and r.title for r in records)
    kinds = {r.kind for r in records}
    assert Kind.ARTICLE in kinds and Kind.BOOK in kinds and Kind.PROCEEDINGS in kinds
    assert all(r.url.startswith("https://") for r in records if r.holdings)


def test_a_record_whose_header_says_deleted_is_deleted_even_with_metadata() -> None:
    # Zenodo still sends a deleted record's Dublin Core; the header's status is what counts.
    page = parse_page(recorded("zenodo-oaipmh-scythe", "list_records__9.xml"))
    deleted = [r for r in page.records if r.deleted]
    assert len(deleted) == 1 and deleted[0].identifier == "oai:zenodo.org:8433364"
    assert page.token  # a middle page


def test_the_last_page_has_no_token() -> None:
    assert parse_page(recorded("zenodo-oaipmh-scythe", "list_records__8.xml")).token == ""


def test_marc21_records_are_read_by_refbots_own_marcxml_reader() -> None:
    page = parse_page(recorded("vufindharvest", "marc.xml"))
    items = [to_record(r, Origin("alma"), "marc21") for r in page.records if not r.deleted]
    records = [i for i in items if isinstance(i, CatalogRecord)]
    assert len(records) >= 0.9 * len(items) > 50
    assert records[0].id == f"alma:{page.records[0].identifier}" and records[0].title


@pytest.mark.parametrize(("folder", "name", "code"), [
    ("arxiv", "ErrorResponseNoRecordsMatch.xml", "noRecordsMatch"),
    ("arxiv", "ErrorResponseBadResumptionToken.xml", "badResumptionToken"),
    ("arxiv", "ErrorResponseBadArgument.xml", "badArgument"),
    ("zenodo-oaipmh-scythe", "list_records__2.xml", "noRecordsMatch"),
    ("zenodo-oaipmh-scythe", "list_records__10.xml", "badResumptionToken"),
    ("spec-examples-sickle", "cannotDisseminateFormat.xml", "cannotDisseminateFormat"),
])
def test_recorded_errors_are_told_apart_by_their_code(folder: str, name: str, code: str) -> None:
    with pytest.raises(OaiError) as raised:
        parse_page(recorded(folder, name))
    assert raised.value.code == code


def test_formats_refbot_does_not_map_are_rejected_with_a_reason_not_a_crash() -> None:
    page = parse_page(recorded("arxiv", "ListRecordsResponse.xml"))
    assert page.records and page.complete_size == 58011
    items = [to_record(r, Origin("arxiv"), "arXivRaw") for r in page.records]
    assert all(isinstance(i, RejectedRecord) and i.reason for i in items)


def test_identify_says_the_granularity() -> None:
    zenodo = parse_identify(recorded("zenodo-oaipmh-scythe", "identify__2.xml"))
    assert zenodo.name and zenodo.seconds
