"""The Graph API stand-in's media endpoints, in the Cloud API's shapes.

- ``POST /{version}/{phone_number_id}/media`` — multipart upload (``messaging_product``,
  ``type``, ``file``) → ``{"id": "<media id>"}``; type and size checked as the real API does.
- ``GET /{version}/{media_id}`` — ``{messaging_product, url, mime_type, sha256, file_size, id}``
  with a short-lived ``url`` (five minutes, like Meta's lookaside links).
- ``GET /_lookaside/whatsapp_business/attachments/?mid=…&ext=…&hash=…`` — the bytes, for a
  bearer of the token, while the link is fresh.
- ``POST /_media?filename=…`` (helper, not Graph) — store the raw body under its
  ``Content-Type`` as if a patron had sent it; answers ``{"id": …}`` for a media webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from refbot.sandbox.graph_rules import MEDIA_LIMITS, base_type
from refbot.sandbox.graph_state import GraphState, MediaFile, graph_error_response

__all__ = ["MediaFile", "download", "helper_store", "lookup", "media_problem", "store_media", "upload"]

LOOKASIDE = "lookaside"
URL_TTL = 300.0
MAX_UPLOAD = max(MEDIA_LIMITS.values()) + 1024 * 1024


def store_media(state: GraphState, data: bytes, mime_type: str, filename: str = "") -> MediaFile:
    """Keep a file and give it a fresh numeric media id, as Meta's are."""
    media = MediaFile(str(10**15 + secrets.randbelow(9 * 10**15)), data, mime_type, filename,
                      hashlib.sha256(data).hexdigest())
    state.media[media.id] = media
    return media


async def upload(request: web.Request, state: GraphState) -> web.Response:
    """``POST /{version}/{phone_number_id}/media``: a multipart upload."""
    if not request.content_type.startswith("multipart/"):
        return graph_error_response(400, 100, details="Upload must be multipart/form-data")
    fields: dict[str, str] = {}
    file: tuple[bytes, str, str] | None = None
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            # aiohttp's client percent-encodes the file name in Content-Disposition.
            file = (bytes(await part.read()), part.headers.get("Content-Type", ""), unquote(part.filename or ""))
        elif part.name:
            fields[part.name] = await part.text()
    if fields.get("messaging_product") != "whatsapp":
        return graph_error_response(400, 100, details="The parameter messaging_product is required and must be 'whatsapp'")
    if file is None:
        return graph_error_response(400, 100, details="The parameter file is required")
    data, part_type, filename = file
    mime_type = base_type(fields.get("type") or part_type)
    problem = media_problem(data, mime_type)
    if problem:
        return graph_error_response(400, 131053, details=problem)
    return web.json_response({"id": store_media(state, data, mime_type, filename).id})


def media_problem(data: bytes, mime_type: str) -> str:
    """Why the Cloud API would refuse to take this file, or ``""``."""
    limit = MEDIA_LIMITS.get(mime_type)
    if limit is None:
        return f"Param file must be a file with one of the following types: {', '.join(sorted(MEDIA_LIMITS))}. Received file of type '{mime_type}'."
    if not data:
        return "The uploaded file is empty"
    if len(data) > limit:
        return f"Media file size too big. Max file size we currently support: {limit} bytes."
    return ""


async def lookup(request: web.Request, state: GraphState) -> web.Response:
    """``GET /{version}/{media_id}``: where and what the media is."""
    media = state.media.get(request.match_info["media_id"])
    wanted_number = request.query.get("phone_number_id")
    if media is None or (wanted_number and wanted_number != state.business.phone_number_id):
        details = (f"Unsupported get request. Object with ID '{request.match_info['media_id']}' does not exist, "
                   "cannot be loaded due to missing permissions, or does not support this operation.")
        return graph_error_response(400, 100, details=details)
    expires = int(time.time() + URL_TTL)
    query = {"mid": media.id, "ext": str(expires), "hash": _link_hash(state, media.id, expires)}
    url = request.url.origin().join(request.app.router[LOOKASIDE].url_for().with_query(query))
    return web.json_response({
        "messaging_product": "whatsapp",
        "url": str(url),
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": len(media.data),
        "id": media.id,
    })


async def download(request: web.Request, state: GraphState) -> web.Response:
    """The lookaside link: the bytes, for a bearer of the token, while the link is fresh."""
    media_id, ext = request.query.get("mid", ""), request.query.get("ext", "")
    if not ext.isdigit() or not hmac.compare_digest(request.query.get("hash", ""), _link_hash(state, media_id, int(ext))):
        return web.Response(status=404, text="URL signature mismatch")
    if int(ext) < time.time():
        return web.Response(status=404, text="URL has expired")
    media = state.media.get(media_id)
    if media is None:
        return web.Response(status=404, text="Not found")
    return web.Response(body=media.data, content_type=media.mime_type)


async def helper_store(request: web.Request, state: GraphState) -> web.Response:
    """``POST /_media``: keep the raw body as a patron's media; answers its id."""
    media = store_media(state, await request.read(), base_type(request.content_type), request.query.get("filename", ""))
    return web.json_response({"id": media.id, "sha256": media.sha256})


def _link_hash(state: GraphState, media_id: str, expires: int) -> str:
    message = f"{media_id}:{expires}".encode()
    return hmac.new(state.app_secret.encode(), message, hashlib.sha256).hexdigest()[:32]
