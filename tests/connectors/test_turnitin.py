"""The Turnitin Core API connector against the TCA stand-in on loopback: the steps, the retries, the refusals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import aiohttp
import pytest
from aiohttp import web

from connectors.turnitin import TurnitinSimilarity
from connectors.turnitin.client import TurnitinClient
from refbot.config import Secret, SimilaritySettings
from refbot.ports import SimilarityError
from refbot.sandbox.turnitin import TURNITIN_STATE, TurnitinFault, TurnitinState, create_turnitin_standin
from tests.conftest import serve

KEY = "tca-key"
MANUSCRIPT = b"%PDF-1.4 a thesis chapter"


@dataclass
class Tca:
    turnitin: TurnitinSimilarity
    state: TurnitinState
    url: str
    session: aiohttp.ClientSession


@pytest.fixture
async def tca() -> AsyncIterator[Tca]:
    app = create_turnitin_standin(KEY)
    runner, url = await serve(app)
    settings = replace(SimilaritySettings(), turnitin=True, turnitin_base_url=url, turnitin_timeout=2.0)
    async with aiohttp.ClientSession() as session:
        yield Tca(TurnitinSimilarity(settings, Secret(KEY), session, backoff=0.01), app[TURNITIN_STATE], url, session)
    await runner.cleanup()


async def test_a_check_walks_through_every_step_to_the_score_and_the_pdf(tca: Tca) -> None:
    tca.state.percent, tca.state.report_polls = 31.5, 3
    submission = await tca.turnitin.submit(title="refbot #1", owner="lib", filename="bab 2 (final).pdf",
                                           data=MANUSCRIPT)
    states = [(await tca.turnitin.progress(submission)).state for _ in range(3)]
    assert states == ["processing", "processing", "processing"]  # the report asked for, then two polls
    done = await tca.turnitin.progress(submission)
    assert done.state == "complete" and done.percent == 31.5
    first = await tca.turnitin.report(submission)
    assert first.data is None and first.pdf_id
    ready = await tca.turnitin.report(submission, first.pdf_id)
    assert ready.data is not None and ready.data.startswith(b"%PDF-")
    assert tca.state.submissions[submission].size == len(MANUSCRIPT)


async def test_a_submission_in_error_state_reports_turnitins_reason(tca: Tca) -> None:
    tca.state.next_error = "CANNOT_EXTRACT_TEXT"
    submission = await tca.turnitin.submit(title="t", owner="lib", filename="scan.pdf", data=MANUSCRIPT)
    failed = await tca.turnitin.progress(submission)
    assert failed.state == "failed" and failed.reason == "CANNOT_EXTRACT_TEXT"


async def test_refusals_are_clear_and_not_retried(tca: Tca) -> None:
    with pytest.raises(SimilarityError) as unknown:
        await tca.turnitin.progress("no-such-submission")
    assert unknown.value.status == 404 and not unknown.value.transient

    client = tca.turnitin.client
    submission = await tca.turnitin.submit(title="t", owner="lib", filename="a.pdf", data=MANUSCRIPT)
    with pytest.raises(SimilarityError) as twice:
        await client.upload(f"/submissions/{submission}/original", "a.pdf", MANUSCRIPT)
    assert twice.value.status == 409 and "already" in twice.value.reason

    tca.state.max_bytes = 10
    with pytest.raises(SimilarityError) as large:
        await tca.turnitin.submit(title="t", owner="lib", filename="a.pdf", data=MANUSCRIPT)
    assert large.value.status == 413 and not large.value.transient

    wrong = TurnitinClient(tca.url, "not-the-key", tca.session)
    with pytest.raises(SimilarityError) as refused:
        await wrong.json("GET", f"/submissions/{submission}")
    assert refused.value.status == 401 and "REFBOT_TURNITIN_API_KEY" in refused.value.reason
    assert sum(1 for c in tca.state.calls if c == f"GET /submissions/{submission}") == 1


async def test_every_call_names_the_integration(tca: Tca) -> None:
    async with tca.session.post(f"{tca.url}/api/v1/submissions", json={"owner": "o", "title": "t"},
                                headers={"Authorization": f"Bearer {KEY}"}) as resp:
        assert resp.status == 400  # the stand-in, like TCA, wants X-Turnitin-Integration-Name/Version
    await tca.turnitin.submit(title="t", owner="lib", filename="a.pdf", data=MANUSCRIPT)  # the connector sends them


async def test_transient_failures_are_retried_with_retry_after(tca: Tca) -> None:
    tca.state.faults += [TurnitinFault(503, times=1, on="create"), TurnitinFault(429, times=1, on="upload",
                                                                                 retry_after=0.05)]
    submission = await tca.turnitin.submit(title="t", owner="lib", filename="a.pdf", data=MANUSCRIPT)
    assert tca.state.calls.count("POST /submissions") == 2
    assert tca.state.calls.count(f"PUT /submissions/{submission}/original") == 2


async def test_a_long_retry_after_or_a_lasting_outage_is_a_transient_error(tca: Tca) -> None:
    tca.state.faults.append(TurnitinFault(429, times=1, retry_after=600))
    with pytest.raises(SimilarityError) as slow_down:
        await tca.turnitin.submit(title="t", owner="lib", filename="a.pdf", data=MANUSCRIPT)
    assert slow_down.value.transient and slow_down.value.retry_after == 600
    assert tca.state.calls.count("POST /submissions") == 1  # not waited out inside the chore

    tca.state.faults.append(TurnitinFault(500, times=10))
    with pytest.raises(SimilarityError) as down:
        await tca.turnitin.submit(title="t", owner="lib", filename="a.pdf", data=MANUSCRIPT)
    assert down.value.transient and down.value.status == 500


async def test_a_turnitin_that_does_not_answer_times_out() -> None:
    released = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await released.wait()
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hang)
    runner, url = await serve(app)
    try:
        async with aiohttp.ClientSession() as session:
            client = TurnitinClient(url, KEY, session, timeout=0.2, backoff=0.01)
            with pytest.raises(SimilarityError) as slow:
                await client.json("GET", "/submissions/x")
        assert slow.value.transient and "unreachable" in slow.value.reason
    finally:
        released.set()
        await runner.cleanup()
