"""Photos and documents on the sandbox chat page, sent and shown as a phone does.

Sending: the page posts the chosen file (multipart: ``from``, ``file``, optional ``caption`` and
``context_id``). As the WhatsApp app does, the file goes to WhatsApp's media store first — here
the Graph stand-in's — and the webhook names only its id; refbot then looks the id up and
downloads the bytes from the stand-in, exactly as it would from Meta. A JPEG or PNG travels as an
image, anything else WhatsApp takes as a document.

Showing: ``GET /api/media/{id}`` hands the page a file from the stand-in's store — one a person
sent, or one refbot uploaded (a RIS list, a clearance letter) — for a thumbnail or a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web

from refbot.sandbox.graph_media import MAX_UPLOAD, media_problem, store_media
from refbot.sandbox.graph_rules import IMAGE_TYPES, base_type
from refbot.sandbox.graph_state import GraphState, MediaFile

# What a browser may show in place; anything else is offered as a download.
SHOWN_INLINE = frozenset({*IMAGE_TYPES, "application/pdf", "text/plain"})


@dataclass(frozen=True)
class Upload:
    """What the page posted with a file."""

    sender: str
    caption: str
    context_id: str
    data: bytes
    mime_type: str
    filename: str

    @property
    def kind(self) -> str:
        """The WhatsApp message type the file travels as."""
        return "image" if self.mime_type in IMAGE_TYPES else "document"


async def read_upload(request: web.Request) -> Upload:
    """The multipart form the page posts.

    Raises:
        ValueError: not a multipart form, or no file in it.
    """
    if not request.content_type.startswith("multipart/"):
        raise ValueError("send a file as multipart/form-data with the fields from, file, caption, context_id")
    fields: dict[str, str] = {}
    file: tuple[bytes, str, str] | None = None
    reader = await request.clone(client_max_size=MAX_UPLOAD).multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            # aiohttp's client percent-encodes the file name in Content-Disposition; browsers do not.
            name = unquote(part.filename or "")
            file = (bytes(await part.read()), base_type(part.headers.get("Content-Type", "")), name)
        elif part.name:
            fields[part.name] = await part.text()
    if file is None:
        raise ValueError("choose a file to send")
    return Upload(fields.get("from", ""), fields.get("caption", ""), fields.get("context_id", ""), *file)


def keep_upload(graph: GraphState, upload: Upload) -> MediaFile:
    """Put the file in WhatsApp's (the stand-in's) media store, as the phone's app does before sending.

    Raises:
        ValueError: WhatsApp would not take the file (its type or size).
    """
    problem = media_problem(upload.data, upload.mime_type)
    if problem:
        raise ValueError(problem)
    return store_media(graph, upload.data, upload.mime_type, upload.filename)


def media_response(graph: GraphState, media_id: str) -> web.Response:
    """The file, shown in place when a browser can show it safely, else as a download."""
    media = graph.media.get(media_id)
    if media is None:
        return web.json_response({"error": "no such media"}, status=404)
    shown = media.mime_type in SHOWN_INLINE
    name = media.filename or f"{media.id}"
    disposition = f"{'inline' if shown else 'attachment'}; filename*=UTF-8''{quote(name, safe='')}"
    content_type = media.mime_type if shown else "application/octet-stream"
    return web.Response(body=media.data, content_type=content_type, headers={
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",  # a file is only ever what its type says: no sniffed HTML
        "Cache-Control": "private, max-age=3600",
    })
