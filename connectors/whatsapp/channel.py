"""The WhatsApp Cloud API channel: signed webhooks in, Graph API messages and media out.

Inbound, :func:`parse_updates` (in :mod:`connectors.whatsapp.inbound`) turns every webhook
change into one of refbot's updates and never raises; a webhook body's ``X-Hub-Signature-256``
is checked by :func:`~connectors.whatsapp.signature.verify_signature`. Outbound,
:class:`WhatsAppChannel` posts messages to ``/{version}/{phone_number_id}/messages``:

- :meth:`~WhatsAppChannel.send` — a text, a reply-button message when the message has
  buttons, or a document or an image (read from the :class:`refbot.ports.MediaStore` by its
  key, then uploaded to ``/{phone_number_id}/media``) when it has one;
- :meth:`~WhatsAppChannel.send_template` — an approved template, for when the 24-hour window
  is shut;
- :meth:`~WhatsAppChannel.send_list` — an interactive list (≤ 10 rows);
- :meth:`~WhatsAppChannel.download_media` — a patron's photo or file: media id → short-lived
  URL → bytes, with a size cap and a type check.

Bodies are checked against WhatsApp's limits before sending (:class:`ValueError`: nothing was
sent, retrying cannot help); Graph errors become :class:`ChannelError` whose ``transient``
says whether trying again later may succeed. A send that went out but got no answer (a
timeout, a dropped connection, an answer without a message id) is :class:`SendInDoubt`:
WhatsApp may have taken it, and its ``callback_data`` is how a later status webhook says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from connectors._http import as_dict as _obj
from connectors._http import as_text as _text
from connectors.whatsapp.inbound import media_id_of, parse_updates
from connectors.whatsapp.media import (
    DEFAULT_MAX_BYTES,
    INBOUND_TYPES,
    MEDIA_LIMITS,
    base_type,
    document_upload_type,
    image_upload_type,
    looks_like,
    safe_filename,
)
from connectors.whatsapp.outbound import (
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    MAX_CALLBACK_DATA,
    MAX_INTERACTIVE_BODY,
    MAX_TEXT,
    PERMANENT_CODES,
    TRANSIENT_CODES,
    ListRow,
    ListSection,
    check_length,
    first_message_id,
    graph_error,
    is_transient,
    list_body,
    message_body,
    template_body,
)
from connectors.whatsapp.signature import verify_signature
from refbot.config import Secret, WhatsAppSettings
from refbot.errors import ChannelError, MediaError, MessageRefused, SendInDoubt
from refbot.models import Attachment, OutgoingMessage, Update
from refbot.ports import MediaStore

__all__ = [
    "MAX_BUTTONS",
    "MAX_BUTTON_TITLE",
    "MAX_INTERACTIVE_BODY",
    "MAX_TEXT",
    "PERMANENT_CODES",
    "TRANSIENT_CODES",
    "ListRow",
    "ListSection",
    "MediaError",
    "WhatsAppChannel",
    "graph_error",
    "is_transient",
    "list_body",
    "media_id_of",
    "message_body",
    "parse_updates",
    "safe_filename",
    "template_body",
    "verify_signature",
]

# Failures that happen before a request is written: nothing reached WhatsApp.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)
_MEDIA_ID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
_CHUNK = 64 * 1024


class WhatsAppChannel:
    """The WhatsApp Cloud API, behind refbot's :class:`refbot.ports.Channel` protocol."""

    def __init__(
        self,
        settings: WhatsAppSettings,
        token: Secret,
        app_secret: Secret,
        session: aiohttp.ClientSession,
        files: MediaStore | None = None,
    ) -> None:
        self._settings = settings
        self._token = token
        self._app_secret = app_secret
        self._session = session
        self._files = files

    def verify_signature(self, body: bytes, signature_header: str) -> bool:
        """Whether ``X-Hub-Signature-256`` is the app secret's HMAC-SHA256 of the raw body."""
        return verify_signature(body, signature_header, self._app_secret.get())

    def parse_updates(self, payload: Any) -> list[Update]:
        """Turn a decoded webhook body into updates; never raises."""
        return parse_updates(payload)

    @property
    def messages_url(self) -> str:
        """The Graph API endpoint messages are posted to."""
        return f"{self._number_url}/messages"

    @property
    def _number_url(self) -> str:
        s = self._settings
        return f"{s.graph_api_base.rstrip('/')}/{s.api_version}/{s.phone_number_id}"

    # -- sending ---------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage, *, callback_data: str = "") -> str:
        """Send one message and return its WhatsApp message id (``wamid.…``).

        A message with a ``template`` is sent as that template. A message with a ``document``
        (or an ``image``) is uploaded first, then sent as ``type: document`` with its file name
        (or ``type: image``), with ``text`` as its caption. ``callback_data`` (≤ 512
        characters; the outbox key, say) comes back in every status webhook about the message
        as ``biz_opaque_callback_data``, so a status can be tied to its row even when the
        send's own answer never arrived.

        Raises:
            MessageRefused: the message breaks WhatsApp's limits, or its document or image cannot
                be read or sent (an image must be JPEG or PNG ≤ 5 MB); nothing was sent.
            SendInDoubt: the message went out but no answer came back; WhatsApp may have
                taken it (a status webhook carrying ``callback_data`` will say).
            ChannelError: WhatsApp refused or could not be reached; ``transient`` says
                whether trying again later may succeed.
        """
        attachment = message.document or message.image
        if attachment is None or message.template is not None:
            return await self._send_body(message_body(message), callback_data)
        message_body(message, media_id="unchecked")  # every limit, before anything is uploaded
        if message.document is not None:
            what, mime_type = "document", document_upload_type(attachment.mime_type)
        else:
            what, mime_type = "image", image_upload_type(attachment.mime_type)
        data = await self._attachment(attachment, what)
        _check_attachment(attachment, data, mime_type, what)
        media_id = await self.upload_media(data, mime_type, attachment.filename)
        return await self._send_body(message_body(message, media_id=media_id), callback_data)

    async def send_template(
        self, to: str, name: str, language: str, parameters: Sequence[str] = (), *, callback_data: str = ""
    ) -> str:
        """Send the approved template ``name`` in ``language`` with body ``parameters``; its wamid.

        Raises:
            MessageRefused: a malformed name, language code or parameter; nothing was sent.
            ChannelError: as for :meth:`send` (an unknown template is code 132001, permanent).
        """
        return await self._send_body(template_body(to, name, language, parameters), callback_data)

    async def send_list(
        self,
        to: str,
        text: str,
        button: str,
        rows: Sequence[ListRow] | Sequence[ListSection],
        *,
        header: str = "",
        footer: str = "",
        callback_data: str = "",
    ) -> str:
        """Send a list message; ``button`` opens it. Rows alone make one untitled section.

        Raises:
            MessageRefused: more than 10 rows, a title over 24 or a description over 72
                characters, or another limit broken; nothing was sent.
            ChannelError: as for :meth:`send`.
        """
        sections = [s for s in rows if isinstance(s, ListSection)]
        if len(sections) != len(rows):
            sections = [ListSection("", tuple(r for r in rows if isinstance(r, ListRow)))]
        body = list_body(to, text, button, sections, header=header, footer=footer)
        return await self._send_body(body, callback_data)

    async def _attachment(self, attachment: Attachment, what: str) -> bytes:
        """The attachment's bytes: from the media store by key, or from a file a message queued before keys named (a path)."""
        if Path(attachment.path).is_absolute():
            return await asyncio.to_thread(_read_path, Path(attachment.path), what)
        if self._files is None:
            raise MessageRefused(f"cannot read {what} {attachment.path}: this channel was given no media store")
        try:
            data = await self._files.get(attachment.path)
        except ValueError as e:  # not a key refbot makes
            raise MessageRefused(f"cannot read {what} {attachment.path}: {e}") from e
        if data is None:
            raise MessageRefused(f"cannot read {what} {attachment.path}: it is not kept any more")
        return data

    async def upload_media(self, data: bytes, mime_type: str, filename: str) -> str:
        """Upload a file to WhatsApp's media store; its media id (kept by Meta for 30 days).

        Raises:
            ChannelError: the upload was refused or WhatsApp could not be reached.
        """
        self._check_configured()
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        # A stream, not bytes: aiohttp warns that a raw body over 1 MiB may hold up the event loop.
        form.add_field("file", io.BytesIO(data), filename=safe_filename(filename, mime_type), content_type=mime_type)
        status, answer = await self._request("POST", f"{self._number_url}/media", data=form)
        media_id = _text(_obj(answer).get("id"))
        if not 200 <= status < 300:
            raise graph_error(status, answer, "the upload")
        if not media_id:
            raise ChannelError("WhatsApp answered an upload without a media id")
        return media_id

    async def _send_body(self, body: dict[str, Any], callback_data: str = "") -> str:
        self._check_configured()
        if callback_data:
            check_length("callback data", callback_data, MAX_CALLBACK_DATA)
            body = {**body, "biz_opaque_callback_data": callback_data}
        status, data = await self._request("POST", self.messages_url, json=body, sends_message=True)
        if not 200 <= status < 300:
            raise graph_error(status, data)
        wamid = first_message_id(data)
        if not wamid:
            # WhatsApp may have accepted it; retrying at once could send it twice.
            raise SendInDoubt("WhatsApp answered without a message id")
        return wamid

    def _check_configured(self) -> None:
        if not self._settings.phone_number_id:
            raise ChannelError("whatsapp.phone_number_id is not configured", transient=False)

    async def _request(self, method: str, url: str, *, sends_message: bool = False, **kwargs: Any) -> tuple[int, Any]:
        """The status and decoded body of one Graph API call.

        With ``sends_message``, a failure after the request may have gone out is
        :class:`SendInDoubt`; one before it (no connection) is a plain :class:`ChannelError`.
        """
        headers = {"Authorization": f"Bearer {self._token.get()}"}
        timeout = aiohttp.ClientTimeout(total=self._settings.send_timeout)
        failed = SendInDoubt if sends_message else ChannelError
        try:
            async with self._session.request(method, url, headers=headers, timeout=timeout, **kwargs) as response:
                raw = await response.read()
                return response.status, _decode_json(raw)
        except _NOT_SENT as e:  # before TimeoutError: a connect timeout is both
            raise ChannelError(f"cannot reach WhatsApp: {e}") from e
        except TimeoutError as e:
            raise failed(f"WhatsApp did not answer within {self._settings.send_timeout:g} s") from e
        except aiohttp.ClientError as e:
            raise failed(f"lost the connection to WhatsApp: {e}") from e

    # -- media in --------------------------------------------------------------------------

    async def download_media(
        self,
        media_id: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allowed_types: Collection[str] = INBOUND_TYPES,
    ) -> tuple[bytes, str]:
        """The bytes and type (``"image/jpeg"``, parameters dropped) of a patron's media.

        Looks the id up (``GET /{version}/{media_id}``), then fetches the short-lived URL it
        names with the token. Refuses before downloading when the declared type is not in
        ``allowed_types`` or the declared size is over ``max_bytes``; stops reading past
        ``max_bytes``; checks the SHA-256 Meta gives and that the first bytes fit the type.

        Raises:
            MediaError: refused (``transient`` false: too big, a type not allowed, bytes that
                are not what they claim, an unknown id) or failed (``transient`` true: Meta
                unreachable or slow, an expired URL, a corrupt download).
        """
        if not _MEDIA_ID.match(media_id):
            raise MediaError(f"not a media id: {media_id[:40]!r}", transient=False)
        url = f"{self._settings.graph_api_base.rstrip('/')}/{self._settings.api_version}/{media_id}"
        try:
            self._check_configured()
            status, info = await self._request("GET", url, params={"phone_number_id": self._settings.phone_number_id})
        except ChannelError as e:  # not configured, unreachable, slow: no media error of its own yet
            raise MediaError(f"media {media_id}: {e}", code=e.code, transient=e.transient) from e
        if not 200 <= status < 300:
            error = graph_error(status, info, f"media {media_id}")
            raise MediaError(str(error), code=error.code, transient=error.transient)
        info = _obj(info)
        mime_type = base_type(_text(info.get("mime_type")))
        if mime_type not in {base_type(t) for t in allowed_types}:
            raise MediaError(f"media {media_id} is {mime_type or 'of no type'}, which refbot does not take", transient=False)
        limit = min(max_bytes, MEDIA_LIMITS.get(mime_type, max_bytes))
        declared = _size(info.get("file_size"))
        if declared > limit:
            raise MediaError(f"media {media_id} is {declared} bytes; the limit is {limit}", transient=False)
        data = await self._fetch(_text(info.get("url")), media_id, limit)
        _check_download(media_id, mime_type, data, _text(info.get("sha256")))
        return data, mime_type

    async def _fetch(self, url: str, media_id: str, limit: int) -> bytes:
        if not url.startswith(("https://", "http://")):
            raise MediaError(f"media {media_id} has no download URL", transient=False)
        headers = {"Authorization": f"Bearer {self._token.get()}"}
        timeout = aiohttp.ClientTimeout(total=max(30.0, self._settings.send_timeout))
        try:
            async with self._session.get(url, headers=headers, timeout=timeout) as response:
                if response.status != 200:
                    # The URL lives five minutes; the next try looks the id up afresh.
                    raise MediaError(f"media {media_id} download answered HTTP {response.status}",
                                     transient=response.status >= 500 or response.status in (401, 403, 404, 429))
                return await _read_capped(response, media_id, limit)
        except TimeoutError as e:
            raise MediaError(f"media {media_id} did not arrive within {timeout.total:g} s") from e
        except aiohttp.ClientError as e:
            raise MediaError(f"cannot fetch media {media_id}: {e}") from e


async def _read_capped(response: aiohttp.ClientResponse, media_id: str, limit: int) -> bytes:
    if response.content_length is not None and response.content_length > limit:
        raise MediaError(f"media {media_id} is {response.content_length} bytes; the limit is {limit}", transient=False)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise MediaError(f"media {media_id} is over the {limit}-byte limit", transient=False)
        chunks.append(chunk)
    return b"".join(chunks)


def _check_download(media_id: str, mime_type: str, data: bytes, sha256: str) -> None:
    if re.fullmatch(r"[0-9a-fA-F]{64}", sha256) and hashlib.sha256(data).hexdigest() != sha256.lower():
        raise MediaError(f"media {media_id} arrived corrupt (SHA-256 differs)")
    if not data:
        raise MediaError(f"media {media_id} arrived empty")
    if not looks_like(mime_type, data):
        raise MediaError(f"media {media_id} claims to be {mime_type} but its bytes are not", transient=False)


def _read_path(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise MessageRefused(f"cannot read {what} {path}: {e.strerror}") from e


def _check_attachment(attachment: Attachment, data: bytes, mime_type: str, what: str) -> None:
    name = Path(attachment.path).name
    if len(data) > MEDIA_LIMITS[mime_type]:
        raise MessageRefused(f"{what} {name} is {len(data)} bytes; WhatsApp allows {MEDIA_LIMITS[mime_type]}")
    if not data:
        raise MessageRefused(f"{what} {name} is empty")


# --- tolerant readers ------------------------------------------------------------------


def _decode_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:  # HTML error pages from proxies, empty bodies
        return None


def _size(value: Any) -> int:
    """``file_size`` arrives as a number or, from the Graph API, a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 15 else 0
