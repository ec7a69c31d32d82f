"""What a log shipper reads: one JSON object per line, and a request id that joins a webhook, its draft and its sends."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from refbot.logs import configure_logging, request_context, request_id_for
from tests.conftest import LIBRARIAN, PATRON, eventually, running_desk


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes the root logger; each test leaves it as it found it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def joined_by_request(lines: list[str], want_processes: set[str] | None = None) -> str:
    """The request id that joins a message taken in, its draft and its sends (every line must be JSON)."""
    records = [json.loads(line) for line in lines if line.strip()]
    by_request: dict[str, list[dict[str, str]]] = {}
    for record in records:
        assert {"time", "level", "logger", "message", "process"} <= record.keys(), record
        if record.get("request_id"):
            by_request.setdefault(record["request_id"], []).append(record)
    for request, found in by_request.items():
        messages = [r["message"] for r in found]
        if any(m.startswith("message taken in") for m in messages) and any(m.startswith("draft ") for m in messages) \
                and any(m.startswith("send ack:") and "went out" in m for m in messages) \
                and any(m.startswith("send draft-review") or ("librarian" in m and "went out" in m) for m in messages):
            if want_processes is not None:
                assert {r["process"] for r in found} >= want_processes, found
            return request
    raise AssertionError("no request id joins a webhook, its draft and its sends:\n" + "\n".join(lines[-40:]))


def test_a_json_line_carries_the_request_and_the_exception(capsys: pytest.CaptureFixture[str],
                                                           restore_logging: None) -> None:
    configure_logging("info", "worker", "json")
    with request_context("abc123"):
        try:
            raise ValueError("the store is locked")
        except ValueError:
            logging.getLogger("refbot.test").exception("message %d failed", 7)
    logging.getLogger("refbot.test").info("outside any request")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["message"] == "message 7 failed" and first["level"] == "error" and first["logger"] == "refbot.test"
    assert first["request_id"] == "abc123" and first["process"] == "worker"
    assert "ValueError: the store is locked" in first["exception"]
    assert "request_id" not in second


def test_a_text_line_names_the_request(capsys: pytest.CaptureFixture[str], restore_logging: None) -> None:
    configure_logging(logging.INFO, "worker")
    with request_context("abc123"):
        logging.getLogger("refbot.test").info("draft 3 ready")
    assert "refbot.test [worker] [req abc123]: draft 3 ready" in capsys.readouterr().err


def test_the_level_setting_leaves_out_what_is_less_severe(capsys: pytest.CaptureFixture[str],
                                                           restore_logging: None) -> None:
    configure_logging("warning", "web", "json")
    logging.getLogger("refbot.test").info("routine")
    logging.getLogger("refbot.test").warning("worth a look")
    assert [json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()] == ["worth a look"]


def test_a_request_id_is_the_same_everywhere_and_hides_the_number_a_wamid_encodes() -> None:
    wamid = "wamid.HBgNNjI4MTIwMDAwMDAwMRUCABIYFjNFQjBDRjI1"  # base64 of the sender's number, among other things
    assert request_id_for(wamid) == request_id_for(wamid) != request_id_for(wamid + "x")
    assert "HBgN" not in request_id_for(wamid) and len(request_id_for(wamid)) == 12


async def test_json_logs_join_a_webhook_its_draft_and_its_sends(tmp_path: Path, catalog_dir: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                restore_logging: None) -> None:
    configure_logging("info", "web", "json")
    async with running_desk(tmp_path, catalog_dir) as desk:
        await desk.patron_says("literasi informasi mahasiswa")
        await eventually(lambda: desk.sent_to(LIBRARIAN), what="the review to reach the librarian")
        await eventually(lambda: desk.sent_to(PATRON), what="the acknowledgement to reach the patron")

        async def logged() -> list[str] | None:
            lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
            seen.extend(lines)
            return seen if sum("went out" in line for line in seen) >= 2 else None

        seen: list[str] = []
        await eventually(logged, what="the sends to be logged")
    joined_by_request(seen)
    text = "\n".join(seen)
    assert PATRON not in text and LIBRARIAN not in text, "phone numbers stay masked"
