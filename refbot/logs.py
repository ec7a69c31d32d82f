"""How refbot logs: one line format for both processes, and no library that logs patrons' words.

httpx2 (under habanero, Crossref's client) logs every request's URL at INFO, and a Crossref
URL carries the patron's question in its query string; pyzotero's requests do likewise. Those
loggers are kept to warnings, so ``HAPUS DATA`` leaves no question behind in the logs.
"""

from __future__ import annotations

import logging

QUIET = ("httpx", "httpx2", "httpcore", "urllib3", "habanero", "pyzotero")
"""Libraries whose INFO and DEBUG lines may carry what a patron wrote."""


def configure_logging(level: int, tag: str = "") -> None:
    """Log to standard error at ``level``, lines tagged with ``tag`` (the worker's ``[worker]``)."""
    where = f" {tag}" if tag else ""
    logging.basicConfig(level=level, format=f"%(asctime)s %(levelname)s %(name)s{where}: %(message)s")
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
