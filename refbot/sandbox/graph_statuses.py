"""The Graph API stand-in's status webhooks, posted the way Meta posts them.

After a send is accepted come ``sent`` and ``delivered`` (or ``failed`` with an error code),
signed with the app secret and echoing the send's ``biz_opaque_callback_data``. A webhook not
answered 2xx is posted again with pauses that double from 0.05 s up to ``retry_cap`` seconds,
until ``retry_for`` seconds have passed (Meta keeps trying for days), so a status is not lost
while the service it is for restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

from refbot.sandbox.graph_rules import GRAPH_ERRORS, digits
from refbot.sandbox.graph_state import GraphState
from refbot.sandbox.payloads import SIGNATURE_HEADER, encode, error_entry, sign, status_update

log = logging.getLogger(__name__)

_FIRST_RETRY = 0.05  # seconds before a status webhook is posted again; doubles up to retry_cap
_WEBHOOK_TIMEOUT = aiohttp.ClientTimeout(total=10)


async def report_statuses(state: GraphState, record: dict[str, Any], failure_code: int | None, *, delay: float) -> None:
    """Post the statuses of an accepted send: ``sent`` and ``delivered``, or ``failed`` with a code."""
    if failure_code is not None:
        title = GRAPH_ERRORS.get(failure_code, ("Message failed", ""))[0]
        await asyncio.sleep(delay)
        await _post_status(state, record, "failed", [error_entry(failure_code, title)])
        return
    for status in ("sent", "delivered"):
        await asyncio.sleep(delay)
        await _post_status(state, record, status, [])


async def _post_status(state: GraphState, record: dict[str, Any], status: str, errors: list[dict[str, Any]]) -> None:
    record["status"] = status
    if errors:
        record["errors"] = [f"{e['code']}: {e['title']}" for e in errors]
    callback_data = record["payload"].get("biz_opaque_callback_data", "")
    by_phone = "to" in record["payload"]
    payload = status_update(state.business, record["id"], status, digits(record["to"]) if by_phone else "",
                            errors=errors, callback_data=callback_data if isinstance(callback_data, str) else "",
                            user_id="" if by_phone else record["to"])
    await _deliver(state, encode(payload), f"{status} for {record['id']}")


async def _deliver(state: GraphState, body: bytes, what: str) -> None:
    """Post one webhook until it is answered 2xx, pausing longer after each failure."""
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, state.app_secret)}
    deadline = time.monotonic() + state.retry_for
    pause = _FIRST_RETRY
    while (problem := await _post_once(state, body, headers)) is not None:
        if pause == _FIRST_RETRY:
            log.warning("status webhook %s not delivered (%s); trying again", what, problem)
        if time.monotonic() + pause > deadline:
            log.warning("status webhook %s given up after %g s: %s", what, state.retry_for, problem)
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, max(state.retry_cap, _FIRST_RETRY))


async def _post_once(state: GraphState, body: bytes, headers: dict[str, str]) -> str | None:
    """None when the webhook was answered 2xx; else what went wrong."""
    assert state.session is not None  # set by _lifecycle before any request is served
    try:
        async with state.session.post(state.webhook_url, data=body, headers=headers, timeout=_WEBHOOK_TIMEOUT) as r:
            return None if 200 <= r.status < 300 else f"answered {r.status}"
    except (aiohttp.ClientError, TimeoutError) as e:
        return f"{type(e).__name__}: {e}"
