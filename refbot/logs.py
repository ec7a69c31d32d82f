"""How refbot logs: one line per event in both processes, as readable text or as JSON, with request ids.

**No library logs patrons' words.** httpx2 (under habanero, Crossref's client) logs every
request's URL at INFO, and a Crossref URL carries the patron's question in its query string;
pyzotero's requests do likewise. Those loggers are kept to warnings, so ``HAPUS DATA`` leaves
no question behind in the logs. refbot's own lines mask phone numbers where they are written
(``mask_phone`` in :mod:`refbot.delivery.render`); neither format adds one.

**Request ids.** A patron's message gets an id when the web process takes its webhook in, and
keeps it in the worker that drafts the answer and in every send that answers it, so one
``grep`` joins a webhook, its draft and its sends. The id is derived from the WhatsApp message
id (:func:`request_id_for`), which every process and every later row can reach; it is a hash,
because a wamid encodes the sender's phone number. It travels in a :mod:`contextvars` variable
(:func:`request_context`), so every line written meanwhile carries it: ``[req …]`` in text,
``request_id`` in JSON.

**JSON** (``log.format: json``) is one object per line for log shippers: ``time`` (UTC, ISO
8601), ``level``, ``logger``, ``message``, ``process`` (``web``, ``worker``, ``cli``), ``pid``,
``request_id`` when there is one and ``exception`` (the traceback's text) when there is one. It
is a small formatter over the standard library's ``json`` rather than python-json-logger: the
fields are fixed and few, and refbot keeps one dependency fewer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar

QUIET = ("httpx", "httpx2", "httpcore", "urllib3", "habanero", "pyzotero")
"""Libraries whose INFO and DEBUG lines may carry what a patron wrote."""

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
"""``log.level``'s words and the levels they stand for."""

REQUEST_ID: ContextVar[str] = ContextVar("refbot_request_id", default="")
"""The request the code running now works for ('' when none): set with :func:`request_context`."""


def request_id_for(wamid: str) -> str:
    """The request id of the patron's message ``wamid``: the same in every process, and no phone number in it."""
    return hashlib.blake2b(wamid.encode("utf-8", "replace"), digest_size=6).hexdigest()


@contextlib.contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Every line logged inside carries ``request_id`` (nothing changes when it is '')."""
    if not request_id:
        yield
        return
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class _Context(logging.Filter):
    """Puts the process tag and the current request id on every record the handler writes."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag

    def filter(self, record: logging.LogRecord) -> bool:
        request = REQUEST_ID.get()
        record.request_id = request
        record.req = f" [req {request}]" if request else ""
        record.process_tag = self.tag
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module's docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": getattr(record, "process_tag", "") or "cli",
            "pid": record.process,
        }
        request = getattr(record, "request_id", "")
        if request:
            line["request_id"] = request
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: int | str, tag: str = "", fmt: str = "text") -> None:
    """Log to standard error at ``level``, in ``fmt`` (text or json), lines tagged with ``tag`` (``worker``).

    Called again (once the settings are read), it replaces the handler it installed before.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "refbot", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.refbot = True  # type: ignore[attr-defined]
    handler.addFilter(_Context(tag.strip("[]")))
    where = f" [{tag.strip('[]')}]" if tag.strip("[]") else ""
    text = logging.Formatter(f"%(asctime)s %(levelname)s %(name)s{where}%(req)s: %(message)s")
    handler.setFormatter(JsonFormatter() if fmt == "json" else text)
    root.addHandler(handler)
    number = LEVELS.get(level, logging.INFO) if isinstance(level, str) else level
    root.setLevel(number)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(number, logging.WARNING))
