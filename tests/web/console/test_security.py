"""The console's safety: sign-in required, CSRF enforced, hostile text inert, no silent overwrite."""

from __future__ import annotations

import html
import re
import time

from refbot.decisions import drafts
from refbot.models import DraftStatus
from refbot.web.console.sessions import SESSION_COOKIE, SessionSigner
from tests.web.console.conftest import CONSOLE_SECRET, PASSWORD, ConsoleDesk, Librarian

QUESTION = "kak, saya cari buku tentang literasi informasi untuk skripsi"


async def test_every_page_needs_a_signed_in_account(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    stranger = await console.librarian("dewi", login=False)
    for path in ("/console/", f"/console/drafts/{draft.id}", f"/console/drafts/{draft.id}/history",
                 "/console/search?q=literasi", "/console/stats", "/console/stats.csv", "/console/admin/accounts",
                 "/console/admin/audit"):
        page = await stranger.get(path)
        assert page.status == 303, path
        assert page.headers["Location"].startswith("/console/login?next=%2Fconsole%2F"), path
    page = await stranger.post(f"/console/drafts/{draft.id}/approve", {"version": "1"}, csrf="anything")
    assert page.status == 403
    assert (await console.store.get_draft(draft.id)).status is DraftStatus.PENDING
    # The stylesheet and the sign-in form are the only things a stranger gets.
    assert (await stranger.get("/console/static/console.css")).status == 200
    assert (await stranger.get("/console/login")).status == 200


async def test_forged_expired_and_ended_sessions_are_refused(console: ConsoleDesk) -> None:
    dewi = await console.librarian("dewi")
    assert (await dewi.get("/console/")).status == 200
    valid = dewi.cookie(SESSION_COOKIE)

    async def with_cookie(value: str) -> int:
        other = await console.librarian("dewi", login=False)
        other.http.cookie_jar.update_cookies({SESSION_COOKIE: value})
        return (await other.get("/console/")).status

    other_secret = SessionSigner("not-the-secret").issue(1, 0)
    expired = SessionSigner(CONSOLE_SECRET, clock=lambda: time.time() - 13 * 3600).issue(1, 0)
    body, _, signature = valid.partition(".")
    assert await with_cookie(other_secret) == 303
    assert await with_cookie(expired) == 303
    assert await with_cookie(body[:-2] + "xx." + signature) == 303
    assert await with_cookie(valid) == 200
    # Signing out ends the session everywhere: the same cookie no longer opens anything.
    await dewi.post("/console/logout", {}, csrf=(await dewi.get("/console/")).csrf)
    assert await with_cookie(valid) == 303


async def test_state_changing_requests_need_the_sessions_csrf_token(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    dewi = await console.librarian("dewi")
    budi = await console.librarian("budi")
    budis_token = (await budi.get("/console/")).csrf
    path = f"/console/drafts/{draft.id}/remove"
    for csrf in (None, "", "forged", budis_token):
        page = await dewi.post(path, {"version": "1", "position": "1"}, csrf=csrf)
        assert page.status == 403, csrf
        assert "Formulir kedaluwarsa" in page.text or "Form" in page.text
    page = await dewi.post(f"/console/drafts/{draft.id}/approve", {"version": "1"}, csrf="forged")
    assert page.status == 403
    after = await console.store.get_draft(draft.id)
    assert after.version == 1 and after.status is DraftStatus.PENDING
    # A page from another site is refused even with the right token.
    token = (await dewi.get(f"/console/drafts/{draft.id}")).csrf
    page = await dewi.post(path, {"version": "1", "position": "1"}, csrf=token,
                           headers={"Origin": "https://evil.example"})
    assert page.status == 403
    # With its own token from its own page, the same request goes through.
    page = await dewi.post(path, {"version": "1", "position": "1"}, csrf=token)
    assert page.status == 303
    assert (await console.store.get_draft(draft.id)).version == 2


async def test_login_form_needs_its_token_and_failures_are_throttled(console: ConsoleDesk) -> None:
    mallory = await console.librarian("dewi", login=False)
    page = await mallory.post("/console/login", {"username": "dewi", "password": PASSWORD})
    assert page.status == 403
    form = await mallory.get("/console/login")
    for _ in range(5):
        page = await mallory.post("/console/login", {"username": "dewi", "password": "salah-salah-salah"},
                                  csrf=form.csrf)
        assert page.status == 401
        assert "Nama pengguna atau kata sandi salah" in page.text
    page = await mallory.post("/console/login", {"username": "dewi", "password": PASSWORD}, csrf=form.csrf)
    assert page.status == 429
    assert "Terlalu banyak percobaan" in page.text
    assert not mallory.cookie(SESSION_COOKIE)
    # Another librarian is not locked out by the attack on Dewi's account.
    budi = await console.librarian("budi")
    assert (await budi.get("/console/")).status == 200
    kinds = [e["kind"] for e in await console.store.events("account:dewi")]
    assert kinds.count("login_failed") == 5


async def test_sign_in_never_redirects_off_the_console(console: ConsoleDesk) -> None:
    person = Librarian(console.url, "dewi")
    try:
        for evil in ("https://evil.example/", "//evil.example/console/", "/\\evil.example", "/sandbox/"):
            form = await person.get("/console/login", next=evil)
            page = await person.post("/console/login", {"username": "dewi", "password": PASSWORD, "next": evil},
                                     csrf=form.csrf)
            assert page.status == 303
            assert page.headers["Location"] == "/console/", evil
    finally:
        await person.close()


async def test_hostile_patron_text_is_escaped_on_every_page(console: ConsoleDesk) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> "quoted" & javascript:alert(1) literasi'
    draft = await console.question(hostile)
    dewi = await console.librarian("dewi")
    for path in ("/console/", f"/console/drafts/{draft.id}", f"/console/drafts/{draft.id}/history"):
        page = await dewi.get(path)
        assert page.status == 200
        assert "<script>" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
        assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert page.headers["X-Content-Type-Options"] == "nosniff"


async def test_html_and_javascript_links_from_marc_fields_are_inert(hostile_console: ConsoleDesk) -> None:
    draft = await hostile_console.question("literasi informasi")
    dewi = await hostile_console.librarian("dewi")
    for page in (await dewi.get(f"/console/drafts/{draft.id}"), await dewi.get("/console/search", q="literasi"),
                 await dewi.get(f"/console/drafts/{draft.id}", q="literasi")):
        assert page.status == 200
        assert "&lt;script&gt;alert(&#34;marc&#34;)&lt;/script&gt;Literasi &lt;b&gt;informasi&lt;/b&gt;" in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;Penulis" in page.text
        assert "<script" not in page.text and "<iframe" not in page.text and "<img src=x" not in page.text
        assert not re.search(r"href=[\"']?\s*javascript:", page.text, re.IGNORECASE)


async def test_second_librarian_on_a_changed_draft_gets_the_current_version(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    titles = [r.candidate.title for r in draft.items]
    dewi = await console.librarian("dewi")
    budi = await console.librarian("budi")
    dewis_page = await dewi.get(f"/console/drafts/{draft.id}")
    budis_page = await budi.get(f"/console/drafts/{draft.id}")

    page = await budi.post(f"/console/drafts/{draft.id}/remove", {"version": "1", "position": "1"},
                           csrf=budis_page.csrf)
    assert page.status == 303
    # Dewi still looks at version 1 and removes item 2 of what she sees: refused, not applied.
    page = await dewi.post(f"/console/drafts/{draft.id}/remove", {"version": "1", "position": "2"},
                           csrf=dewis_page.csrf)
    assert page.status == 409
    assert "Budi lebih dulu mengubah draf" in page.text and "versi 2" in page.text
    assert "Perubahan Anda tidak diterapkan" in page.text
    assert 'name="version" value="2"' in page.text  # the page now offers the current version
    current = await console.store.get_draft(draft.id)
    assert current.version == 2 and [r.candidate.title for r in current.items] == titles[1:]

    # Approving what she has not seen is refused too; approving the current version works.
    page = await dewi.post(f"/console/drafts/{draft.id}/approve", {"version": "1"}, csrf=dewis_page.csrf)
    assert page.status == 409
    assert (await console.store.get_draft(draft.id)).status is DraftStatus.PENDING
    page = await dewi.post(f"/console/drafts/{draft.id}/approve", {"version": "2", "effort": "2"},
                           csrf=dewis_page.csrf)
    assert page.status == 303
    # Budi, a step behind, is told who decided; nothing is sent twice.
    page = await budi.post(f"/console/drafts/{draft.id}/reject", {"version": "2", "reply": "maaf"},
                           csrf=budis_page.csrf)
    assert page.status == 409
    assert "Dewi lebih dulu mengubah draf" in page.text
    assert (await console.store.get_draft(draft.id)).status in (DraftStatus.APPROVED, DraftStatus.SENT)
    assert [e["kind"] for e in await console.store.events(f"draft:{draft.id}") if e["kind"] == "reject"] == []


async def test_whatsapp_and_console_race_safely(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}")
    await drafts.approve(console.store, draft.id, "6281300000002")  # Budi presses Approve on WhatsApp
    page = await dewi.post(f"/console/drafts/{draft.id}/remove", {"version": "1", "position": "1"}, csrf=page.csrf)
    assert page.status == 409
    assert "Budi lebih dulu" in page.text


async def test_only_admins_manage_accounts_and_read_the_audit_trail(console: ConsoleDesk) -> None:
    dewi = await console.librarian("dewi")
    admin = await console.librarian("admin")
    token = (await dewi.get("/console/")).csrf
    assert (await dewi.get("/console/admin/accounts")).status == 403
    assert (await dewi.get("/console/admin/audit")).status == 403
    page = await dewi.post("/console/admin/accounts", {"username": "eve", "password": "x" * 12, "role": "admin"},
                           csrf=token)
    assert page.status == 403
    page = await admin.get("/console/admin/accounts")
    assert page.status == 200
    page = await admin.post("/console/admin/accounts", {"username": "sari", "name": "Sari", "password": "sandi-panjang-1",
                                                        "role": "librarian"}, csrf=page.csrf, follow=True)
    assert page.status == 200 and "sari" in page.text
    page = await admin.post("/console/admin/accounts/budi/remove", {}, csrf=page.csrf, follow=True)
    assert "budi" not in re.findall(r'class="mono">([^<]+)<', page.text)
    audit = await admin.get("/console/admin/audit")
    assert "menambah akun" in audit.text and "menghapus akun" in audit.text


async def test_only_search_results_the_server_handed_out_can_be_added(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    dewi = await console.librarian("dewi")
    page = await dewi.get(f"/console/drafts/{draft.id}", q="manajemen perpustakaan")
    forms = re.findall(r'name="candidate" value="([^"]+)">\s*<input type="hidden" name="signature" value="([^"]+)"',
                       page.text)
    assert forms
    token, signature = html.unescape(forms[-1][0]), html.unescape(forms[-1][1])
    forged = token.replace('"title":"', '"title":"<b>Palsu</b> ', 1)
    assert forged != token
    page = await dewi.post(f"/console/drafts/{draft.id}/add",
                           {"version": "1", "candidate": forged, "signature": signature}, csrf=page.csrf)
    assert page.status == 400
    assert "bukan hasil pencarian yang sah" in page.text
    assert (await console.store.get_draft(draft.id)).version == 1
    page = await dewi.post(f"/console/drafts/{draft.id}/add",
                           {"version": "1", "candidate": token, "signature": signature}, csrf=page.csrf)
    assert page.status == 303
    after = await console.store.get_draft(draft.id)
    assert after.version == 2 and after.items[-1].score.parts == (("librarian", 0.0),)


async def test_numbers_too_big_or_not_ascii_are_not_found_never_a_500(console: ConsoleDesk) -> None:
    draft = await console.question(QUESTION)
    dewi = await console.librarian("dewi")
    csrf = (await dewi.get("/console/")).csrf
    for huge in ("9223372036854775808", "99999999999999999999999999", "9" * 5000):
        for path in (f"/console/drafts/{huge}", f"/console/drafts/{huge}/history"):
            page = await dewi.get(path)
            assert page.status == 404, path[:40]
            assert "Content-Security-Policy" in page.headers
        page = await dewi.post(f"/console/drafts/{huge}/approve", {"version": "1"}, csrf=csrf)
        assert page.status == 404
    assert (await dewi.get("/console/drafts/%D9%A3")).status == 404  # an Arabic-Indic three is not draft 3
    # A form or a link with an impossible number is refused or ignored, not a crash.
    for version in ("9223372036854775808", "²", "١"):
        page = await dewi.post(f"/console/drafts/{draft.id}/approve", {"version": version}, csrf=csrf)
        assert page.status == 400, version
    assert (await console.store.get_draft(draft.id)).status is DraftStatus.PENDING
    for query in ({"done": "approved", "draft": "²"}, {"done": "approved", "draft": "9" * 5000}):
        assert (await dewi.get("/console/", **query)).status == 200
    assert (await dewi.get("/console/stats", days="²")).status == 200
