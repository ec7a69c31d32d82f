"""Replay mode: answers recorded from the real Crossref API, served again for matching requests."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from refbot.sandbox.crossref.rules import not_found
from refbot.sandbox.faults import Answer


@dataclass(frozen=True)
class Recording:
    """One recorded answer: which file holds the body, with what status and content type."""

    file: Path
    status: int
    content_type: str


def replay_key(path: str, params: Iterable[tuple[str, str]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What a request is matched on: its decoded path and its parameters, order and mailto aside."""
    kept = sorted((k, v) for k, v in params if k != "mailto")
    return path.rstrip("/") or "/", tuple(kept)


class Replay:
    """Replay mode: answers recorded from the real API, served again in recorded order."""

    def __init__(self, recordings: Mapping[Any, list[Recording]]) -> None:
        """Serve these recordings; a key recorded twice answers with each in turn."""
        self._recordings = recordings
        self._served: Counter[Any] = Counter()

    @classmethod
    def load(cls, directory: str | Path) -> Replay:
        """Read ``manifest.json`` (entries with file, method, url, status, content_type)."""
        directory = Path(directory)
        recordings: dict[Any, list[Recording]] = defaultdict(list)
        for entry in json.loads((directory / "manifest.json").read_text("utf-8")):
            if entry.get("method", "GET") != "GET":
                continue
            url = urlsplit(entry["url"])
            key = replay_key(unquote(url.path), parse_qsl(url.query, keep_blank_values=True))
            recording = Recording(directory / entry["file"], int(entry["status"]), entry.get("content_type", ""))
            recordings[key].append(recording)
        return cls(recordings)

    async def answer(self, path: str, params: Mapping[str, str]) -> Answer:
        """The recorded answer for this request, or a 404 that says nothing was recorded."""
        key = replay_key(path, params.items())
        recorded = self._recordings.get(key)
        if not recorded:
            return dataclasses.replace(not_found(), headers=(("X-Refbot-Standin", "no recording"),))
        turn = min(self._served[key], len(recorded) - 1)
        self._served[key] += 1
        body = await asyncio.to_thread(recorded[turn].file.read_bytes)
        return Answer(recorded[turn].status, body, recorded[turn].content_type or None)

