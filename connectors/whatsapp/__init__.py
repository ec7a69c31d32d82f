"""The WhatsApp Cloud API channel, in parts like :mod:`connectors.crossref` and :mod:`connectors.zotero`.

- :mod:`.channel` — :class:`WhatsAppChannel`, refbot's :class:`refbot.ports.Channel` over the
  Graph API: sending, uploading and downloading media;
- :mod:`.inbound` — webhook bodies turned into refbot's updates;
- :mod:`.outbound` — send bodies checked against WhatsApp's limits, Graph error answers;
- :mod:`.media` — what media may be: types, sizes, safe file names, magic bytes;
- :mod:`.signature` — the ``X-Hub-Signature-256`` check of a webhook body.
"""

from connectors.whatsapp.channel import WhatsAppChannel

__all__ = ["WhatsAppChannel"]
