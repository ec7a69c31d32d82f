"""What WhatsApp media may be: types, sizes, file names, and whether bytes are what they claim.

A patron's photo or PDF reaches refbot as a media id; the channel looks it up, fetches the
bytes from a short-lived URL, and checks them here before anyone stores them: the declared
type must be one refbot accepts, the size under a cap, and the first bytes must look like
that type (a "PDF" that is really an HTML page or a program is refused). File names are made
safe to write to disk and to show.
"""

from __future__ import annotations

import re
import unicodedata

from refbot.errors import MediaError, MessageRefused

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DOCUMENT_TYPES",
    "EXTENSIONS",
    "IMAGE_TYPES",
    "INBOUND_TYPES",
    "MEDIA_LIMITS",
    "MediaError",
    "base_type",
    "document_upload_type",
    "image_upload_type",
    "looks_like",
    "safe_filename",
]

MB = 1024 * 1024

# The Cloud API's supported media, with its size limits (bytes).
MEDIA_LIMITS: dict[str, int] = {
    "image/jpeg": 5 * MB,
    "image/png": 5 * MB,
    "image/webp": 500 * 1024,  # stickers: 100 KB static, 500 KB animated
    "audio/aac": 16 * MB,
    "audio/amr": 16 * MB,
    "audio/mpeg": 16 * MB,
    "audio/mp4": 16 * MB,
    "audio/ogg": 16 * MB,
    "video/mp4": 16 * MB,
    "video/3gpp": 16 * MB,
    "text/plain": 100 * MB,
    "application/pdf": 100 * MB,
    "application/msword": 100 * MB,
    "application/vnd.ms-excel": 100 * MB,
    "application/vnd.ms-powerpoint": 100 * MB,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * MB,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * MB,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 * MB,
}
DOCUMENT_TYPES = frozenset(t for t in MEDIA_LIMITS if t.startswith(("text/", "application/")))
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
"""What an image message may show (WebP is for stickers only)."""
INBOUND_TYPES = frozenset(MEDIA_LIMITS)
"""What :meth:`WhatsAppChannel.download_media` accepts unless told otherwise."""
DEFAULT_MAX_BYTES = 16 * MB
"""The download cap unless told otherwise: a phone photo or a scanned page fits many times."""

# Formats that are plain text in disguise, uploaded as text/plain (WhatsApp knows no others).
_TEXTUAL = frozenset({"application/x-research-info-systems", "application/x-bibtex", "text/csv", "text/x-bibtex"})

EXTENSIONS: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "text/plain": ".txt",
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
    "audio/ogg": (b"OggS",),
    "audio/amr": (b"#!AMR",),
    "application/msword": (_OLE,),
    "application/vnd.ms-excel": (_OLE,),
    "application/vnd.ms-powerpoint": (_OLE,),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (_ZIP,),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (_ZIP,),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (_ZIP,),
}
_ISO_MEDIA = frozenset({"video/mp4", "video/3gpp", "audio/mp4"})


def base_type(mime_type: str) -> str:
    """``"audio/ogg; codecs=opus"`` → ``"audio/ogg"``."""
    return mime_type.split(";", 1)[0].strip().lower()


def looks_like(mime_type: str, data: bytes) -> bool:
    """Whether the first bytes of ``data`` fit ``mime_type`` (types without a signature pass)."""
    kind = base_type(mime_type)
    if kind in _MAGIC:
        return data.startswith(_MAGIC[kind])
    if kind == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if kind in _ISO_MEDIA:
        return data[4:8] == b"ftyp"
    if kind == "audio/mpeg":
        return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    if kind == "text/plain":
        return b"\x00" not in data[:4096]
    return True


def document_upload_type(mime_type: str) -> str:
    """The type to upload a document as: its own, or text/plain for text formats WhatsApp lacks.

    Raises:
        MessageRefused: WhatsApp cannot carry this kind of document.
    """
    kind = base_type(mime_type)
    if kind not in DOCUMENT_TYPES and (kind in _TEXTUAL or kind.startswith("text/")):
        return "text/plain"
    return _allowed(kind, DOCUMENT_TYPES, "document")


def image_upload_type(mime_type: str) -> str:
    """The type to upload an image as: JPEG or PNG, the only two an image message shows.

    Raises:
        MessageRefused: WhatsApp cannot show this kind of image.
    """
    return _allowed(base_type(mime_type), IMAGE_TYPES, "image")


def _allowed(kind: str, types: frozenset[str], what: str) -> str:
    if kind in types:
        return kind
    raise MessageRefused(f"WhatsApp cannot send a {kind or 'typeless'} {what}; it takes {', '.join(sorted(types))}")


def safe_filename(name: str, mime_type: str = "", fallback: str = "file") -> str:
    """A file name safe to write and show: no folders, no control or odd characters, an extension.

    ``"../../etc/passwd"`` → ``"passwd"``; ``"Skripsi Bab 1.pdf"`` stays; a name without the
    type's extension gets it (``"scan"`` + image/jpeg → ``"scan.jpg"``).
    """
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ()]+", "_", name, flags=re.UNICODE).strip(" ._")
    name = re.sub(r"_{2,}", "_", name)
    extension = EXTENSIONS.get(base_type(mime_type), "")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if extension and f".{ext.lower()}" != extension and not (extension == ".jpg" and ext.lower() == "jpeg"):
        stem, ext = name, extension.lstrip(".")
    stem = (stem or fallback)[:100].rstrip(" ._") or fallback
    return f"{stem}.{ext[:10]}" if ext else stem
