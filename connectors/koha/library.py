"""Koha's REST API behind refbot's :class:`refbot.ports.LibrarySystem` port.

Routes used (all under ``{koha.base_url}/api/v1``, JSON, ``Authorization: Bearer``):

- ``POST /oauth/token`` — OAuth2 client credentials (form fields ``grant_type``,
  ``client_id``, ``client_secret``) → ``{access_token, token_type, expires_in}``; Koha answers
  403 ``{"error": "unauthorized_client"}`` for a wrong key. The token is kept until shortly
  before it expires, and fetched again once when a call answers 401.
- ``GET /patrons?cardnumber=…&_match=exact``, and ``GET /patrons?q=[…]`` for a phone number:
  the exact spellings :func:`phone_variants` gives (``6281…``, ``+6281…``, ``081…``) and one
  ``-like`` pattern (:func:`phone_pattern`) for numbers written with spaces, dashes or dots,
  each on ``phone``, ``mobile`` and ``sms_number``; what comes back is compared digit by digit
  (:func:`same_phone`), so a looser match in Koha never links the wrong patron.
- ``GET /checkouts?patron_id=…`` → checkouts (``checkout_id``, ``item_id``, ``due_date``,
  ``renewals_count``), read page by page (``_page``, ``_per_page``; ``X-Total-Count``), which
  every Koha understands — ``_per_page=-1`` (everything at once) is not in older versions.
- ``GET /items?q={"item_id": [...]}`` with ``x-koha-embed: biblio`` for barcodes
  (``external_id``) and titles. Older Koha has neither ``q`` on ``/items`` (it answers 400,
  ``/query/q`` "Malformed query string") nor the ``biblio`` embed (it leaves it out): refbot
  then asks ``GET /items/{id}`` and ``GET /biblios/{id}`` per loan, and remembers that it must.
- ``GET /checkouts/{id}/allows_renewal`` → ``{allows_renewal, max_renewals,
  current_renewals, unseen_renewals, error}``, then ``POST /checkouts/{id}/renewal?seen=0`` →
  201 with the checkout, or 403 ``{"error": "Renewal not authorized (too_many)"}``. ``seen=0``
  (a query parameter in Koha's specification) records the renewal as *unseen* — the item was
  not at the desk — so the library's unseen-renewal limit applies. A Koha older than unseen
  renewals (20.11) rejects the parameter with a 400; refbot then renews without it.
- ``GET /patrons/{id}/account`` → ``{balance, outstanding_debits: {total, lines: [...]}}``.

Any failure to get an answer — refused connection, timeout, 5xx, a key Koha will not accept,
a body that is not the JSON expected — is :class:`LibraryUnavailable`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, NamedTuple

import aiohttp

from connectors._http import as_dict as _obj
from connectors._http import as_list as _list
from connectors._http import as_text as _text
from connectors._phones import phone_pattern, phone_variants, same_phone
from refbot.config import KohaSettings, Secret
from refbot.errors import LibraryUnavailable
from refbot.models import Account, Fine, Holding, LibraryPatron, Loan, Renewal

_REFUSAL = re.compile(r"\(([^)]+)\)\s*$")
_TOKEN_MARGIN = 60.0
_PAGE = 100  # rows per page of a listing; a patron's loans fit in one
_MAX_PAGES = 50
_PHONE_FIELDS = ("phone", "mobile", "sms_number")
_MAX_RECORDS = 200  # biblionumbers in one shelf-status question


class _Reply(NamedTuple):
    status: int
    body: Any
    total: int | None  # X-Total-Count of a listing


class KohaLibrary:
    """Koha over its REST API, with an OAuth2 client-credentials token."""

    name = "koha"

    def __init__(
        self,
        settings: KohaSettings,
        client_id: Secret,
        client_secret: Secret,
        session: aiohttp.ClientSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._client_id = client_id
        self._client_secret = client_secret
        self._session = session
        self._clock = clock
        self._token = ""
        self._token_until = 0.0
        # What this Koha turned out to understand; None until it has been asked.
        self._items_query: bool | None = None  # GET /items?q=…
        self._items_embed: bool | None = None  # x-koha-embed: biblio on GET /items
        self._seen: bool | None = None  # POST /checkouts/{id}/renewal?seen=0

    @property
    def api(self) -> str:
        """The REST API's base URL."""
        return f"{self._settings.base_url.rstrip('/')}/api/v1"

    # -- the port ----------------------------------------------------------------------------

    async def patron_by_card(self, cardnumber: str) -> LibraryPatron | None:
        """The patron holding ``cardnumber`` (exact match), or None."""
        found = (await self._call("GET", "/patrons", params={"cardnumber": cardnumber, "_match": "exact"})).body
        patrons = [_patron(p) for p in _list(found)]
        return next((p for p in patrons if p.cardnumber.lower() == cardnumber.lower()), None)

    async def patrons_by_phone(self, phone: str) -> list[LibraryPatron]:
        """Patrons with this number as phone, mobile or SMS number, in any usual spelling.

        Koha is asked for the exact spellings and one ``-like`` pattern (one query, however the
        library wrote the number); each answer is then compared digit by digit.
        """
        variants, pattern = phone_variants(phone), phone_pattern(phone)
        if not variants:
            return []
        query: list[dict[str, Any]] = [{field: variants} for field in _PHONE_FIELDS]
        query += [{field: {"-like": pattern}} for field in _PHONE_FIELDS]
        found = await self._listing("/patrons", {"q": json.dumps(query)})
        patrons = [_patron(p) for p in found]
        return [p for p in patrons if any(same_phone(phone, known) for known in p.phones)]

    async def loans(self, patron_id: str) -> list[Loan]:
        """Current checkouts with barcodes and titles, soonest due first."""
        rows = await self._listing("/checkouts", {"patron_id": patron_id})
        items = await self._items([c.get("item_id") for c in rows])
        loans = [_loan(c, items.get(_text(c.get("item_id")), {})) for c in rows]
        far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        return sorted(loans, key=lambda loan: loan.due or far)

    async def renew(self, loan: Loan) -> Renewal:
        """Check ``allows_renewal``, then renew; Koha's refusal code becomes ``reason``."""
        status, check, _ = await self._call("GET", f"/checkouts/{loan.id}/allows_renewal", allow=(404,))
        if status == 404:
            return Renewal(False, reason="no_checkout")
        check = _obj(check)
        current, most = _int(check.get("current_renewals")), _int(check.get("max_renewals"))
        if check.get("allows_renewal") is not True:
            return Renewal(False, reason=_text(check.get("error")) or "not_allowed", renewals=current, max_renewals=most)
        status, body = await self._renewal(loan.id)
        if status == 201:
            renewed = _obj(body)
            return Renewal(True, due=_datetime(renewed.get("due_date")), renewals=_int(renewed.get("renewals_count")),
                           max_renewals=most)
        reason = _refusal(body) if status == 403 else "no_checkout"
        return Renewal(False, reason=reason, renewals=current, max_renewals=most)

    async def account(self, patron_id: str) -> Account:
        """The balance and the outstanding debit lines."""
        body = (await self._call("GET", f"/patrons/{patron_id}/account")).body
        account = _obj(body)
        lines = _list(_obj(account.get("outstanding_debits")).get("lines"))
        fines = tuple(
            Fine(_text(line.get("description")) or _text(line.get("debit_type")) or "-",
                 _float(line.get("amount_outstanding")))
            for line in lines if isinstance(line, dict)
        )
        return Account(_float(account.get("balance")), fines)

    async def copies(self, record_ids: Collection[str]) -> dict[str, tuple[Holding, ...]]:
        """Each record's items, from ``GET /items?q={"biblio_id": [...]}`` (biblionumbers are the records' 001).

        ``checked_out_date`` is set while an item is on loan (Koha's ``items.onloan``, the due
        date). A Koha without ``q`` on ``/items`` answers 400, which is :class:`LibraryUnavailable`
        here: the draft then shows the export's figures.
        """
        ids = sorted({int(r.strip()) for r in record_ids if r.strip().isdigit()})[:_MAX_RECORDS]
        if not ids:
            return {}
        rows = await self._listing("/items", {"q": json.dumps({"biblio_id": ids})})
        found: dict[str, list[Holding]] = {}
        for item in rows:
            found.setdefault(_text(item.get("biblio_id")), []).append(_shelf_copy(item))
        return {record: tuple(copies) for record, copies in found.items()}

    # -- HTTP ----------------------------------------------------------------------------------

    async def _renewal(self, checkout_id: str) -> tuple[int, Any]:
        """``POST …/renewal?seen=0``; without ``seen`` on a Koha that does not know it."""
        path = f"/checkouts/{checkout_id}/renewal"
        if self._seen is not False:
            status, body, _ = await self._call("POST", path, params={"seen": "0"}, allow=(400, 403, 404))
            if status != 400:
                self._seen = True
                return status, body
            if "seen" not in _rejected(body):
                raise LibraryUnavailable(f"Koha answered POST {path} with HTTP 400: {_error_text(body)}")
            self._seen = False  # older than unseen renewals: nothing to tell it
        status, body, _ = await self._call("POST", path, allow=(403, 404))
        return status, body

    async def _listing(self, path: str, params: Mapping[str, str],
                       headers: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Every row of a listing, page by page (``_page``/``_per_page``, as every Koha takes)."""
        rows: list[dict[str, Any]] = []
        for page in range(1, _MAX_PAGES + 1):
            reply = await self._call("GET", path, params={**params, "_per_page": str(_PAGE), "_page": str(page)},
                                     headers=headers)
            found = [r for r in _list(reply.body) if isinstance(r, dict)]
            rows += found
            if len(found) < _PAGE or (reply.total is not None and len(rows) >= reply.total):
                break
        return rows

    async def _items(self, item_ids: list[Any]) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(i for i in item_ids if isinstance(i, int) and not isinstance(i, bool)))
        if not ids:
            return {}
        items: dict[str, dict[str, Any]] | None = None
        if self._items_query is not False:
            items = await self._items_by_query(ids)
        if items is None:  # this Koha has no q on /items: one item at a time
            items = {}
            for item_id in ids:
                status, body, _ = await self._call("GET", f"/items/{item_id}", allow=(404,))
                if status == 200 and isinstance(body, dict):
                    items[str(item_id)] = body
        await self._embed_biblios(items)
        return items

    async def _items_by_query(self, ids: list[int]) -> dict[str, dict[str, Any]] | None:
        """``GET /items?q=…`` with the biblio embedded; None when this Koha has no ``q`` there."""
        params = {"q": json.dumps({"item_id": ids}), "_per_page": str(_PAGE), "_page": "1"}
        rows: list[dict[str, Any]] = []
        page = 1
        while page <= _MAX_PAGES:
            params["_page"] = str(page)
            embed = {"x-koha-embed": "biblio"} if self._items_embed is not False else {}
            status, body, total = await self._call("GET", "/items", params=params, headers=embed, allow=(400,))
            if status == 400:
                rejected = _rejected(body)
                if "q" in rejected:
                    self._items_query = False
                    return None
                if embed and "x-koha-embed" in rejected:  # an embed list without biblio
                    self._items_embed = False
                    continue
                raise LibraryUnavailable(f"Koha answered GET /items with HTTP 400: {_error_text(body)}")
            page += 1
            found = [r for r in _list(body) if isinstance(r, dict)]
            rows += found
            if len(found) < _PAGE or (total is not None and len(rows) >= total):
                break
        self._items_query = True
        if self._items_embed is None and rows:
            self._items_embed = any(isinstance(r.get("biblio"), dict) for r in rows)
        return {_text(i.get("item_id")): i for i in rows}

    async def _embed_biblios(self, items: dict[str, dict[str, Any]]) -> None:
        """Titles for items that came without ``biblio`` (a Koha without that embed)."""
        wanted = {i.get("biblio_id") for i in items.values() if not isinstance(i.get("biblio"), dict)}
        biblios: dict[Any, dict[str, Any]] = {}
        for biblio_id in wanted:
            if not isinstance(biblio_id, int) or isinstance(biblio_id, bool):
                continue
            status, body, _ = await self._call("GET", f"/biblios/{biblio_id}", allow=(404, 406))
            if status == 200 and isinstance(body, dict):
                biblios[biblio_id] = body
        for item in items.values():
            if not isinstance(item.get("biblio"), dict) and item.get("biblio_id") in biblios:
                item["biblio"] = biblios[item["biblio_id"]]

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        allow: tuple[int, ...] = (),
    ) -> _Reply:
        for fresh_token in (False, True):
            token = await self._access_token(fresh_token)
            reply = await self._request(method, path, params, {**(headers or {}), "Authorization": f"Bearer {token}"})
            if reply.status == 401 and not fresh_token:
                continue  # the token expired early or was revoked: fetch one more
            if 200 <= reply.status < 300 or reply.status in allow:
                return reply
            raise LibraryUnavailable(f"Koha answered {method} {path} with HTTP {reply.status}: {_error_text(reply.body)}")
        raise LibraryUnavailable("Koha refused refbot's token twice (check the API key's permissions)")

    async def _access_token(self, fresh: bool) -> str:
        if self._token and not fresh and self._clock() < self._token_until:
            return self._token
        if not self._client_id or not self._client_secret:
            raise LibraryUnavailable("REFBOT_KOHA_CLIENT_ID and REFBOT_KOHA_CLIENT_SECRET are not set")
        form = {"grant_type": "client_credentials", "client_id": self._client_id.get(),
                "client_secret": self._client_secret.get()}
        status, body, _ = await self._request("POST", "/oauth/token", None, {}, form=form)
        token = _text(_obj(body).get("access_token"))
        if status != 200 or not token:
            raise LibraryUnavailable(f"Koha refused refbot's API key (HTTP {status}: {_text(_obj(body).get('error'))})")
        self._token = token
        self._token_until = self._clock() + max(0.0, _float(_obj(body).get("expires_in")) - _TOKEN_MARGIN)
        return token

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        *,
        form: Mapping[str, str] | None = None,
    ) -> _Reply:
        if not self._settings.base_url:
            raise LibraryUnavailable("koha.base_url is not configured")
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout)
        try:
            async with self._session.request(
                method, self.api + path, params=params, data=form,
                headers={"Accept": "application/json", **headers}, timeout=timeout,
            ) as response:
                raw = await response.read()
                status = response.status
                total = _int(response.headers.get("X-Total-Count"))
        except TimeoutError as e:
            raise LibraryUnavailable(f"Koha did not answer within {self._settings.timeout:g} s") from e
        except aiohttp.ClientError as e:
            raise LibraryUnavailable(f"cannot reach Koha: {e}") from e
        if status >= 500:
            raise LibraryUnavailable(f"Koha answered {method} {path} with HTTP {status}")
        try:
            return _Reply(status, json.loads(raw) if raw else None, total)
        except ValueError as e:
            raise LibraryUnavailable(f"Koha answered {method} {path} with something that is not JSON") from e


# --- shapes -------------------------------------------------------------------------------------


def _patron(data: Any) -> LibraryPatron:
    p = _obj(data)
    name = " ".join(part for part in (_text(p.get("firstname")), _text(p.get("surname"))) if part)
    phones = tuple(_text(p.get(f)) for f in ("phone", "mobile", "sms_number") if _text(p.get(f)))
    return LibraryPatron(_text(p.get("patron_id")), _text(p.get("cardnumber")), name or _text(p.get("cardnumber")), phones)


def _loan(checkout: dict[str, Any], item: dict[str, Any]) -> Loan:
    biblio = _obj(item.get("biblio"))
    return Loan(
        id=_text(checkout.get("checkout_id")),
        barcode=_text(item.get("external_id")) or _text(checkout.get("external_id")),
        title=_text(biblio.get("title")) or _text(item.get("callnumber")),
        due=_datetime(checkout.get("due_date")),
        renewals=_int(checkout.get("renewals_count")) or 0,
    )


def _shelf_copy(item: dict[str, Any]) -> Holding:
    """One Koha item as a copy on (or off) the shelf, in the words of the catalog's 952 reading."""
    copy = Holding(location=_text(item.get("holding_library_id")) or _text(item.get("home_library_id")),
                   call_number=_text(item.get("callnumber")), barcode=_text(item.get("external_id")))
    for field, status in (("lost_status", "lost"), ("damaged_status", "damaged"), ("withdrawn", "withdrawn")):
        if _int(item.get(field)):
            return dataclasses.replace(copy, available=False, status=status)
    due = _text(item.get("checked_out_date"))
    if due:
        return dataclasses.replace(copy, available=False, status=f"on loan, due {due[:10]}")
    not_for_loan = _int(item.get("not_for_loan_status")) or 0
    if not_for_loan < 0:
        return dataclasses.replace(copy, available=False, status="on order")
    return dataclasses.replace(copy, status="in-library use only" if not_for_loan > 0 else "")


def _rejected(body: Any) -> set[str]:
    """The parameters a 400 names: Koha's ``[{"path": "/query/q", "message": …}]`` (unknown
    query parameters) or ``{"errors": [{"path": "/x-koha-embed/0", …}]}`` (OpenAPI validation):
    every step of each path, ``{"query", "q"}`` or ``{"x-koha-embed", "0"}``."""
    errors = body if isinstance(body, list) else _list(_obj(body).get("errors"))
    paths = (_text(_obj(e).get("path")) for e in errors)
    return {step for path in paths for step in path.split("/") if step}


def _error_text(body: Any) -> str:
    if isinstance(body, list) or "errors" in _obj(body):
        errors = body if isinstance(body, list) else _list(_obj(body).get("errors"))
        return "; ".join(f"{_text(_obj(e).get('path'))} {_text(_obj(e).get('message'))}".strip() for e in errors)
    return _refusal(body) or _text(_obj(body).get("error"))


def _refusal(body: Any) -> str:
    """``too_many`` from ``{"error": "Renewal not authorized (too_many)"}``."""
    found = _REFUSAL.search(_text(_obj(body).get("error")))
    return found[1].strip() if found else ""


def _datetime(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(value) if isinstance(value, str) else 0.0
    except ValueError:
        return 0.0
