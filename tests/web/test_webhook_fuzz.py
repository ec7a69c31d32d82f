"""Correctly signed webhooks of random JSON shapes: never a 5xx, and the worker keeps working.

Meta redelivers any webhook answered with a 5xx for days, so one body refbot chokes on would
come back again and again. Hypothesis draws bodies from two families: any JSON value at all,
and Cloud-API-shaped envelopes whose every field may be missing, of the wrong type, huge,
or a string with lone surrogates. They are posted, signed, to a real refbot on loopback.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refbot.sandbox.payloads import SIGNATURE_HEADER, sign
from tests.conftest import APP_SECRET, PATRON, Desk, eventually

texts = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),  # lone surrogates
    st.sampled_from(["", "text", "image", "interactive", "button", "reaction", "system", "messages", "statuses",
                     "sent", "failed", "approve:1", "#1 hapus 1", "HAPUS DATA", "wamid.fuzz"]),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), texts,
)
any_json = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                        max_leaves=25)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field as drawn, or anything else JSON can hold."""
    return st.one_of(value, any_json)


MESSAGE_TYPES = ["text", "image", "document", "audio", "video", "sticker", "interactive", "button", "reaction",
                 "location", "contacts", "system", "edit", "revoke", "unsupported", "order", "request_welcome"]

messages = st.fixed_dictionaries(
    {},
    optional={
        "from": maybe(st.from_regex(r"62\d{9,12}", fullmatch=True)),
        "from_user_id": maybe(st.from_regex(r"ID\.\d{5,20}", fullmatch=True)),
        "id": maybe(st.from_regex(r"wamid\.[A-Za-z0-9]{4,20}", fullmatch=True)),
        "timestamp": maybe(st.integers(0, 2**40).map(str)),
        "type": maybe(st.sampled_from(MESSAGE_TYPES)),
        "text": maybe(st.fixed_dictionaries({"body": texts})),
        "context": maybe(st.fixed_dictionaries({"id": texts}, optional={"from": texts, "forwarded": st.booleans()})),
        "interactive": maybe(st.fixed_dictionaries({"type": st.sampled_from(["button_reply", "list_reply", "nfm_reply"])},
                                                   optional={"button_reply": any_json, "list_reply": any_json})),
        "image": maybe(st.fixed_dictionaries({"id": texts}, optional={"mime_type": texts, "caption": texts})),
        "reaction": maybe(st.fixed_dictionaries({"message_id": texts}, optional={"emoji": texts})),
        "errors": any_json,
    },
)
statuses = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(texts),
        "status": maybe(st.sampled_from(["sent", "delivered", "read", "failed", "played", "deleted"])),
        "recipient_id": maybe(texts),
        "timestamp": any_json,
        "errors": maybe(st.lists(st.fixed_dictionaries({}, optional={"code": scalars, "title": texts}), max_size=2)),
    },
)
values = st.fixed_dictionaries(
    {},
    optional={
        "messaging_product": maybe(st.just("whatsapp")),
        "contacts": maybe(st.lists(st.fixed_dictionaries({}, optional={
            "wa_id": texts, "user_id": texts, "profile": maybe(st.fixed_dictionaries({"name": texts}))}), max_size=2)),
        "messages": maybe(st.lists(messages, max_size=3)),
        "statuses": maybe(st.lists(statuses, max_size=2)),
        "errors": any_json,
        "event": any_json,
    },
)
envelopes = st.fixed_dictionaries(
    {
        "object": maybe(st.just("whatsapp_business_account")),
        "entry": maybe(st.lists(st.fixed_dictionaries({}, optional={
            "id": any_json,
            "changes": maybe(st.lists(st.fixed_dictionaries({}, optional={
                "field": maybe(st.sampled_from(["messages", "account_update", "calls", "smb_message_echoes"])),
                "value": maybe(values),
            }), max_size=3)),
        }), max_size=2)),
    }
)
bodies = st.one_of(any_json, envelopes)


async def post_signed(desk: Desk, body: bytes) -> int:
    headers = {SIGNATURE_HEADER: sign(body, APP_SECRET), "Content-Type": "application/json"}
    async with desk.http.post(f"{desk.url}/webhook", data=body, headers=headers) as response:
        await response.read()
        return response.status


async def test_signed_bodies_of_random_shapes_never_get_a_5xx(desk: Desk) -> None:
    loop = asyncio.get_running_loop()
    answers: list[tuple[int, bytes]] = []

    @settings(max_examples=250, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(bodies)
    def post(payload: Any) -> None:
        body = json.dumps(payload).encode("utf-8")  # ASCII, lone surrogates escaped as Meta escapes them
        status = asyncio.run_coroutine_threadsafe(post_signed(desk, body), loop).result(timeout=30)
        answers.append((status, body))
        assert status < 500, body[:500]

    # Hypothesis drives the examples from a thread; each POST runs on the service's own loop.
    await asyncio.to_thread(post)
    assert len(answers) >= 100
    worker = desk.worker
    assert all(not t.done() for t in worker._tasks), "a worker loop has stopped"

    # The desk still works: a normal question afterwards gets its draft.
    await desk.patron_says("literasi informasi untuk skripsi", sender=PATRON, wamid="wamid.after.the.fuzz")
    store = desk.services.store

    async def drafted() -> bool:
        row = await store.fetchone(
            "SELECT d.id FROM drafts d JOIN requests r ON r.id = d.request_id JOIN inbox i ON i.id = r.inbox_id"
            " WHERE i.wamid = ?", ("wamid.after.the.fuzz",))
        return row is not None

    await eventually(drafted, within=90, what="a draft for the question asked after the fuzzing")
    failed = await store.fetchall("SELECT wamid, error FROM inbox WHERE state = 'failed'")
    assert not failed, [dict(r) for r in failed]


async def test_a_deeply_nested_signed_body_is_not_a_5xx(desk: Desk) -> None:
    # json.loads raises RecursionError (not JSONDecodeError) past ~1,000 levels.
    status = await post_signed(desk, b"[" * 100_000 + b"]" * 100_000)
    assert status < 500
