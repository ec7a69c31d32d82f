"""The Koha connector against the Koha stand-in over HTTP: token, shapes, renewals, failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from connectors._phones import normalise_phone, phone_pattern, phone_variants, same_phone
from connectors.koha.library import KohaLibrary
from refbot.config import KohaSettings, Secret
from refbot.errors import LibraryUnavailable
from refbot.sandbox.koha import KOHA_STATE, KohaCheckout, KohaState, create_koha_standin
from tests.conftest import free_port, serve


@dataclass
class Koha:
    url: str
    state: KohaState
    http: aiohttp.ClientSession

    def library(self, secret: str = "s3cret", **settings: object) -> KohaLibrary:
        koha = KohaSettings(enabled=True, base_url=self.url, **settings)  # type: ignore[arg-type]
        return KohaLibrary(koha, Secret("refbot"), Secret(secret), self.http)

    def token_requests(self) -> int:
        return sum(call.endswith("/oauth/token") for call in self.state.calls)


@pytest.fixture
async def koha() -> AsyncIterator[Koha]:
    app = create_koha_standin("refbot", "s3cret")
    runner, url = await serve(app)
    async with aiohttp.ClientSession() as http:
        yield Koha(url, app[KOHA_STATE], http)
    await runner.cleanup()


async def test_patrons_by_card_and_by_phone_in_any_spelling(koha: Koha) -> None:
    library = koha.library()
    siti = await library.patron_by_card("2100001")
    assert siti is not None and (siti.id, siti.name) == ("1", "Siti Rahmawati")
    assert await library.patron_by_card("210000") is None  # exact, not "contains"
    # Koha stores 081200000001, +6281200000002 and 6281200000004; WhatsApp says 62…
    for phone, patron_id in (("6281200000001", "1"), ("6281200000002", "2"), ("6281200000004", "4")):
        assert [p.id for p in await library.patrons_by_phone(phone)] == [patron_id]
    assert await library.patrons_by_phone("6281299999999") == []


async def test_loans_carry_barcodes_titles_and_due_dates(koha: Koha) -> None:
    loans = await koha.library().loans("1")
    assert [loan.barcode for loan in loans] == ["B0003", "B0002", "B0001"]  # soonest due first
    assert loans[0].title == "Pengantar ilmu perpustakaan" and loans[0].due is not None
    assert loans[0].due.tzinfo is not None and loans[0].renewals == 0
    assert await koha.library().loans("2") == []


async def test_renewal_succeeds_with_a_new_due_date(koha: Koha) -> None:
    library = koha.library()
    loan = next(loan for loan in await library.loans("1") if loan.barcode == "B0001")
    renewal = await library.renew(loan)
    assert renewal.renewed and renewal.renewals == 1 and renewal.max_renewals == 2
    assert renewal.due is not None and loan.due is not None and renewal.due > loan.due


@pytest.mark.parametrize(("patron", "barcode", "reason"), [
    ("1", "B0002", "on_reserve"), ("1", "B0003", "overdue"), ("4", "B0005", "too_many"),
])
async def test_refused_renewals_carry_kohas_reason(koha: Koha, patron: str, barcode: str, reason: str) -> None:
    library = koha.library()
    loan = next(loan for loan in await library.loans(patron) if loan.barcode == barcode)
    renewal = await library.renew(loan)
    assert (renewal.renewed, renewal.reason) == (False, reason)


async def test_a_403_from_the_renewal_itself_is_read_too(koha: Koha) -> None:
    # allows_renewal said yes, then a hold was placed before the POST: Koha answers 403.
    async with koha.http.post(f"{koha.url}/api/v1/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "refbot", "client_secret": "s3cret"}) as resp:
        token = (await resp.json())["access_token"]
    koha.state.items[1].on_hold = True
    async with koha.http.post(f"{koha.url}/api/v1/checkouts/11/renewal",
                              headers={"Authorization": f"Bearer {token}"}) as resp:
        assert resp.status == 403
        assert await resp.json() == {"error": "Renewal not authorized (on_reserve)"}


async def test_account_balance_and_lines(koha: Koha) -> None:
    account = await koha.library().account("1")
    assert account.balance == 4000.0
    assert [(f.description, f.amount) for f in account.fines] == [
        ("Denda keterlambatan: Pengantar ilmu perpustakaan", 4000.0)]
    assert (await koha.library().account("2")).balance == 0


async def test_the_token_is_kept_and_fetched_again_when_refused(koha: Koha) -> None:
    library = koha.library()
    await library.patron_by_card("2100001")
    await library.loans("1")
    assert koha.token_requests() == 1
    koha.state.tokens.clear()  # Koha forgot it (restart, revocation)
    assert await library.patron_by_card("2100001") is not None
    assert koha.token_requests() == 2


async def test_a_wrong_api_key_is_unavailable_with_the_reason(koha: Koha) -> None:
    with pytest.raises(LibraryUnavailable, match="refused refbot's API key"):
        await koha.library(secret="wrong").patron_by_card("2100001")


@pytest.mark.parametrize("fault", [{"down": True}, {"status": 500, "times": 3}])
async def test_koha_failing_is_unavailable(koha: Koha, fault: dict[str, object]) -> None:
    async with koha.http.post(f"{koha.url}/_control", json=fault) as resp:
        assert resp.status == 200
    with pytest.raises(LibraryUnavailable):
        await koha.library().loans("1")


async def test_koha_not_listening_or_too_slow_is_unavailable(koha: Koha) -> None:
    async with aiohttp.ClientSession() as http:
        nobody = KohaLibrary(KohaSettings(base_url=f"http://127.0.0.1:{free_port()}"), Secret("a"), Secret("b"), http)
        with pytest.raises(LibraryUnavailable, match="cannot reach Koha"):
            await nobody.loans("1")
    async with koha.http.post(f"{koha.url}/_control", json={"delay": 1.0}) as resp:
        assert resp.status == 200
    with pytest.raises(LibraryUnavailable, match="did not answer within"):
        await koha.library(timeout=0.2).loans("1")


async def test_unconfigured_koha_is_unavailable(koha: Koha) -> None:
    with pytest.raises(LibraryUnavailable, match=r"koha\.base_url"):
        await KohaLibrary(KohaSettings(), Secret("a"), Secret("b"), koha.http).loans("1")
    with pytest.raises(LibraryUnavailable, match="REFBOT_KOHA_CLIENT_ID"):
        await KohaLibrary(KohaSettings(base_url=koha.url), Secret(""), Secret(""), koha.http).loans("1")


async def test_the_standin_requires_a_token(koha: Koha) -> None:
    async with koha.http.get(f"{koha.url}/api/v1/patrons") as resp:
        assert resp.status == 401 and await resp.json() == {"error": "Authentication failure."}


def test_phone_variants_cover_how_indonesian_numbers_are_written() -> None:
    assert phone_variants("6281234567890") == ["6281234567890", "+6281234567890", "081234567890"]
    assert phone_variants("+62 812-3456-7890") == phone_variants("0812 3456 7890") == phone_variants("6281234567890")
    assert phone_pattern("6281234567890") == "%8%1%2%3%4%5%6%7%8%9%0%"
    for written in ("0812-3456-7890", "0812 3456 7890", "+62 812 3456 7890", "+62 (0)812-3456-7890",
                    "(0812) 3456.7890", "62-812-3456-7890", "0062 812 3456 7890", "6281234567890"):
        assert normalise_phone(written) == "6281234567890", written
        assert same_phone("6281234567890", written), written
    assert not same_phone("6281234567890", "0812-3456-78901")
    assert not same_phone("6281234567890", "")
    assert phone_variants("") == [] and phone_pattern("") == ""


async def control(koha: Koha, **fault: object) -> None:
    async with koha.http.post(f"{koha.url}/_control", json=fault) as resp:
        assert resp.status == 200


async def token(koha: Koha) -> str:
    async with koha.http.post(f"{koha.url}/api/v1/oauth/token", data={
            "grant_type": "client_credentials", "client_id": "refbot", "client_secret": "s3cret"}) as resp:
        return str((await resp.json())["access_token"])


# --- 13: renewals from WhatsApp are unseen -------------------------------------------------------


async def test_a_renewal_is_sent_as_unseen(koha: Koha) -> None:
    library = koha.library()
    loan = next(loan for loan in await library.loans("1") if loan.barcode == "B0001")
    assert (await library.renew(loan)).renewed
    assert [(r.checkout_id, r.seen) for r in koha.state.renewals] == [(11, False)]
    assert koha.state.checkouts[11].unseen_renewals == 1
    # and Koha lists it so: GET /checkouts/11/renewals
    async with koha.http.get(f"{koha.url}/api/v1/checkouts/11/renewals",
                             headers={"Authorization": f"Bearer {await token(koha)}"}) as resp:
        assert [r["seen"] for r in await resp.json()] == [False]


async def test_the_standin_takes_seen_as_a_query_parameter_like_koha(koha: Koha) -> None:
    auth = {"Authorization": f"Bearer {await token(koha)}"}
    async with koha.http.post(f"{koha.url}/api/v1/checkouts/11/renewal", json={"seen": 0}, headers=auth) as resp:
        assert resp.status == 201  # a body is not where Koha reads it: absent means seen
    async with koha.http.post(f"{koha.url}/api/v1/checkouts/11/renewal?seen=0", headers=auth) as resp:
        assert resp.status == 201 and (await resp.json())["unseen_renewals"] == 1
    assert [r.seen for r in koha.state.renewals] == [True, False]
    async with koha.http.post(f"{koha.url}/api/v1/checkouts/11/renewal?seen=0&unseen=1", headers=auth) as resp:
        assert resp.status == 400
        assert await resp.json() == [{"path": "/query/unseen", "message": "Malformed query string"}]


async def test_an_older_koha_without_seen_still_renews(koha: Koha) -> None:
    await control(koha, legacy=True)
    library = koha.library()
    loan = next(loan for loan in await library.loans("1") if loan.barcode == "B0001")
    assert (await library.renew(loan)).renewed
    assert [r.seen for r in koha.state.renewals] == [True]  # that Koha has no unseen renewals
    assert koha.state.calls.count("POST /api/v1/checkouts/11/renewal") == 2  # seen=0 refused, then without
    loan = next(loan for loan in await library.loans("1") if loan.barcode == "B0001")
    assert (await library.renew(loan)).renewed
    assert koha.state.calls.count("POST /api/v1/checkouts/11/renewal") == 3  # remembered: asked once more


# --- 14: older Koha: no q or embed on /items, no _per_page=-1 --------------------------------------


async def test_loans_on_an_older_koha_fall_back_to_one_item_at_a_time(koha: Koha) -> None:
    await control(koha, legacy=True)
    library = koha.library()
    loans = await library.loans("1")
    assert [(loan.barcode, loan.title) for loan in loans] == [
        ("B0003", "Pengantar ilmu perpustakaan"),
        ("B0002", "Metodologi penelitian kualitatif"),
        ("B0001", "Literasi informasi di perguruan tinggi"),
    ]
    assert {"GET /api/v1/items/1", "GET /api/v1/biblios/101"} <= set(koha.state.calls)
    koha.state.calls.clear()
    assert len(await library.loans("1")) == 3
    assert "GET /api/v1/items" not in koha.state.calls  # detected once, not asked again


async def test_loans_on_a_koha_without_the_biblio_embed_ask_for_titles(koha: Koha) -> None:
    koha.state.items_embed_biblio = False
    library = koha.library()
    for _ in range(2):
        loans = await library.loans("1")
        assert {loan.title for loan in loans} >= {"Pengantar ilmu perpustakaan", "Literasi informasi di perguruan tinggi"}
    assert koha.state.calls.count("GET /api/v1/items") == 3  # refused once, then without the embed
    assert "GET /api/v1/biblios/101" in koha.state.calls


async def test_the_older_standin_refuses_what_older_koha_did_not_know(koha: Koha) -> None:
    await control(koha, legacy=True)
    auth = {"Authorization": f"Bearer {await token(koha)}"}
    async with koha.http.get(f"{koha.url}/api/v1/items", params={"q": '{"item_id": [1]}'}, headers=auth) as resp:
        assert resp.status == 400
        assert await resp.json() == [{"path": "/query/q", "message": "Malformed query string"}]
    async with koha.http.get(f"{koha.url}/api/v1/checkouts", params={"patron_id": "1", "_per_page": "-1"},
                             headers=auth) as resp:
        assert resp.status == 500
    async with koha.http.get(f"{koha.url}/api/v1/items", params={"external_id": "B0001"},
                             headers={**auth, "x-koha-embed": "biblio"}) as resp:
        assert resp.status == 200 and "biblio" not in (await resp.json())[0]


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "older"])
async def test_many_loans_are_read_page_by_page(koha: Koha, legacy: bool) -> None:
    await control(koha, legacy=legacy)
    now = koha.state.clock()
    for n in range(30):  # more than Koha's default page of 20; all on item 4
        koha.state.checkouts[100 + n] = KohaCheckout(100 + n, 2, 4, now, now)
    loans = await koha.library().loans("2")
    assert len(loans) == 30 and {loan.barcode for loan in loans} == {"B0004"}
    assert {loan.title for loan in loans} == {"Information literacy: a practical guide"}


async def test_the_standin_pages_like_koha(koha: Koha) -> None:
    auth = {"Authorization": f"Bearer {await token(koha)}"}
    now = koha.state.clock()
    for n in range(30):
        koha.state.checkouts[100 + n] = KohaCheckout(100 + n, 2, 4, now, now)
    for params, count in (({}, 20), ({"_page": "2"}, 10), ({"_per_page": "-1"}, 30), ({"_per_page": "25"}, 25)):
        async with koha.http.get(f"{koha.url}/api/v1/checkouts", params={"patron_id": "2", **params},
                                 headers=auth) as resp:
            assert resp.status == 200 and resp.headers["X-Total-Count"] == "30"
            assert len(await resp.json()) == count, params


# --- 15: phone numbers however the library wrote them ---------------------------------------------


@pytest.mark.parametrize("written", ["0812-3456-7890", "0812 3456 7890", "+62 812 3456 7890", "+62 (0)812.3456.7890",
                                     "081234567890", "6281234567890"])
@pytest.mark.parametrize("field", ["phone", "mobile", "sms_number"])
async def test_patrons_by_phone_match_numbers_written_with_separators(koha: Koha, written: str, field: str) -> None:
    setattr(koha.state.patrons[3], field, written)
    koha.state.calls.clear()
    assert [p.id for p in await koha.library().patrons_by_phone("6281234567890")] == ["3"]
    assert koha.state.calls.count("GET /api/v1/patrons") == 1  # one query, however it was written


async def test_a_looser_match_in_koha_is_not_taken_for_the_number(koha: Koha) -> None:
    koha.state.patrons[3].mobile = "0812-3456-78901"  # the pattern matches, the digits do not
    koha.state.patrons[2].phone = "0812 3456 7890"
    assert [p.id for p in await koha.library().patrons_by_phone("+62 812-3456-7890")] == ["2"]
