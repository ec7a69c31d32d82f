"""Zotero as a refbot source and a place to keep approved lists, through pyzotero.

    client.py  pyzotero made dependable: timeouts, 429/5xx caught before pyzotero, retries
    sync.py    ZoteroSync: the library's collections and items copied into the store on a schedule
    source.py  ZoteroSource: that copy searched as a local Source, no network per question
    save.py    ZoteroSaver: an approved list saved as a collection "refbot #12 — topic words"; renamed on erasure
    items.py   Zotero items ↔ Candidates

:func:`zotero_parts` builds all three from settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.zotero.client import GuardedTransport, RetryPolicy, ZoteroClient, ZoteroStatus, describe_failure
from connectors.zotero.items import candidate_to_item, item_to_candidate
from connectors.zotero.save import PARENT_NAME, SaveResult, ZoteroSaver, collection_name
from connectors.zotero.source import ZoteroSource
from connectors.zotero.sync import SyncReport, ZoteroSync
from refbot.config import Secret, ZoteroSettings
from refbot.store import Store


@dataclass(frozen=True)
class ZoteroParts:
    """What refbot needs from one Zotero library: a source, a sync job and a saver."""

    source: ZoteroSource
    sync: ZoteroSync
    saver: ZoteroSaver


def zotero_parts(settings: ZoteroSettings, api_key: Secret | str, store: Store) -> ZoteroParts:
    """The source, sync and saver for the configured library, sharing one client."""
    client = ZoteroClient(settings, api_key)
    return ZoteroParts(
        source=ZoteroSource(store, client.library),
        sync=ZoteroSync(client, store, settings.sync_interval),
        saver=ZoteroSaver(client, store),
    )


__all__ = [
    "PARENT_NAME",
    "GuardedTransport",
    "RetryPolicy",
    "SaveResult",
    "SyncReport",
    "ZoteroClient",
    "ZoteroParts",
    "ZoteroSaver",
    "ZoteroSource",
    "ZoteroStatus",
    "ZoteroSync",
    "candidate_to_item",
    "collection_name",
    "describe_failure",
    "item_to_candidate",
    "zotero_parts",
]
