"""The sandbox's WhatsApp kept on disk, so ``make demo`` restarted still shows every chat.

refbot keeps its drafts in its store across a restart; the phones on the chat page must keep
theirs too, or a draft's *Setujui / Ubah / Tolak* buttons vanish while the draft still waits.
What is kept, in a folder of the library's data (``var/sandbox/`` by default):

- ``whatsapp.json`` — what refbot sent through the Graph stand-in (with each message's
  delivery status) and what people wrote on the page;
- ``media/<id>`` — the files either side sent (a patron's photo, refbot's RIS file), with
  their type and name in ``whatsapp.json``.

The record is written when it changed, checked every :data:`SAVE_EVERY` seconds and once more
when the service stops; each write replaces the file whole (a crash mid-write leaves the
previous one).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from refbot.sandbox.graph_state import GraphState, MediaFile

log = logging.getLogger(__name__)

SAVE_EVERY = 1.0
RECORD_FILE = "whatsapp.json"
MEDIA_FOLDER = "media"
LAYOUT = 1


class ChatRecord:
    """Loads the stand-in's conversations and the page's writing from ``folder``, and keeps them there."""

    def __init__(self, folder: Path, graph: GraphState, written: list[dict[str, Any]]) -> None:
        self.folder = folder
        self.graph = graph
        self.written = written
        self._saved = ""

    def load(self) -> None:
        """Put what the folder holds back into the stand-in and the page (nothing when it holds nothing)."""
        path = self.folder / RECORD_FILE
        if not path.exists():
            return
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("sandbox: %s could not be read (%s); the chats start empty", path, error)
            return
        for entry in kept.get("media", []):
            media = self._media(entry)
            if media is not None:
                self.graph.media[media.id] = media
        self.graph.messages[:0] = kept.get("messages", [])
        self.written[:0] = kept.get("written", [])
        self._saved = self._document()

    def save(self) -> bool:
        """Write the record if it changed since the last write; True when it did."""
        document = self._document()
        if document == self._saved:
            return False
        self._write(document, list(self.graph.media.values()))
        return True

    async def keep(self) -> AsyncIterator[None]:
        """For an app's ``cleanup_ctx``: load, save while serving, and save once more at the end."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.load()
        saver = asyncio.create_task(self._save_now_and_then())
        yield
        saver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await saver
        self.save()

    async def _save_now_and_then(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY)
            # The snapshot is taken here, in the loop that changes the records; only the writing is threaded.
            document = self._document()
            if document == self._saved:
                continue
            try:
                await asyncio.to_thread(self._write, document, list(self.graph.media.values()))
            except OSError as error:  # a full disk must not stop the demo; the next try may work
                log.warning("sandbox: the chats could not be saved in %s: %s", self.folder, error)

    def _write(self, document: str, media: list[MediaFile]) -> None:
        self._write_new_media(media)
        target = self.folder / RECORD_FILE
        partial = target.with_suffix(".json.partial")
        partial.write_text(document, encoding="utf-8")
        os.replace(partial, target)
        self._saved = document

    def _document(self) -> str:
        media = [{"id": m.id, "mime_type": m.mime_type, "filename": m.filename, "sha256": m.sha256}
                 for m in list(self.graph.media.values())]
        return json.dumps({"layout": LAYOUT, "messages": list(self.graph.messages), "written": list(self.written),
                           "media": media}, ensure_ascii=False, default=str)

    def _write_new_media(self, media_files: list[MediaFile]) -> None:
        folder = self.folder / MEDIA_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        for media in media_files:
            path = folder / media.id
            if not path.exists():
                partial = path.with_suffix(".partial")
                partial.write_bytes(media.data)
                os.replace(partial, path)

    def _media(self, entry: dict[str, Any]) -> MediaFile | None:
        media_id = str(entry.get("id", ""))
        if not media_id.isdigit():  # ids are Meta-style numbers; anything else is not ours to open
            return None
        try:
            data = (self.folder / MEDIA_FOLDER / media_id).read_bytes()
        except OSError:
            return None
        return MediaFile(media_id, data, str(entry.get("mime_type", "")), str(entry.get("filename", "")),
                         str(entry.get("sha256", "")))
