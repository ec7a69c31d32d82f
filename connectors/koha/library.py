"""Koha's REST API behind refbot's :class:`refbot.ports.LibrarySystem` port.

Routes used (all under ``{koha.base_url}/api/v1``, JSON, ``Authorization: Bearer``):

- ``POST /oauth/token`` — OAuth2 client credentials (form fields ``grant_type``,
  ``client_id``, ``client_secret``) → ``{access_token, token_type, expires_in}``; Koha answers
  403 ``{"error": "unauthorized_client"}`` for a wrong key. The token is kept until shortly
  before it expires, and fetched again once when a call answers 401.
- ``GET /patrons?cardnumber=…&_match=exact`` and ``GET /patrons?q=[{"phone": …}, …]``.
- ``GET /checkouts?patron_id=…`` → checkouts (``checkout_id``, ``item_id``, ``due_date``,
  ``renewals_count``); ``GET /items?q={"item_id": [...]}`` with ``x-koha-embed: biblio`` for
  barcodes (``external_id``) and titles.
- ``GET /checkouts/{id}/allows_renewal`` → ``{allows_renewal, max_renewals,
  current_renewals, error}``, then ``POST /checkouts/{id}/renewal`` → 201 with the checkout,
  or 403 ``{"error": "Renewal not authorized (too_many)"}``.
- ``GET /patrons/{id}/account`` → ``{balance, outstanding_debits: {total, lines: [...]}}``.

Any failure to get an answer — refused connection, timeout, 5xx, a key Koha will not accept,
a body that is not the JSON expected — is :class:`LibraryUnavailable`.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from connectors._http import as_dict as _obj
from connectors._http import as_list as _list
from connectors._http import as_text as _text
from refbot.config import KohaSettings, Secret
from refbot.errors import LibraryUnavailable
from refbot.models import Account, Fine, LibraryPatron, Loan, Renewal

_REFUSAL = re.compile(r"\(([^)]+)\)\s*$")
_TOKEN_MARGIN = 60.0


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

    @property
    def api(self) -> str:
        """The REST API's base URL."""
        return f"{self._settings.base_url.rstrip('/')}/api/v1"

    # -- the port ----------------------------------------------------------------------------

    async def patron_by_card(self, cardnumber: str) -> LibraryPatron | None:
        """The patron holding ``cardnumber`` (exact match), or None."""
        _, found = await self._call("GET", "/patrons", params={"cardnumber": cardnumber, "_match": "exact"})
        patrons = [_patron(p) for p in _list(found)]
        return next((p for p in patrons if p.cardnumber.lower() == cardnumber.lower()), None)

    async def patrons_by_phone(self, phone: str) -> list[LibraryPatron]:
        """Patrons with this number as phone, mobile or SMS number, in any usual spelling."""
        query = [{field: variant} for variant in phone_variants(phone) for field in ("phone", "mobile", "sms_number")]
        _, found = await self._call("GET", "/patrons", params={"q": json.dumps(query)})
        return [_patron(p) for p in _list(found)]

    async def loans(self, patron_id: str) -> list[Loan]:
        """Current checkouts with barcodes and titles, soonest due first."""
        _, checkouts = await self._call("GET", "/checkouts", params={"patron_id": patron_id, "_per_page": "-1"})
        rows = [c for c in _list(checkouts) if isinstance(c, dict)]
        items = await self._items([c.get("item_id") for c in rows])
        loans = [_loan(c, items.get(_text(c.get("item_id")), {})) for c in rows]
        far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        return sorted(loans, key=lambda loan: loan.due or far)

    async def renew(self, loan: Loan) -> Renewal:
        """Check ``allows_renewal``, then renew; Koha's refusal code becomes ``reason``."""
        status, check = await self._call("GET", f"/checkouts/{loan.id}/allows_renewal", allow=(404,))
        if status == 404:
            return Renewal(False, reason="no_checkout")
        check = _obj(check)
        current, most = _int(check.get("current_renewals")), _int(check.get("max_renewals"))
        if check.get("allows_renewal") is not True:
            return Renewal(False, reason=_text(check.get("error")) or "not_allowed", renewals=current, max_renewals=most)
        status, body = await self._call("POST", f"/checkouts/{loan.id}/renewal", allow=(403, 404))
        if status == 201:
            renewed = _obj(body)
            return Renewal(True, due=_datetime(renewed.get("due_date")), renewals=_int(renewed.get("renewals_count")),
                           max_renewals=most)
        reason = _refusal(body) if status == 403 else "no_checkout"
        return Renewal(False, reason=reason, renewals=current, max_renewals=most)

    async def account(self, patron_id: str) -> Account:
        """The balance and the outstanding debit lines."""
        _, body = await self._call("GET", f"/patrons/{patron_id}/account")
        account = _obj(body)
        lines = _list(_obj(account.get("outstanding_debits")).get("lines"))
        fines = tuple(
            Fine(_text(line.get("description")) or _text(line.get("debit_type")) or "-",
                 _float(line.get("amount_outstanding")))
            for line in lines if isinstance(line, dict)
        )
        return Account(_float(account.get("balance")), fines)

    # -- HTTP ----------------------------------------------------------------------------------

    async def _items(self, item_ids: list[Any]) -> dict[str, dict[str, Any]]:
        ids = [i for i in item_ids if isinstance(i, int)]
        if not ids:
            return {}
        query = json.dumps({"item_id": ids})
        _, found = await self._call("GET", "/items", params={"q": query, "_per_page": "-1"},
                                    headers={"x-koha-embed": "biblio"})
        return {_text(i.get("item_id")): i for i in _list(found) if isinstance(i, dict)}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        allow: tuple[int, ...] = (),
    ) -> tuple[int, Any]:
        for fresh_token in (False, True):
            token = await self._access_token(fresh_token)
            status, body = await self._request(method, path, params, {**(headers or {}), "Authorization": f"Bearer {token}"})
            if status == 401 and not fresh_token:
                continue  # the token expired early or was revoked: fetch one more
            if 200 <= status < 300 or status in allow:
                return status, body
            raise LibraryUnavailable(f"Koha answered {method} {path} with HTTP {status}: {_refusal(body) or _text(_obj(body).get('error'))}")
        raise LibraryUnavailable("Koha refused refbot's token twice (check the API key's permissions)")

    async def _access_token(self, fresh: bool) -> str:
        if self._token and not fresh and self._clock() < self._token_until:
            return self._token
        if not self._client_id or not self._client_secret:
            raise LibraryUnavailable("REFBOT_KOHA_CLIENT_ID and REFBOT_KOHA_CLIENT_SECRET are not set")
        form = {"grant_type": "client_credentials", "client_id": self._client_id.get(),
                "client_secret": self._client_secret.get()}
        status, body = await self._request("POST", "/oauth/token", None, {}, form=form)
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
    ) -> tuple[int, Any]:
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
        except TimeoutError as e:
            raise LibraryUnavailable(f"Koha did not answer within {self._settings.timeout:g} s") from e
        except aiohttp.ClientError as e:
            raise LibraryUnavailable(f"cannot reach Koha: {e}") from e
        if status >= 500:
            raise LibraryUnavailable(f"Koha answered {method} {path} with HTTP {status}")
        try:
            return status, json.loads(raw) if raw else None
        except ValueError as e:
            raise LibraryUnavailable(f"Koha answered {method} {path} with something that is not JSON") from e


# --- shapes -------------------------------------------------------------------------------------


def phone_variants(phone: str) -> list[str]:
    """A WhatsApp number as Indonesian libraries write it: 62812…, +62812…, 0812…."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    variants = [digits, f"+{digits}"]
    if digits.startswith("62"):
        variants.append("0" + digits[2:])
    return variants


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
