"""``GET /verify/<code>``: is this clearance letter genuine?

Anyone holding a letter (a faculty office, the graduation committee) scans its QR code or
types its code. A code refbot issued shows the letter's number, date, holder and card; any
other code — forged, mistyped, or never approved — gets a 404 page saying the letter is not
one of the library's. ``Accept: application/json`` gets the same as JSON.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable

from aiohttp import web

from refbot.config import Settings
from refbot.services.dates import library_zone, long_date
from refbot.store import Store

_NOT_CODE = re.compile(r"[^A-Z0-9]")


def setup_verify(app: web.Application, libraries: Callable[[], list[tuple[Store, Settings]]],
                 settings: Settings) -> None:
    """Add ``GET /verify/{code}`` to ``app``; ``libraries`` gives each library's store and settings once open.

    A letter is looked for in every library's store (codes are random, so one is never in two),
    and shown with the settings of the library that issued it.
    """

    async def verify(request: web.Request) -> web.Response:
        code = normalise_code(request.match_info.get("code", ""))
        for store, own in libraries() if code else []:
            if await store.issued_letter(code) is not None:
                return await verify_letter(request, store, own)
        return await verify_letter(request, libraries()[0][0], settings)

    app.router.add_get("/verify/{code}", verify)


async def verify_letter(request: web.Request, store: Store, settings: Settings) -> web.Response:
    """The verification page (or JSON) for one code."""
    code = normalise_code(request.match_info.get("code", ""))
    row = await store.issued_letter(code) if code else None
    wants_json = "application/json" in request.headers.get("Accept", "")
    if row is None:
        if wants_json:
            return web.json_response({"genuine": False, "code": code}, status=404)
        return _page(settings, False, [], 404)
    issued = datetime.datetime.fromtimestamp(row.issued_at, datetime.UTC)
    facts = {
        "number": row.number, "name": row.name, "cardnumber": row.cardnumber,
        "issued": long_date(issued, "id", library_zone(settings)), "code": row.code,
    }
    if wants_json:
        return web.json_response({"genuine": True, "valid": not row.replaced_by, "replaced_by": row.replaced_by,
                                  "replaces": row.replaces, **facts})
    labels = [("Nomor / Number", facts["number"]), ("Nama / Name", facts["name"]),
              ("No. anggota / Card", facts["cardnumber"]), ("Tanggal / Date", facts["issued"]),
              ("Kode / Code", facts["code"])]
    if row.replaces:
        labels.append(("Menggantikan / Replaces", row.replaces))
    if row.replaced_by:
        labels.append(("Diganti dengan / Replaced by", row.replaced_by))
    return _page(settings, True, labels, 200, replaced_by=row.replaced_by)


def normalise_code(raw: str) -> str:
    """``k7qm 2xwd-9rta`` → ``K7QM-2XWD-9RTA``; anything not 12 letters/digits → ''."""
    plain = _NOT_CODE.sub("", raw.upper())
    if len(plain) != 12:
        return ""
    return "-".join(plain[i:i + 4] for i in range(0, 12, 4))


def _page(settings: Settings, genuine: bool, facts: list[tuple[str, str]], status: int,
          replaced_by: str = "") -> web.Response:
    library = html.escape(settings.letters.library_name)
    if genuine and replaced_by:
        verdict = (f"⚠️ Surat ini asli, tetapi sudah DIGANTI dengan surat Nomor {replaced_by} dan TIDAK BERLAKU lagi. "
                   f"/ This letter is genuine but was REPLACED by letter No. {replaced_by} and is NO LONGER VALID.")
    elif genuine:
        verdict = "✅ Surat keterangan bebas pustaka ini ASLI. / This clearance letter is genuine."
    else:
        verdict = ("❌ Kode ini tidak cocok dengan surat mana pun yang kami terbitkan: surat ini TIDAK ASLI. "
                   "/ This code matches no letter we issued: the letter is NOT genuine.")
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts)
    body = (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Verifikasi surat · {library}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
        "th{text-align:left;padding-right:1rem}.ok{color:#166534}.no{color:#991b1b}</style></head><body>"
        f"<h1>{library}</h1><p class='{'ok' if genuine else 'no'}'><strong>{html.escape(verdict)}</strong></p>"
        f"<table>{rows}</table></body></html>"
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
