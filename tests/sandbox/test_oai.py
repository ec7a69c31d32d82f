"""The OAI-PMH stand-in answers as a repository does: the verbs, pages, deletions and faults."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from refbot.catalog.harvest.protocol import OaiError, parse_identify, parse_page
from refbot.sandbox.oai import OAI_STATE, Item, OaiState, create_oai_standin, thesis
from tests.conftest import serve


@dataclass
class Endpoint:
    url: str
    state: OaiState
    http: aiohttp.ClientSession

    async def ask(self, **query: str) -> tuple[int, bytes, aiohttp.ClientResponse]:
        async with self.http.get(self.url, params=query) as resp:
            return resp.status, await resp.read(), resp


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    app = create_oai_standin()
    runner, url = await serve(app)
    try:
        async with aiohttp.ClientSession() as http:
            yield Endpoint(f"{url}/", app[OAI_STATE], http)
    finally:
        await runner.cleanup()


async def test_identify_names_the_repository_with_seconds_and_persistent_deletions(endpoint: Endpoint) -> None:
    _, body, _ = await endpoint.ask(verb="Identify")
    identify = parse_identify(body)
    assert identify.seconds and identify.deleted_record == "persistent" and "Universitas Contoh" in identify.name


async def test_list_records_pages_with_tokens_and_says_how_many(endpoint: Endpoint) -> None:
    _, body, _ = await endpoint.ask(verb="ListRecords", metadataPrefix="oai_dc")
    first = parse_page(body)
    assert len(first.records) == 10 and first.complete_size == 30 and first.token
    _, body, _ = await endpoint.ask(verb="ListRecords", resumptionToken=first.token)
    second = parse_page(body)
    assert second.records[0].identifier != first.records[0].identifier


async def test_a_set_and_a_from_narrow_the_list(endpoint: Endpoint) -> None:
    _, body, _ = await endpoint.ask(verb="ListRecords", metadataPrefix="oai_dc", set="tesis")
    assert {r.sets for r in parse_page(body).records} == {("tesis",)}
    _, body, _ = await endpoint.ask(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2024-07-01"})
    assert all(r.datestamp >= "2024-07-01" for r in parse_page(body).records)


async def test_deleted_records_have_a_header_and_no_metadata(endpoint: Endpoint) -> None:
    endpoint.state.delete(3)
    _, body, _ = await endpoint.ask(verb="GetRecord", metadataPrefix="oai_dc",
                                    identifier="oai:repositori.contoh.ac.id:3")
    record = parse_page(body).records[0]
    assert record.deleted and record.metadata is None


@pytest.mark.parametrize(("query", "code"), [
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2099-01-01"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "resumptionToken": "rubbish"}, "badResumptionToken"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:x:999"}, "idDoesNotExist"),
])
async def test_protocol_errors_come_as_oai_errors_with_status_200(endpoint: Endpoint, query: dict[str, str],
                                                                   code: str) -> None:
    status, body, _ = await endpoint.ask(**query)
    assert status == 200
    with pytest.raises(OaiError) as raised:
        parse_page(body)
    assert raised.value.code == code


async def test_when_unavailable_it_answers_503_with_retry_after(endpoint: Endpoint) -> None:
    endpoint.state.unavailable, endpoint.state.retry_after = 1, 7
    status, _, resp = await endpoint.ask(verb="Identify")
    assert status == 503 and resp.headers["Retry-After"] == "7"
    status, _, _ = await endpoint.ask(verb="Identify")
    assert status == 200



async def test_a_page_is_byte_for_byte_what_the_repository_always_sent(endpoint: Endpoint) -> None:
    # Pinned from the stand-in before records were rendered once, when put: harvest tests and
    # the benchmark compare against what it sends, so its wire format must not drift.
    expected = (Path(__file__).parent / "data" / "oai_disertasi_page.xml").read_text(encoding="utf-8")
    endpoint.state.page_size = 2
    endpoint.state.delete(29, datetime.datetime(2025, 5, 6, 7, 8, 9, tzinfo=datetime.UTC))
    status, body, resp = await endpoint.ask(verb="ListRecords", metadataPrefix="oai_dc", set="disertasi")
    sent = body.decode("utf-8")
    response_date = sent.split("<responseDate>", 1)[1].split("</responseDate>", 1)[0]
    assert status == 200 and resp.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert sent == expected.format(response_date=response_date, url=endpoint.url)


async def test_a_record_changed_in_the_repository_is_sent_as_it_is_now(endpoint: Endpoint) -> None:
    await endpoint.ask(verb="ListRecords", metadataPrefix="oai_dc")  # the records as first sent
    when = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    endpoint.state.put(thesis(2, "skripsi", "Judul yang diperbaiki", "Saputra, Andi", 2022, ["Layanan"], "Baru.", when))
    endpoint.state.items[3] = Item(3, when, {"title": ["Ditulis langsung"]}, ("skripsi",))  # not put: still current
    endpoint.state.delete(4, when)
    _, body, _ = await endpoint.ask(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2025-03-01"})
    records = {r.identifier.rpartition(":")[2]: r for r in parse_page(body).records}
    assert set(records) == {"2", "3", "4"} and records["4"].deleted
    titles = {n: r.metadata.findtext("{http://purl.org/dc/elements/1.1/}title") for n, r in records.items() if r.metadata is not None}
    assert titles == {"2": "Judul yang diperbaiki", "3": "Ditulis langsung"}
    _, body, _ = await endpoint.ask(verb="GetRecord", metadataPrefix="oai_dc", identifier="oai:repositori.contoh.ac.id:3")
    assert b"Ditulis langsung" in body
