"""A stand-in for the Graph API's WhatsApp endpoints, on loopback.

It answers ``POST /{version}/{phone_number_id}/messages`` the way the Cloud API does: a
bearer token is required (401, code 190 otherwise), the body is checked against the real
limits (400, code 100, with the reason in ``error_data.details``), and an accepted message
gets a ``wamid`` back. Each accepted message is recorded, and when a webhook URL is set the
stand-in later posts signed ``sent`` and ``delivered`` status webhooks for it, as Meta does,
each echoing the send's ``biz_opaque_callback_data``. Like Meta, it posts a webhook again,
with growing pauses, until it is answered 200: a status is not lost while refbot is down.
A document or an image must name media uploaded here (for an image, a JPEG or PNG; code
131053 otherwise); a template, when ``templates`` is given, must be one of them with the
right number of parameters (codes 132001 and 132000 otherwise). The media endpoints
(upload, lookup, short-lived download links) are in :mod:`.graph_media`; the state they share
and the Graph error answer in :mod:`.graph_state`.

Helper endpoints for tests and the sandbox chat page (not part of the Graph API):

- ``GET /_sent?to=NUMBER`` — recorded messages, oldest first (all when ``to`` is absent).
- ``DELETE /_sent`` — forget them.
- ``POST /_control`` — inject faults into the next sends::

      {"status": 429, "code": 130429, "times": 2, "delay": 0.5}

  ``status`` is the HTTP status to answer with (``null``: answer normally), ``code`` the
  Graph error code (a status of 400 is assumed when only a code is given), ``times`` how
  many sends the fault applies to (default 1), ``for`` instead: for how many seconds (by the
  stand-in's ``clock``) every send meets it, an outage; ``delay`` seconds to wait before answering.
  With ``"as_status": true`` the send is accepted and a ``failed`` status webhook carrying
  ``code`` follows instead, as for errors WhatsApp reports asynchronously. With
  ``"statuses_first": true`` the send is accepted but its status webhooks are posted (and
  answered) *before* the send's own HTTP answer, as happens when Meta is quick and the
  network slow. ``"on": "media"`` aims the fault at media uploads and lookups instead of
  sends. ``{}`` clears.
- ``POST /_media?filename=NAME`` — keep the raw body (its ``Content-Type``) as media a patron
  sent; answers ``{"id": …}`` to put in a media webhook.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict
from typing import Any

import aiohttp
from aiohttp import web

from refbot.config import Secret
from refbot.sandbox import graph_media
from refbot.sandbox.graph_rules import (
    IMAGE_TYPES,
    base_type,
    check_message,
    digits,
    message_summary,
    recipient_of,
    template_parameter_count,
)
from refbot.sandbox.graph_state import GRAPH_STATE, Fault, GraphState, MediaFile, graph_error_response
from refbot.sandbox.graph_statuses import report_statuses
from refbot.sandbox.payloads import BusinessNumber, new_wamid

__all__ = ["GRAPH_STATE", "Fault", "GraphState", "MediaFile", "create_graph_standin", "graph_error_response"]

log = logging.getLogger(__name__)


def create_graph_standin(
    token: Secret | str,
    app_secret: Secret | str,
    phone_number_id: str,
    *,
    webhook_url: str = "",
    display_phone_number: str = "6281100000000",
    status_delay: float = 0.05,
    session: aiohttp.ClientSession | None = None,
    templates: Mapping[tuple[str, str], int] | None = None,
    statuses_first: bool = False,
    status_retry_cap: float = 2.0,
    status_retry_for: float = 3600.0,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """Build the Graph API stand-in as an aiohttp app (mountable as a sub-app).

    Args:
        token: the access token refbot must present as ``Authorization: Bearer …``.
        app_secret: signs the status webhooks it posts back.
        phone_number_id: the only phone number id it answers for.
        webhook_url: where status webhooks go (refbot's ``/webhook``); empty: none are sent.
        display_phone_number: the library's number as webhooks show it.
        status_delay: seconds between accepting a message and each status webhook.
        session: HTTP session for the webhooks; one is made (and closed) when not given.
        templates: approved templates as ``{(name, language code): body parameter count}``;
            None accepts any well-formed template.
        statuses_first: post every send's status webhooks before answering the send.
        status_retry_cap: longest pause, in seconds, between deliveries of a status webhook
            that was not answered 200 (the pauses double from 0.05 s up to this).
        status_retry_for: seconds after which an undelivered status webhook is given up.
        clock: the time faults given ``for`` seconds are measured by (a test's fake clock).

    Raises:
        ValueError: the token or app secret is empty (the real API has no such thing).
    """
    token_value, secret_value = _reveal(token), _reveal(app_secret)
    if not token_value or not secret_value:
        raise ValueError(
            "the Graph API stand-in needs a token and an app secret: "
            "set REFBOT_WHATSAPP_TOKEN and REFBOT_WHATSAPP_APP_SECRET (any values will do for the sandbox)"
        )
    # Documents may be 100 MB; aiohttp refuses bodies over 1 MB unless told otherwise. (Mounted
    # as a sub-app, the root application's limit applies instead.)
    app = web.Application(client_max_size=graph_media.MAX_UPLOAD)
    business = BusinessNumber(phone_number_id, display_phone_number)
    app[GRAPH_STATE] = GraphState(token_value, secret_value, business, webhook_url, status_delay, session=session,
                                  templates=templates, statuses_first=statuses_first,
                                  retry_cap=status_retry_cap, retry_for=status_retry_for, clock=clock)
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_post("/{version}/{phone_number_id}/messages", _send)
    app.router.add_post("/{version}/{phone_number_id}/media", _upload)
    app.router.add_get("/_lookaside/whatsapp_business/attachments/", _download, name=graph_media.LOOKASIDE)
    app.router.add_post("/_media", _store_media)
    app.router.add_get("/{version}/{media_id}", _lookup)
    app.router.add_get("/_sent", _list_sent)
    app.router.add_delete("/_sent", _clear_sent)
    app.router.add_get("/_control", _show_control)
    app.router.add_post("/_control", _set_control)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    state = app[GRAPH_STATE]
    own_session = state.session is None
    if own_session:
        state.session = aiohttp.ClientSession()
    yield
    for task in list(state.tasks):
        task.cancel()
    await asyncio.gather(*state.tasks, return_exceptions=True)
    if own_session and state.session is not None:
        await state.session.close()
        state.session = None


# --- the Graph API endpoint ------------------------------------------------------------


async def _send(request: web.Request) -> web.Response:
    state = request.app[GRAPH_STATE]
    if not _authorised(request, state.token):
        return graph_error_response(401, 190, details="Invalid OAuth access token - Cannot parse access token")
    if request.match_info["phone_number_id"] != state.business.phone_number_id:
        return _unknown_object(request.match_info["phone_number_id"])
    try:
        body = await request.json()
    except ValueError:
        return graph_error_response(400, 100, details="The request body is not valid JSON")
    # Meta goes on with a send whose caller stopped waiting for the answer; so does this.
    return await asyncio.shield(_spawn(state, _handle_send(state, body)))


async def _handle_send(state: GraphState, body: Any) -> web.Response:
    fault = state.take_fault()
    if fault and fault.delay > 0:
        await asyncio.sleep(fault.delay)
    problem = check_message(body)
    if problem:
        return graph_error_response(400, 100, details=problem)
    refused = _refused_content(state, body)
    if refused is not None:
        return refused
    if fault and fault.status and not fault.as_status:
        return graph_error_response(fault.status, fault.code)
    failure = fault if fault and fault.as_status else None
    first = state.statuses_first or bool(fault and fault.statuses_first)
    return await _accept(state, body, failure, statuses_first=first)


def _refused_content(state: GraphState, body: dict[str, Any]) -> web.Response | None:
    """The answer for a well-formed body naming media or a template that does not exist."""
    kind = body.get("type")
    if kind in ("document", "image") and "id" in body[kind]:
        media = state.media.get(body[kind]["id"])
        if media is None:
            return graph_error_response(400, 131053, details=f"Media id {body[kind]['id']} was not found")
        if kind == "image" and base_type(media.mime_type) not in IMAGE_TYPES:
            return graph_error_response(400, 131053, details=f"Unsupported Image mime type {media.mime_type}. "
                                                             f"Please use one of {', '.join(sorted(IMAGE_TYPES))}.")
    if body.get("type") == "template" and state.templates is not None:
        template = body["template"]
        expected = state.templates.get((template["name"], template["language"]["code"]))
        if expected is None:
            return graph_error_response(404, 132001, details=f"template name ({template['name']}) does not exist in "
                                                             f"{template['language']['code']}")
        if template_parameter_count(template) != expected:
            return graph_error_response(400, 132000, details=f"body: number of localizable_params "
                                                             f"({template_parameter_count(template)}) does not match "
                                                             f"the expected number of params ({expected})")
    return None


async def _accept(state: GraphState, body: dict[str, Any], failure: Fault | None, *, statuses_first: bool) -> web.Response:
    wamid = new_wamid()
    to = recipient_of(body)
    record = {"id": wamid, "to": to, "timestamp": time.time(), "status": "accepted"}
    record.update(message_summary(body))
    record["payload"] = body
    state.messages.append(record)
    failure_code = (failure.code or 131026) if failure else None
    if state.webhook_url and statuses_first:
        await report_statuses(state, record, failure_code, delay=0.0)
    elif state.webhook_url:
        _spawn(state, report_statuses(state, record, failure_code, delay=state.status_delay))
    contact = {"input": to, "wa_id": digits(to)} if "to" in body else {"input": to, "user_id": to}
    return web.json_response({"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]})


def _unknown_object(object_id: str) -> web.Response:
    details = (
        f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation."
    )
    return graph_error_response(400, 100, details=details)


def _authorised(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


# --- media ------------------------------------------------------------------------------


async def _upload(request: web.Request) -> web.Response:
    state = request.app[GRAPH_STATE]
    if not _authorised(request, state.token):
        return graph_error_response(401, 190, details="Invalid OAuth access token - Cannot parse access token")
    if request.match_info["phone_number_id"] != state.business.phone_number_id:
        return _unknown_object(request.match_info["phone_number_id"])
    fault = await _media_fault(state)
    return fault or await graph_media.upload(request, state)


async def _lookup(request: web.Request) -> web.Response:
    state = request.app[GRAPH_STATE]
    if not _authorised(request, state.token):
        return graph_error_response(401, 190, details="Invalid OAuth access token - Cannot parse access token")
    fault = await _media_fault(state)
    return fault or await graph_media.lookup(request, state)


async def _download(request: web.Request) -> web.Response:
    state = request.app[GRAPH_STATE]
    if not _authorised(request, state.token):
        return web.Response(status=401, text="Authorization required")
    return await graph_media.download(request, state)


async def _store_media(request: web.Request) -> web.Response:
    return await graph_media.helper_store(request, request.app[GRAPH_STATE])


async def _media_fault(state: GraphState) -> web.Response | None:
    fault = state.take_fault("media")
    if fault and fault.delay > 0:
        await asyncio.sleep(fault.delay)
    return graph_error_response(fault.status, fault.code) if fault and fault.status else None


def _spawn(state: GraphState, coro: Any) -> asyncio.Task[Any]:
    task = asyncio.get_running_loop().create_task(coro)
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)
    return task


# --- helper endpoints ------------------------------------------------------------------


async def _list_sent(request: web.Request) -> web.Response:
    state = request.app[GRAPH_STATE]
    to = request.query.get("to")
    messages = state.sent_to(to) if to else state.messages
    return web.json_response({"messages": messages})


async def _clear_sent(request: web.Request) -> web.Response:
    request.app[GRAPH_STATE].messages.clear()
    return web.json_response({"messages": []})


async def _show_control(request: web.Request) -> web.Response:
    return web.json_response(asdict(request.app[GRAPH_STATE].fault))


async def _set_control(request: web.Request) -> web.Response:
    state = request.app[GRAPH_STATE]
    try:
        state.fault = _fault_from(await request.json(), state.clock())
    except (ValueError, TypeError) as e:
        return web.json_response({"error": f"bad fault: {e}"}, status=400)
    return web.json_response(asdict(state.fault))


def _fault_from(data: Any, now: float) -> Fault:
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    status, code = _optional_int(data.get("status")), _optional_int(data.get("code"))
    delay = float(data.get("delay") or 0)
    statuses_first = bool(data.get("statuses_first"))
    on = data.get("on", "messages")
    if on not in ("messages", "media"):
        raise ValueError("on must be 'messages' or 'media'")
    if status is None and code is None and delay <= 0 and not statuses_first:
        return Fault()
    as_status = bool(data.get("as_status"))
    if status is None and code is not None and not as_status:
        status = 400
    if status is not None and not 400 <= status <= 599:
        raise ValueError("status must be an HTTP error status (400-599)")
    times = _optional_int(data.get("times"))
    lasting = data.get("for")
    if lasting is not None and (isinstance(lasting, bool) or not isinstance(lasting, int | float) or lasting <= 0):
        raise ValueError("for must be a number of seconds more than 0")
    until = None if lasting is None else now + lasting
    return Fault(status, code, 1 if times is None else times, delay, as_status, statuses_first, on, until)


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number or null, got {value!r}")
    return value


def _reveal(value: Secret | str) -> str:
    return value.get() if isinstance(value, Secret) else value
