"""The consortium page at ``/console``: every library's console, and for consortium admins the consortium's figures.

Only in a deployment with ``libraries:``; each library's console is at ``/console/<id>``. The
list of libraries is for anyone (it is where they find their sign-in page). The figures are
for a consortium admin (:mod:`refbot.web.console.consortium`), who proves it with a
*consortium pass*: a cookie for ``/console`` handed out when they sign in at any library's
console, holding that library's id and a token signed with a key of that library's own
(derived from ``REFBOT_CONSOLE_SECRET``, separate from its session key: a pass never opens a
console) naming the account and its session epoch. Signing out there ends the pass too, and
the page checks on every visit that the account is still a consortium admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from refbot.services.dates import library_zone
from refbot.web.console import charts, consortium, stats
from refbot.web.console.accounts import Account
from refbot.web.console.routes_stats import DAY_CHOICES, chosen_days
from refbot.web.console.sessions import SessionSigner
from refbot.web.console.state import PREFIX, console, deployment, render

PASS_COOKIE = "refbot_consortium"


@dataclass(frozen=True)
class Member:
    """One library of the consortium, as the consortium page links to it."""

    id: str
    name: str
    prefix: str
    pass_signer: SessionSigner | None  # None: no REFBOT_CONSOLE_SECRET


@dataclass(frozen=True)
class Consortium:
    """The libraries, in the order of the configuration."""

    members: tuple[Member, ...]

    def member(self, library_id: str) -> Member | None:
        """The library ``library_id``, if it is one of the consortium's."""
        return next((m for m in self.members if m.id == library_id), None)


CONSORTIUM = web.AppKey("consortium", Consortium)


@dataclass(frozen=True)
class Row:
    """One line of the consortium's table: a library's figures, or (``member`` None) all of them."""

    member: Member | None
    figures: stats.Statistics

    @property
    def outcomes(self) -> dict[str, int]:
        """Decided drafts by outcome."""
        return dict(self.figures.outcomes)


async def consortium_page(request: web.Request) -> web.Response:
    """The libraries; for a consortium admin also each library's figures and the consortium's total."""
    members = request.config_dict[CONSORTIUM].members
    holder = await pass_holder(request)
    days = chosen_days(request)
    if holder is None:
        return render(request, "consortium.html", members=members, holder=None, days=days, day_choices=DAY_CHOICES)
    now = console(request).clock()
    libraries = deployment(request).libraries
    rows = [Row(m, await stats.gather(libraries[m.id].store, days, now, library_zone(libraries[m.id].settings)))
            for m in members]
    total = Row(None, stats.combine([row.figures for row in rows]))
    decided = sum(total.outcomes.values())
    return render(
        request, "consortium.html", members=members, holder=holder, days=days, day_choices=DAY_CHOICES,
        rows=rows, total=total, per_day=charts.column_chart(total.figures.per_day, height=210),
        outcomes=charts.share_bar(total.figures.outcomes),
        unchanged_share=f"{round(100 * total.outcomes['unchanged'] / decided)} %" if decided else "—",
        tick=_tick,
    )


async def hand_pass(request: web.Request, response: web.StreamResponse, account: Account) -> None:
    """After a sign-in at a library's console: a consortium admin also gets the pass for ``/console``."""
    state = console(request)
    if state.consortium_pass is None or not account.is_admin:
        return
    if not await consortium.is_admin([s.store for s in deployment(request).libraries.values()], account.username):
        return
    value = f"{state.library_id}:{state.consortium_pass.issue(account.id, account.session_epoch)}"
    response.set_cookie(PASS_COOKIE, value, path=PREFIX, max_age=int(state.consortium_pass.lifetime), httponly=True,
                        samesite="Lax", secure=state.secure_cookies(request))


async def pass_holder(request: web.Request) -> tuple[Member, Account] | None:
    """The library and consortium admin whose valid pass came with ``request``; None without one."""
    library, _, token = request.cookies.get(PASS_COOKIE, "").partition(":")
    member = request.config_dict[CONSORTIUM].member(library)
    session = member.pass_signer.read(token) if member and member.pass_signer else None
    if member is None or session is None:
        return None
    libraries = deployment(request).libraries
    account = await libraries[member.id].store.account_by_id(session.account_id)
    if account is None or account.session_epoch != session.epoch:
        return None
    if not await consortium.is_admin([s.store for s in libraries.values()], account.username):
        return None
    return member, account


def _tick(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
