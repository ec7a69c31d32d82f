"""A stand-in for Koha's REST API, on loopback, for tests and the demo.

It answers the routes refbot uses in Koha's own JSON shapes (``/api/v1/…``):

- ``POST /oauth/token`` (client credentials; 403 ``unauthorized_client`` for a wrong key), and
  a bearer token on everything else (401 ``Authentication failure.`` otherwise);
- ``GET /patrons`` (query fields with ``_match``, or ``q`` as JSON), ``GET /patrons/{id}``,
  ``GET /patrons/{id}/account``;
- ``GET /checkouts?patron_id=``, ``GET /checkouts/{id}``, ``GET /checkouts/{id}/allows_renewal``,
  ``POST /checkouts/{id}/renewal?seen=0|1`` (201 with the checkout, or 403 ``Renewal not
  authorized (reason)`` with Koha's reasons in Koha's order: ``on_reserve``, ``too_many``,
  ``restriction``, ``overdue``); ``seen`` is a query parameter, as in Koha's specification
  (``seen_pp``), absent meaning seen; every renewal is kept with its ``seen`` flag
  (``state.renewals``, and ``GET /checkouts/{id}/renewals`` as Koha lists them), and an unseen
  one counts in the checkout's ``unseen_renewals`` (Koha's ``UnseenRenewals``);
- ``GET /items`` (``external_id``, ``q``, ``x-koha-embed: biblio``), ``GET /items/{id}`` — an
  item on loan carries its due date as ``checked_out_date`` (Koha's ``items.onloan``),
  ``GET /biblios/{id}`` (``Accept: application/json``).

Listings page as Koha's do: ``_per_page`` (default 20, ``RESTdefaultPageSize``; ``-1`` for
everything) and ``_page``, with ``X-Total-Count``. A query parameter a route's specification
does not declare is refused as Koha refuses it: 400 ``[{"path": "/query/<name>", "message":
"Malformed query string"}]``; query filters take Koha's ``q`` syntax (a list is OR, an object
AND, a list value IN, ``{"-like": "%…%"}``).

``state.items_embed_biblio = False`` makes ``/items`` refuse ``x-koha-embed: biblio`` (400, as
Koha's OpenAPI check does for an embed not in the route's list), as versions between the two did.
``state.legacy = True`` (or ``POST /_control {"legacy": true}``) makes it an older Koha
(20.05): no ``q`` and no ``x-koha-embed`` on ``/items`` (``q`` is refused, the embed left
out), no ``seen`` on renewals (refused), and ``_per_page=-1`` fails with a 500 as DBIx::Class
did there ("rows must be a positive integer").

Note on real Koha: its controller reads the flag as ``$c->param('seen') || 1`` (checked in the
versions up to 24.x), so a real Koha records ``seen=0`` as seen until that is fixed upstream;
the stand-in honours the specification.

It is seeded with demo patrons (see :func:`seed`). Helper endpoints, not part of Koha:

- ``GET /_control`` / ``POST /_control`` — faults for the next calls::

      {"down": true}                  every API call answers 503 until cleared
      {"status": 500, "times": 2}     the next two calls answer 500
      {"delay": 3.0}                  every call waits this long first
      {"reset": true}                 back to the seeded data
      {"legacy": true}                behave like an older Koha (stays until {"legacy": false})
      {}                              clear the faults

- ``GET /_state`` — patrons, checkouts and debits as they are now.

Tests reach the state directly as ``app[KOHA_STATE]`` to set up a case (put a hold on an item).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from refbot.config import Secret

JAKARTA = datetime.timezone(datetime.timedelta(hours=7))
RENEWAL_DAYS = 14
DEFAULT_PAGE_SIZE = "20"  # Koha's RESTdefaultPageSize


@dataclass
class KohaPatron:
    patron_id: int
    cardnumber: str
    firstname: str
    surname: str
    phone: str = ""
    mobile: str = ""
    sms_number: str = ""
    category_id: str = "MHS"
    restricted: bool = False


@dataclass
class KohaItem:
    item_id: int
    biblio_id: int
    external_id: str
    title: str
    author: str
    callnumber: str
    on_hold: bool = False


@dataclass
class KohaCheckout:
    checkout_id: int
    patron_id: int
    item_id: int
    due_date: datetime.datetime
    checkout_date: datetime.datetime
    renewals_count: int = 0
    max_renewals: int = 2
    last_renewed_date: datetime.datetime | None = None
    unseen_renewals: int = 0


@dataclass
class KohaRenewal:
    """One renewal as Koha keeps it (``checkout_renewals``): was the item seen at the desk?"""

    renewal_id: int
    checkout_id: int
    seen: bool
    timestamp: datetime.datetime


@dataclass
class KohaDebit:
    account_line_id: int
    patron_id: int
    amount: float
    amount_outstanding: float
    description: str
    debit_type: str = "OVERDUE"


@dataclass
class Fault:
    """Failures the stand-in plays back."""

    down: bool = False
    status: int | None = None
    times: int = 0
    delay: float = 0.0


@dataclass
class KohaState:
    """Everything the stand-in knows; reachable as ``app[KOHA_STATE]``."""

    client_id: str
    client_secret: str
    clock: Callable[[], datetime.datetime]
    patrons: dict[int, KohaPatron] = field(default_factory=dict)
    items: dict[int, KohaItem] = field(default_factory=dict)
    checkouts: dict[int, KohaCheckout] = field(default_factory=dict)
    debits: list[KohaDebit] = field(default_factory=list)
    renewals: list[KohaRenewal] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    fault: Fault = field(default_factory=Fault)
    calls: list[str] = field(default_factory=list)
    legacy: bool = False  # behave like an older Koha (see the module's docstring)
    items_embed_biblio: bool = True  # False: a Koha whose /items embeds only +strings

    def checkout_of(self, barcode: str) -> KohaCheckout | None:
        """The open checkout of the item with this barcode."""
        item = next((i for i in self.items.values() if i.external_id == barcode), None)
        return next((c for c in self.checkouts.values() if item and c.item_id == item.item_id), None)


KOHA_STATE = web.AppKey("koha_state", KohaState)


def create_koha_standin(
    client_id: Secret | str = "refbot",
    client_secret: Secret | str = "refbot-secret",
    *,
    clock: Callable[[], datetime.datetime] | None = None,
) -> web.Application:
    """Build the Koha stand-in as an aiohttp app (mountable as a sub-app), seeded with demo data."""
    now = clock or (lambda: datetime.datetime.now(JAKARTA))
    state = KohaState(_reveal(client_id), _reveal(client_secret), now)
    seed(state)
    app = web.Application(middlewares=[_faults])
    app[KOHA_STATE] = state
    api = "/api/v1"
    app.router.add_post(f"{api}/oauth/token", _token)
    app.router.add_get(f"{api}/patrons", _patrons)
    app.router.add_get(f"{api}/patrons/{{patron_id:\\d+}}", _patron)
    app.router.add_get(f"{api}/patrons/{{patron_id:\\d+}}/account", _account)
    app.router.add_get(f"{api}/checkouts", _checkouts)
    app.router.add_get(f"{api}/checkouts/{{checkout_id:\\d+}}", _checkout)
    app.router.add_get(f"{api}/checkouts/{{checkout_id:\\d+}}/allows_renewal", _allows_renewal)
    app.router.add_post(f"{api}/checkouts/{{checkout_id:\\d+}}/renewal", _renew)
    app.router.add_post(f"{api}/checkouts/{{checkout_id:\\d+}}/renewals", _renew)
    app.router.add_get(f"{api}/items", _items)
    app.router.add_get(f"{api}/items/{{item_id:\\d+}}", _item)
    app.router.add_get(f"{api}/biblios/{{biblio_id:\\d+}}", _biblio)
    app.router.add_get(f"{api}/checkouts/{{checkout_id:\\d+}}/renewals", _renewals)
    app.router.add_get("/_control", _show_control)
    app.router.add_post("/_control", _set_control)
    app.router.add_get("/_state", _show_state)
    return app


def seed(state: KohaState) -> None:
    """Demo patrons, each showing one thing the desk does.

    ===========  ==============  ======================================================
    card         WhatsApp        what they show
    ===========  ==============  ======================================================
    2100001      6281200000001   three loans: B0001 renewable, B0002 reserved by
                                 someone else, B0003 overdue; a fine of Rp 4.000
    2100002      6281200000002   nothing on loan, nothing owed: clear for a letter
    2100003      (none)          not known by phone: links with DAFTAR#2100003
    2100004      6281200000004   B0005 renewed twice already (the limit)
    ===========  ==============  ======================================================
    """
    now = state.clock()
    state.patrons = {
        p.patron_id: p
        for p in (
            KohaPatron(1, "2100001", "Siti", "Rahmawati", mobile="081200000001"),
            KohaPatron(2, "2100002", "Andi", "Pratama", phone="+6281200000002"),
            KohaPatron(3, "2100003", "Budi", "Santoso"),
            KohaPatron(4, "2100004", "Maya", "Lestari", mobile="6281200000004"),
        )
    }
    books = [
        ("B0001", "Literasi informasi di perguruan tinggi", "Sulistyo-Basuki", "020.7 SUL l"),
        ("B0002", "Metodologi penelitian kualitatif", "Moleong, Lexy J.", "001.42 MOL m"),
        ("B0003", "Pengantar ilmu perpustakaan", "Sulistyo-Basuki", "020 SUL p"),
        ("B0004", "Information literacy: a practical guide", "Bawden, David", "028.7 BAW i"),
        ("B0005", "Manajemen perpustakaan perguruan tinggi", "Qalyubi, Syihabuddin", "025.1 QAL m"),
    ]
    state.items = {
        n: KohaItem(n, 100 + n, barcode, title, author, callnumber, on_hold=(barcode == "B0002"))
        for n, (barcode, title, author, callnumber) in enumerate(books, start=1)
    }
    day = datetime.timedelta(days=1)
    due = _end_of_day(now)
    state.checkouts = {
        c.checkout_id: c
        for c in (
            KohaCheckout(11, 1, 1, due + 5 * day, now - 9 * day),
            KohaCheckout(12, 1, 2, due + 3 * day, now - 11 * day),
            KohaCheckout(13, 1, 3, due - 3 * day, now - 17 * day),
            KohaCheckout(15, 4, 5, due + 2 * day, now - 40 * day, renewals_count=2),
        )
    }
    state.debits = [KohaDebit(21, 1, 4000.0, 4000.0, "Denda keterlambatan: Pengantar ilmu perpustakaan")]
    state.renewals = []


# --- OAuth ---------------------------------------------------------------------------------


async def _token(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return _error(400, "Unimplemented grant type")
    if form.get("client_id") != state.client_id or form.get("client_secret") != state.client_secret:
        return _error(403, "unauthorized_client")
    token = secrets.token_hex(16)
    state.tokens.add(token)
    return web.json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600})


# --- patrons -------------------------------------------------------------------------------


async def _patrons(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    rows = [_patron_json(p) for p in state.patrons.values()]
    return _listing(_filter(rows, request, exclude=_LISTING), request)


async def _patron(request: web.Request) -> web.Response:
    patron = request.app[KOHA_STATE].patrons.get(int(request.match_info["patron_id"]))
    return web.json_response(_patron_json(patron)) if patron else _error(404, "Patron not found")


async def _account(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    patron_id = int(request.match_info["patron_id"])
    if patron_id not in state.patrons:
        return _error(404, "Patron not found.")
    lines = [_debit_json(d) for d in state.debits if d.patron_id == patron_id and d.amount_outstanding > 0]
    total = sum(d["amount_outstanding"] for d in lines)
    return web.json_response({
        "balance": total,
        "outstanding_debits": {"total": total, "lines": lines},
        "outstanding_credits": {"total": 0, "lines": []},
    })


# --- checkouts -----------------------------------------------------------------------------


_LISTING = {"_match", "_page", "_per_page", "_order_by", "q"}


async def _checkouts(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    refused = _undeclared(request, _LISTING | {"patron_id", "checked_in"})
    if refused:
        return refused
    rows = [_checkout_json(c) for c in state.checkouts.values()]
    return _listing(_filter(rows, request, exclude=_LISTING | {"checked_in"}), request)


async def _checkout(request: web.Request) -> web.Response:
    checkout = request.app[KOHA_STATE].checkouts.get(int(request.match_info["checkout_id"]))
    return web.json_response(_checkout_json(checkout)) if checkout else _error(404, "Checkout not found")


async def _allows_renewal(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    checkout = state.checkouts.get(int(request.match_info["checkout_id"]))
    if checkout is None:
        return _error(404, "Checkout not found")
    reason = refusal(state, checkout)
    return web.json_response({
        "allows_renewal": reason is None,
        "max_renewals": checkout.max_renewals,
        "current_renewals": checkout.renewals_count,
        "unseen_renewals": checkout.unseen_renewals,
        "error": reason,
    })


async def _renew(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    refused = _undeclared(request, set() if state.legacy else {"seen"})
    if refused:
        return refused
    try:  # seen_pp: an integer query parameter; absent is seen (AddRenewal's default)
        seen = int(request.query.get("seen", "1")) != 0
    except ValueError:
        return web.json_response({"errors": [{"message": "Expected integer - got string.", "path": "/seen"}],
                                  "status": 400}, status=400)
    checkout = state.checkouts.get(int(request.match_info["checkout_id"]))
    if checkout is None:
        return _error(404, "Checkout not found")
    reason = refusal(state, checkout)
    if reason is not None:
        return _error(403, f"Renewal not authorized ({reason})")
    now = state.clock()
    checkout.due_date = _end_of_day(max(now, checkout.due_date) + datetime.timedelta(days=RENEWAL_DAYS))
    checkout.renewals_count += 1
    checkout.unseen_renewals = 0 if seen else checkout.unseen_renewals + 1
    checkout.last_renewed_date = now
    state.renewals.append(KohaRenewal(len(state.renewals) + 1, checkout.checkout_id, seen, now))
    response = web.json_response(_checkout_json(checkout), status=201)
    response.headers["Location"] = str(request.rel_url)
    return response


async def _renewals(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    if state.legacy:
        return _error(404, "Not Found")
    checkout_id = int(request.match_info["checkout_id"])
    if checkout_id not in state.checkouts:
        return _error(404, "Checkout not found")
    rows = [_renewal_json(r) for r in state.renewals if r.checkout_id == checkout_id]
    return _listing(rows, request)


def refusal(state: KohaState, checkout: KohaCheckout) -> str | None:
    """Why Koha would refuse to renew this checkout (in Koha's order of checks), or None."""
    item = state.items[checkout.item_id]
    patron = state.patrons[checkout.patron_id]
    if item.on_hold:
        return "on_reserve"
    if checkout.renewals_count >= checkout.max_renewals:
        return "too_many"
    if patron.restricted:
        return "restriction"
    if checkout.due_date < state.clock():  # OverduesBlockRenewing = blockitem
        return "overdue"
    return None


# --- items ---------------------------------------------------------------------------------


async def _items(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    declared = {"external_id", "_match", "_page", "_per_page", "_order_by"} | (set() if state.legacy else {"q"})
    refused = _undeclared(request, declared)
    if refused:
        return refused
    embeds = [e.strip() for e in request.headers.get("x-koha-embed", "").split(",") if e.strip()]
    known = {"+strings", "biblio"} if state.items_embed_biblio else {"+strings"}
    wrong = next((n for n, e in enumerate(embeds) if e not in known), None)
    if wrong is not None and not state.legacy:  # the OpenAPI enum check (legacy declares no embed)
        return web.json_response({"errors": [{"message": f"Not in enum list: {', '.join(sorted(known))}.",
                                              "path": f"/x-koha-embed/{wrong}"}], "status": 400}, status=400)
    embed = not state.legacy and "biblio" in embeds
    rows = [_item_json(i, embed, _due(state, i)) for i in state.items.values()]
    return _listing(_filter(rows, request, exclude=_LISTING), request)


async def _item(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    item = state.items.get(int(request.match_info["item_id"]))
    return web.json_response(_item_json(item, False, _due(state, item))) if item else _error(404, "Item not found")


async def _biblio(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    accept = request.headers.get("Accept", "*/*")
    if "application/json" not in accept and "*/*" not in accept:
        return _error(406, "Not acceptable")
    biblio_id = int(request.match_info["biblio_id"])
    item = next((i for i in state.items.values() if i.biblio_id == biblio_id), None)
    if item is None:
        return _error(404, "Bibliographic record not found")
    return web.json_response({"biblio_id": biblio_id, "title": item.title, "subtitle": None,
                              "author": item.author, "frameworkcode": "", "copyright_date": None})


# --- query semantics -----------------------------------------------------------------------


def _filter(rows: list[dict[str, Any]], request: web.Request, exclude: set[str]) -> list[dict[str, Any]] | web.Response:
    """Koha's list filters: plain query fields (with ``_match``) and ``q`` as JSON."""
    match = request.query.get("_match", "contains")
    for key, wanted in request.query.items():
        if key in exclude:
            continue
        rows = [r for r in rows if _matches(r.get(key), wanted, match)]
    if "q" in request.query:
        try:
            query = json.loads(request.query["q"])
        except ValueError:
            return _error(400, "Invalid query", error_code="invalid_query")
        rows = [r for r in rows if _satisfies(r, query)]
    return rows


def _matches(value: Any, wanted: str, match: str) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) == wanted.strip()  # ids (patron_id=1) are never partial matches
    have = "" if value is None else str(value).lower()
    want = wanted.lower()
    if match == "exact":
        return have == want
    if match == "starts_with":
        return have.startswith(want)
    return want in have


def _satisfies(row: dict[str, Any], query: Any) -> bool:
    # SQL::Abstract as Koha uses it: a list is OR, a mapping is AND, a list value is IN.
    if isinstance(query, list):
        return any(_satisfies(row, q) for q in query)
    if isinstance(query, dict):
        return all(_field_is(row.get(k), v) for k, v in query.items())
    return False


def _field_is(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any(_field_is(value, w) for w in wanted)
    if isinstance(wanted, dict):
        return all(_clause(value, op, operand) for op, operand in wanted.items())
    return value is not None and value != "" and str(value) == str(wanted)


def _clause(value: Any, op: str, operand: Any) -> bool:
    """``{"-like": "%812%"}`` and ``{"-not_like": …}`` as MySQL reads them (case-insensitive)."""
    if op in ("-like", "-not_like") and isinstance(operand, str):
        pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in operand)
        hit = value is not None and re.fullmatch(pattern, str(value), re.IGNORECASE | re.DOTALL) is not None
        return hit if op == "-like" else value is not None and not hit
    return False


def _undeclared(request: web.Request, declared: set[str]) -> web.Response | None:
    """Koha's check of query parameters against the route's specification."""
    errors = [{"path": f"/query/{name}", "message": "Malformed query string"}
              for name in dict.fromkeys(request.query) if name not in declared]
    return web.json_response(errors, status=400) if errors else None


# --- JSON shapes ---------------------------------------------------------------------------


def _patron_json(p: KohaPatron) -> dict[str, Any]:
    return {
        "patron_id": p.patron_id, "cardnumber": p.cardnumber, "firstname": p.firstname, "surname": p.surname,
        "phone": p.phone or None, "mobile": p.mobile or None, "sms_number": p.sms_number or None,
        "email": f"{p.cardnumber}@mail.example.ac.id", "category_id": p.category_id, "library_id": "PUSAT",
        "date_enrolled": "2022-08-15", "expiry_date": "2027-08-31", "restricted": p.restricted,
        "userid": p.cardnumber, "lang": "id",
    }


def _checkout_json(c: KohaCheckout) -> dict[str, Any]:
    return {
        "checkout_id": c.checkout_id, "patron_id": c.patron_id, "item_id": c.item_id,
        "due_date": _iso(c.due_date), "library_id": "PUSAT", "issuer_id": None,
        "checkin_date": None, "checkin_library_id": None, "last_renewed_date": _iso(c.last_renewed_date),
        "renewals_count": c.renewals_count, "unseen_renewals": c.unseen_renewals, "auto_renew": False,
        "auto_renew_error": None, "timestamp": _iso(c.last_renewed_date or c.checkout_date),
        "checkout_date": _iso(c.checkout_date), "onsite_checkout": False,
        "note": None, "note_date": None, "note_seen": None,
    }


def _due(state: KohaState, item: KohaItem) -> datetime.datetime | None:
    """When the item is due back, while it is on loan (Koha keeps it in ``items.onloan``)."""
    return next((c.due_date for c in state.checkouts.values() if c.item_id == item.item_id), None)


def _item_json(i: KohaItem, embed_biblio: bool, due: datetime.datetime | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "item_id": i.item_id, "biblio_id": i.biblio_id, "external_id": i.external_id, "callnumber": i.callnumber,
        "home_library_id": "PUSAT", "holding_library_id": "PUSAT", "location": "GEN",
        "not_for_loan_status": 0, "lost_status": 0, "withdrawn": 0, "damaged_status": 0,
        "item_type_id": "BK", "holds_count": 1 if i.on_hold else 0,
        "checked_out_date": due.astimezone(JAKARTA).date().isoformat() if due else None,
    }
    if embed_biblio:
        item["biblio"] = {"biblio_id": i.biblio_id, "title": i.title, "subtitle": None, "author": i.author}
    return item


def _debit_json(d: KohaDebit) -> dict[str, Any]:
    return {
        "account_line_id": d.account_line_id, "patron_id": d.patron_id, "amount": d.amount,
        "amount_outstanding": d.amount_outstanding, "description": d.description, "debit_type": d.debit_type,
        "credit_type": None, "status": "UNRETURNED", "library_id": "PUSAT", "interface": "cron",
        "date": "2026-01-01T00:00:00+07:00", "timestamp": "2026-01-01T00:00:00+07:00",
        "item_id": None, "checkout_id": None, "internal_note": None, "payment_type": None, "user_id": None,
    }


def _renewal_json(r: KohaRenewal) -> dict[str, Any]:
    return {
        "renewal_id": r.renewal_id, "checkout_id": r.checkout_id, "interface": "api", "renewer_id": None,
        "seen": r.seen, "renewal_type": "Manual", "timestamp": _iso(r.timestamp),
    }


def _listing(rows: list[dict[str, Any]] | web.Response, request: web.Request) -> web.Response:
    """One page of a listing, as Koha's ``$c->objects->search`` gives it."""
    if isinstance(rows, web.Response):
        return rows
    legacy = request.app[KOHA_STATE].legacy
    try:
        per_page = int(request.query.get("_per_page", DEFAULT_PAGE_SIZE))
        page = int(request.query.get("_page", "1"))
    except ValueError:
        return web.json_response({"errors": [{"message": "Expected integer - got string.", "path": "/_per_page"}],
                                  "status": 400}, status=400)
    if per_page == 0 and not legacy:
        return web.json_response([{"path": "/query/_per_page", "message": "Invalid value: 0"}], status=400)
    if per_page < 1 and (legacy or per_page != -1):  # DBIx::Class: rows must be a positive integer
        return _error(500, "Something went wrong, check Koha logs for details.", error_code="internal_server_error")
    shown = rows if per_page == -1 else rows[(max(page, 1) - 1) * per_page:max(page, 1) * per_page]
    response = web.json_response(shown)
    response.headers["X-Total-Count"] = str(len(rows))
    return response


def _error(status: int, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


# --- auth and faults -----------------------------------------------------------------------


@web.middleware
async def _faults(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    state = request.app[KOHA_STATE]
    if "/api/v1/" not in request.path:
        return await handler(request)
    state.calls.append(f"{request.method} {request.path}")
    if state.fault.delay > 0:
        await asyncio.sleep(state.fault.delay)
    if state.fault.down:
        return _error(503, "System is under maintenance.")
    if state.fault.times > 0 and state.fault.status:
        state.fault.times -= 1
        return _error(state.fault.status, "Something went wrong, check Koha logs for details.",
                      error_code="internal_server_error")
    if not request.path.endswith("/oauth/token") and not _authorised(request, state.tokens):
        return _error(401, "Authentication failure.")
    return await handler(request)


def _authorised(request: web.Request, tokens: Iterable[str]) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.strip() in set(tokens)


async def _show_control(request: web.Request) -> web.Response:
    return web.json_response(asdict(request.app[KOHA_STATE].fault))


async def _set_control(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if data.get("reset"):
            seed(state)
        if "legacy" in data:
            state.legacy = bool(data["legacy"])
        status = data.get("status")
        times = data.get("times", 1 if status else 0)
        state.fault = Fault(bool(data.get("down")), status if isinstance(status, int) else None,
                            int(times), float(data.get("delay") or 0))
    except (ValueError, TypeError) as e:
        return web.json_response({"error": f"bad fault: {e}"}, status=400)
    return web.json_response(asdict(state.fault))


async def _show_state(request: web.Request) -> web.Response:
    state = request.app[KOHA_STATE]
    return web.json_response({
        "patrons": [_patron_json(p) for p in state.patrons.values()],
        "checkouts": [_checkout_json(c) for c in state.checkouts.values()],
        "debits": [_debit_json(d) for d in state.debits],
        "renewals": [_renewal_json(r) for r in state.renewals],
        "legacy": state.legacy,
    })


def _end_of_day(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(JAKARTA).replace(hour=23, minute=59, second=0, microsecond=0)


def _iso(moment: datetime.datetime | None) -> str | None:
    return moment.astimezone(JAKARTA).isoformat(timespec="seconds") if moment else None


def _reveal(value: Secret | str) -> str:
    return value.get() if isinstance(value, Secret) else value
