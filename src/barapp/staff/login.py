"""Logging a bartender in and out, with guessing slowed down per account and address.

Failures count per (account, address), never per account alone: a stranger failing at
"marie" from elsewhere must not lock marie out of her own tablet. After `FREE_TRIES` wrong
passwords for one account from one address, each new try from there waits, twice as long after
each failure (2 s, 4 s, 8 s... up to `WINDOW`); `PER_ADDRESS` failures from one address, all
names together, make that address wait out the window. Successful logins and
`barapp bartender set-password` clear the account's failures."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from barapp.staff import accounts
from barapp.store import db
from barapp.store.tables import LoginFailure
from barapp.web import drafts, sessions
from barapp.web.rendering import page
from barapp.web.requests import Form, client_ip, safe_path

WINDOW = timedelta(minutes=15)
# Enough for fumbled fingers on a tablet; then the doubling waits allow about a dozen guesses
# per quarter of an hour, far too few for a password of 10+ characters.
FREE_TRIES = 3
PER_ADDRESS = 20


@get("/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], next: FromQuery[str] = "/bar") -> Template:
    name = drafts.take(request, "name")
    return page(request, "login.html", next=safe_path(next, "/bar"), name=name)


# Refused for a stale page, the name waits in the form (never the password: web/drafts.py).
@post(
    "/login",
    include_in_schema=False,
    status_code=200,
    opt={drafts.FORM_PAGE: "/login", drafts.DRAFT: "name"},
)
async def login_submit(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    # Stripped again after the cut: the throttle must count "marie", "marie   x"[:50] and
    # "marie\t" as the one account they log into.
    name = data.get("name", "").strip()[:50].strip()
    password = data.get("password", "")
    target = safe_path(data.get("next"), "/bar")
    # The attempt is written BEFORE the password is checked (0.1 s): counted afterwards,
    # thirty simultaneous guesses would all pass the limit.
    attempt = LoginFailure(name=name.lower()[:50], ip=client_ip(request))

    async def record() -> None:
        # Only the last WINDOW counts: older attempts go, so the table stays small.
        await LoginFailure.delete().where(LoginFailure.at < datetime.now(UTC) - WINDOW)
        await LoginFailure.insert(attempt)

    await db.write(record)
    wait = await _throttled(attempt)
    if wait:
        # A refused try is no failure: waiting it out is all it takes, not waiting more.
        await db.write(lambda: LoginFailure.delete().where(LoginFailure.id == attempt.id))
        seconds = math.ceil(wait.total_seconds())
        headers = {"Retry-After": str(seconds)}
        return page(
            request, "login.html", 429, next=target, name=name, wait=seconds, headers=headers
        )
    bartender = await accounts.authenticate(name, password)
    if bartender is None:
        return page(request, "login.html", 400, next=target, name=name, error="wrong")
    await db.write(lambda: LoginFailure.delete().where(_pair(attempt)))
    cookie = await sessions.login(request, bartender)
    response = Redirect(target, status_code=303)
    response.headers["Set-Cookie"] = cookie
    return response


@post("/logout", include_in_schema=False, status_code=200)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    cookie = await sessions.logout(request)
    response = Redirect("/cocktails", status_code=303)
    response.headers["Set-Cookie"] = cookie
    return response


def _pair(attempt: LoginFailure) -> Any:
    return (LoginFailure.name == attempt.name) & (LoginFailure.ip == attempt.ip)


async def _throttled(attempt: LoginFailure) -> timedelta | None:
    """How long this address must wait before trying this account, or None. The failures
    counted are every other attempt in the window, simultaneous ones still being checked
    included: of a burst of guesses, only the first `FREE_TRIES` reach a password check."""
    now = datetime.now(UTC)
    since = now - WINDOW
    recent = (LoginFailure.at > since) & (LoginFailure.id != attempt.id)
    earlier = await (
        LoginFailure.select(LoginFailure.at)
        .where(recent & _pair(attempt))
        .order_by(LoginFailure.at)
    )
    if len(earlier) >= FREE_TRIES:
        doubling = timedelta(seconds=2 ** min(len(earlier) - FREE_TRIES + 1, 10))
        latest: datetime = earlier[-1]["at"]
        wait = latest + min(doubling, WINDOW) - now
        if wait > timedelta(0):
            return wait
    if not attempt.ip:
        return None
    from_address = await (
        LoginFailure.select(LoginFailure.at)
        .where(recent & (LoginFailure.ip == attempt.ip))
        .order_by(LoginFailure.at, ascending=False)
        .limit(PER_ADDRESS)
    )
    if len(from_address) >= PER_ADDRESS:
        oldest: datetime = from_address[-1]["at"]
        return oldest + WINDOW - now
    return None
