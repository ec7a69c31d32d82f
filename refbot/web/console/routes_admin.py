"""For admins: the accounts, and the audit trail of who did what."""

from __future__ import annotations

from aiohttp import web

from refbot.web.console import accounts, consortium, queries
from refbot.web.console.state import console, current_account, deployment, redirect, render, services, texts


def _admin_only(request: web.Request) -> accounts.Account:
    account = current_account(request)
    if not account.is_admin:
        raise web.HTTPForbidden()
    return account


async def accounts_page(request: web.Request) -> web.Response:
    """Every account, and a form to add one."""
    _admin_only(request)
    done = request.query.get("done", "")
    flash = texts(request)("done_" + done) if done in ("added", "removed") else ""
    return await _accounts(request, flash=flash)


async def add_account(request: web.Request) -> web.Response:
    """Create an account from the form."""
    admin = _admin_only(request)
    form = await request.post()
    try:
        await accounts.add_account(
            services(request).store, str(form.get("username", "")), str(form.get("password", "")),
            name=str(form.get("name", ""))[:80], role=str(form.get("role", "librarian")), actor=admin.actor,
        )
    except accounts.AccountError as e:
        return await _accounts(request, error=str(e), status=400)
    return redirect(f"{console(request).prefix}/admin/accounts?done=added")


async def remove_account(request: web.Request) -> web.Response:
    """Delete an account (never one's own)."""
    admin = _admin_only(request)
    username = request.match_info["username"]
    if username == admin.username:
        return await _accounts(request, error=texts(request)("error_remove_self"), status=400)
    await accounts.remove_account(services(request).store, username, actor=admin.actor)
    return redirect(f"{console(request).prefix}/admin/accounts?done=removed")


async def audit_page(request: web.Request) -> web.Response:
    """The latest audit events."""
    _admin_only(request)
    svc = services(request)
    return render(request, "audit.html", events=await queries.audit_trail(svc.store, svc.settings))


async def _accounts(request: web.Request, *, flash: str = "", error: str = "", status: int = 200) -> web.Response:
    found = await accounts.list_accounts(services(request).store)
    return render(request, "accounts.html", status=status, accounts=found, flash=flash, error=error,
                  consortium_admins=await _consortium_admins(request, found))


async def _consortium_admins(request: web.Request, found: list[accounts.Account]) -> set[str]:
    """Which of the library's admins are consortium admins (an admin with one password in every library)."""
    if not console(request).in_consortium:
        return set()
    stores = [s.store for s in deployment(request).libraries.values()]
    return {a.username for a in found if a.is_admin and await consortium.is_admin(stores, a.username)}
