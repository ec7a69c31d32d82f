"""Mounting the stand-ins inside the service, so the demo runs on one machine with no accounts."""

from __future__ import annotations

from aiohttp import web

from refbot.config import Settings
from refbot.sandbox.chat import create_chat_app
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.doaj import create_doaj_standin
from refbot.sandbox.graph import create_graph_standin
from refbot.sandbox.koha import create_koha_standin
from refbot.sandbox.oai import create_oai_standin
from refbot.sandbox.turnitin import create_turnitin_standin
from refbot.sandbox.zotero import create_zotero_standin


def mount_sandbox(app: web.Application, settings: Settings) -> None:
    """Serve the Graph API and Crossref stand-ins and the chat page under ``/sandbox``."""
    s = settings.secrets
    webhook_url = f"{settings.public_url}/webhook"
    graph = create_graph_standin(
        s.whatsapp_token, s.whatsapp_app_secret, settings.whatsapp.phone_number_id, webhook_url=webhook_url
    )
    chat = create_chat_app(
        webhook_url=webhook_url,
        app_secret=s.whatsapp_app_secret,
        phone_number_id=settings.whatsapp.phone_number_id,
        librarians=settings.librarians,
        patron_phone=settings.sandbox.patron_phone,
        graph_app=graph,
        record_dir=settings.data_dir / "sandbox",  # the chats survive a restart, as the drafts do
    )
    # The longer prefixes first: /sandbox would otherwise claim their paths.
    app.add_subapp("/sandbox/graph", graph)
    app.add_subapp("/sandbox/crossref", create_crossref_standin())
    app.add_subapp("/sandbox/doaj", create_doaj_standin())
    app.add_subapp("/sandbox/zotero", create_zotero_standin())
    app.add_subapp("/sandbox/koha", create_koha_standin(s.koha_client_id, s.koha_client_secret))
    app.add_subapp("/sandbox/oai", create_oai_standin())
    app.add_subapp("/sandbox/turnitin", create_turnitin_standin(s.turnitin_api_key.get()))
    app.add_subapp("/sandbox", chat)
    app.router.add_get("/sandbox", _to_chat)
    app.router.add_get("/", _to_chat)


async def _to_chat(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/sandbox/")
