"""refbot's durable state: SQLite in WAL mode behind one writer connection, or PostgreSQL.

Every step of a question's life is a row here before anything else happens, so a crash at
any point loses nothing: on restart the worker resumes pending rows, and unique keys (the
WhatsApp message id, one request per message, one draft per request, one outbox row per
idempotency key) keep every effect exactly-once.

SQL lives only in this package, one module per aggregate, each a mixin over
:class:`~refbot.store.database.Database`; :class:`Store` is all of them on one connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

from refbot.config import is_postgres_url
from refbot.models import InboxRow
from refbot.store.accounts import AccountStore
from refbot.store.cluster import ClusterStore
from refbot.store.database import Row, SqliteEngine, Tx
from refbot.store.drafts import DraftStore, Request
from refbot.store.events import EventStore
from refbot.store.files import FileStore
from refbot.store.health import HealthStore
from refbot.store.inbox import InboxStore
from refbot.store.indexes import IndexStore
from refbot.store.numbers import NumberStore
from refbot.store.outbox import CALLBACK_PREFIX, WINDOW_SHUT, OutboxRow, OutboxStore, callback_data, outbox_id
from refbot.store.postgres import PostgresEngine
from refbot.store.reports import ReportStore
from refbot.store.service_requests import ServiceRequest, ServiceRequestStore
from refbot.store.throttle import ThrottleStore
from refbot.store.webhooks import WebhookStore
from refbot.store.zotero import ZoteroStore

__all__ = [
    "CALLBACK_PREFIX",
    "WINDOW_SHUT",
    "InboxRow",
    "OutboxRow",
    "Request",
    "Row",
    "ServiceRequest",
    "Store",
    "Tx",
    "callback_data",
    "outbox_id",
]


class Store(
    InboxStore, DraftStore, OutboxStore, EventStore, ServiceRequestStore,
    AccountStore, ReportStore, ZoteroStore, HealthStore, NumberStore, ThrottleStore, ClusterStore, WebhookStore, IndexStore,
    FileStore,
):
    """All of refbot's reads and writes, on SQLite (one file, one writer) or PostgreSQL (many processes)."""

    @classmethod
    async def open(cls, location: str | Path, clock: Callable[[], float] = time.time) -> Self:
        """Open the store at ``location`` — a file path (SQLite) or a ``postgresql://`` URL — and migrate it."""
        if is_postgres_url(str(location)):
            return cls(await PostgresEngine.open(str(location)), clock)
        return cls(await SqliteEngine.open(Path(location)), clock)
