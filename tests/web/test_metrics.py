"""What an IT officer's Prometheus sees at /metrics: the numbers move as the desk works, and only for them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from refbot.config import MetricsSettings, Secret, Secrets, WorkerSettings, load_settings
from refbot.errors import ConfigError
from refbot.sandbox.payloads import SIGNATURE_HEADER, BusinessNumber, encode, sign, text_message
from refbot.sandbox.postgres import free_port
from refbot.web.server import create_app
from tests.conftest import (
    APP_SECRET,
    LIBRARIAN,
    PATRON,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    eventually,
    running_desk,
    serve,
)

METRICS_TOKEN = "rahasia-metrik"
SECRETS = Secrets(Secret(TOKEN), Secret(APP_SECRET), Secret(VERIFY_TOKEN), metrics_token=Secret(METRICS_TOKEN))
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The scrape as sample name and labels → value (parsed as Prometheus parses it)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with http.get(f"{url}/metrics", headers=headers or {}) as resp:
        return resp.status, await resp.text()


async def test_a_question_moves_the_counters_an_it_officer_watches(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir, metrics=MetricsSettings(enabled=True), secrets=SECRETS) as desk:
        await desk.patron_says("literasi informasi mahasiswa")
        await eventually(lambda: desk.services.store.draft_for_request(1), what="the draft")
        await eventually(lambda: desk.sent_to(LIBRARIAN), what="the review to reach the librarian")
        async with desk.http.post(f"{desk.url}/webhook", data=b"{}", headers={SIGNATURE_HEADER: "sha256=00"}) as r:
            assert r.status == 401
        body = b"not json"
        async with desk.http.post(f"{desk.url}/webhook", data=body, headers={SIGNATURE_HEADER: sign(body, APP_SECRET)}):
            pass

        async def sent_counted() -> dict[Any, float] | None:
            status, text = await scrape(desk.http, desk.url, BEARER)
            assert status == 200
            found = samples(text)
            return found if value(found, "refbot_sends_total", library="default", outcome="sent") >= 2 else None

        scraped = await eventually(sent_counted, what="the sends to be counted")
        _, text = await scrape(desk.http, desk.url, BEARER)

    # The question (and any status webhooks WhatsApp's stand-in has sent back for the sends by now).
    assert value(scraped, "refbot_webhooks_received_total") >= 1
    assert value(scraped, "refbot_webhooks_refused_total", reason="bad_signature") == 1
    assert value(scraped, "refbot_webhooks_refused_total", reason="malformed_body") == 1
    assert value(scraped, "refbot_drafts_total", library="default") == 1
    assert value(scraped, "refbot_draft_latency_seconds_count", library="default") == 1
    assert 0 < value(scraped, "refbot_draft_latency_seconds_sum", library="default") < 30
    assert value(scraped, "refbot_source_latency_seconds_count", library="default", source="catalog") == 1
    assert value(scraped, "refbot_source_failures_total", library="default", source="catalog") == 0
    assert value(scraped, "refbot_inbox_backlog", library="default") == 0, "the question was handled"
    assert value(scraped, "refbot_sends_in_doubt", library="default") == 0
    assert ("refbot_messages_held", frozenset({("library", "default")})) in scraped
    assert PATRON not in text and PATRON[-8:] not in text, "no patron's number in the metrics"
    assert "literasi" not in text, "no patron's words in the metrics"


async def test_metrics_on_the_web_port_need_the_token(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir, metrics=MetricsSettings(enabled=True), secrets=SECRETS) as desk:
        without, _ = await scrape(desk.http, desk.url)
        wrong, body = await scrape(desk.http, desk.url, {"Authorization": "Bearer not-the-token"})
        right, _ = await scrape(desk.http, desk.url, BEARER)
    assert (without, wrong, right) == (401, 401, 200)
    assert "refbot_" not in body


async def test_metrics_are_not_served_unless_enabled(desk: Any) -> None:
    status, _ = await scrape(desk.http, desk.url, BEARER)
    assert status == 404


def test_metrics_on_the_web_port_without_a_token_refuse_to_start(tmp_path: Path) -> None:
    base = load_settings(None, env={})
    settings = replace(base, store=replace(base.store, path=str(tmp_path / "r.sqlite3")),
                       metrics=MetricsSettings(enabled=True))
    with pytest.raises(ConfigError, match="REFBOT_METRICS_TOKEN"):
        create_app(settings)


async def test_a_listener_of_its_own_needs_no_token_and_shows_what_waits(tmp_path: Path, catalog_dir: Path) -> None:
    port = free_port()
    async with running_desk(tmp_path, catalog_dir, metrics=MetricsSettings(enabled=True, port=port),
                            worker=WorkerSettings(poll_interval=0.05, mode="none")) as desk:
        await desk.patron_says("minat baca remaja")
        on_web_port, _ = await scrape(desk.http, desk.url, BEARER)
        status, text = await scrape(desk.http, f"http://127.0.0.1:{port}")
    assert on_web_port == 404, "with a listener of its own, the web port has no /metrics"
    assert status == 200
    scraped = samples(text)
    assert value(scraped, "refbot_journal_backlog", library="default") == 1, "the webhook waits for a worker"


@pytest.mark.slow
async def test_the_worker_childs_counts_reach_the_web_process_scrape(tmp_path: Path, catalog_dir: Path) -> None:
    """``refbot serve`` as an admin runs it: the worker in a child process, metrics on the web port."""
    from refbot.sandbox.crossref import create_crossref_standin
    from refbot.sandbox.graph import create_graph_standin

    port = free_port()
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    graph_runner, graph_url = await serve(create_graph_standin(TOKEN, APP_SECRET, PHONE_NUMBER_ID))
    config = tmp_path / "refbot.yaml"
    config.write_text(
        f"store: {{path: '{tmp_path / 'refbot.sqlite3'}'}}\n"
        f"catalog: {{index_dir: '{catalog_dir}'}}\n"
        f"crossref: {{base_url: '{crossref_url}', timeout: 2.0}}\n"
        f"whatsapp: {{graph_api_base: '{graph_url}', phone_number_id: '{PHONE_NUMBER_ID}'}}\n"
        f"librarians: [{{name: Dewi, phone: '{LIBRARIAN}'}}]\n"
        "worker: {mode: process, poll_interval: 0.1}\n"
        "metrics: {enabled: true}\n"
        "log: {format: json}\n"
        "desk: {hold_librarian_notices: false}\n"  # the draft reaches the librarian at whatever hour this runs
    )
    env = {**os.environ, "REFBOT_WHATSAPP_TOKEN": TOKEN, "REFBOT_WHATSAPP_APP_SECRET": APP_SECRET,
           "REFBOT_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "REFBOT_METRICS_TOKEN": METRICS_TOKEN}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        service = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "refbot.cli", "serve", "--config", str(config), "--port", str(port),
            stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async def up() -> bool:
                try:
                    async with http.get(f"{url}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(up, within=60, what="refbot serve to answer /healthz")
            body = encode(text_message(BusinessNumber(PHONE_NUMBER_ID), PATRON, "perpustakaan digital"))
            async with http.post(f"{url}/webhook", data=body, headers={SIGNATURE_HEADER: sign(body, APP_SECRET)}) as r:
                assert r.status == 200

            async def drafted_and_sent() -> dict[Any, float] | None:
                status, text = await scrape(http, url, BEARER)
                found = samples(text) if status == 200 else {}
                done = value(found, "refbot_drafts_total", library="default") == 1 and \
                    value(found, "refbot_sends_total", library="default", outcome="sent") >= 2
                return found if done else None

            scraped = await eventually(drafted_and_sent, within=60, what="the child's draft and sends in the scrape")
    finally:
        service.terminate()
        async with asyncio.timeout(30):
            await service.wait()
        await graph_runner.cleanup()
        await crossref_runner.cleanup()
    assert value(scraped, "refbot_webhooks_received_total") >= 1
    assert value(scraped, "refbot_draft_latency_seconds_count", library="default") == 1
    lines = log.read_text().splitlines()
    assert PATRON not in log.read_text(), "phone numbers stay masked in the logs"
    from tests.test_logs import joined_by_request

    joined_by_request(lines, want_processes={"web", "worker"})
