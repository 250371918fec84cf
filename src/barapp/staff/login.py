"""Logging a bartender in and out, with guessing slowed down per account and per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from barapp.staff import accounts
from barapp.store import db
from barapp.store.tables import LoginFailure
from barapp.web import sessions
from barapp.web.rendering import page
from barapp.web.requests import Form, client_ip, safe_path

WINDOW = timedelta(minutes=15)
# Enough for fumbled fingers on a tablet, far too few to guess a password of 10+ characters.
PER_ACCOUNT = 5
PER_ADDRESS = 20


@get("/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], next: FromQuery[str] = "/bar") -> Template:
    return page(request, "login.html", next=safe_path(next, "/bar"), name="")


@post("/login", include_in_schema=False, status_code=200)
async def login_submit(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    # Stripped again after the cut: the throttle must count "marie", "marie   x"[:50] and
    # "marie\t" as the one account they log into.
    name = data.get("name", "").strip()[:50].strip()
    password = data.get("password", "")
    target = safe_path(data.get("next"), "/bar")
    # The attempt is written BEFORE the password is checked (0.1 s): counted afterwards,
    # thirty simultaneous guesses would all pass a limit of five.
    attempt = LoginFailure(name=name.lower()[:50], ip=client_ip(request))

    async def record() -> None:
        # Only the last WINDOW counts: older attempts go, so the table stays small.
        await LoginFailure.delete().where(LoginFailure.at < datetime.now(UTC) - WINDOW)
        await LoginFailure.insert(attempt)

    await db.write(record)
    wait = await _throttled(attempt.name, attempt.ip)
    if wait:
        await _forget(attempt)  # a refused attempt does not push the wait further
        minutes = max(1, round(wait.total_seconds() / 60))
        return page(
            request, "login.html", 429, next=target, name=name, error="throttled", minutes=minutes
        )
    bartender = await accounts.authenticate(name, password)
    if bartender is None:
        return page(request, "login.html", 400, next=target, name=name, error="wrong")
    await _forget(attempt)
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


async def _forget(attempt: LoginFailure) -> None:
    await db.write(lambda: LoginFailure.delete().where(LoginFailure.id == attempt.id))


async def _throttled(name: str, ip: str) -> timedelta | None:
    """How long this account or address must wait, or None. Counts the attempt being made:
    the sixth within the window (per account) waits."""
    since = datetime.now(UTC) - WINDOW
    checks = ((LoginFailure.name, name, PER_ACCOUNT), (LoginFailure.ip, ip, PER_ADDRESS))
    for column, value, limit in checks:
        if not value:
            continue
        rows = await (
            LoginFailure.select(LoginFailure.at)
            .where((column == value) & (LoginFailure.at > since))
            .order_by(LoginFailure.at, ascending=False)
            .limit(limit + 1)
        )
        if len(rows) > limit:
            oldest: datetime = rows[-1]["at"]
            return oldest + WINDOW - datetime.now(UTC)
    return None
