"""Logging a bartender in and out, with guessing slowed down per account and per address."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from barapp import accounts, db, sessions
from barapp.rendering import page
from barapp.tables import LoginFailure

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
WINDOW = timedelta(minutes=15)
# Enough for fumbled fingers on a tablet, far too few to guess a password of 10+ characters.
PER_ACCOUNT = 5
PER_ADDRESS = 20


class BartenderRequired(NotAuthorizedException):
    """A guest reached a bartender's page or action (rendered as the login page, or 403)."""


async def bartender_only(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of every bartender route."""
    # Litestar runs guards before the before-request hook: a forged or stale form is refused
    # as such here too, as on every other route (on an HTTP route the connection is a Request).
    await sessions.check_csrf(connection)  # type: ignore[arg-type]
    if await sessions.bartender_of(connection) is None:  # type: ignore[arg-type]
        raise BartenderRequired()


def client_ip(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address limits count by (uvicorn runs with proxy_headers: behind a trusted proxy
    this is the guest's). An IPv6 address counts as its /64: one home or phone is given a
    whole /64, so counting single addresses would let one device change address at will."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:  # an IPv4 guest seen through a dual-stack socket
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return host


def safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/bar"


@get("/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], next: FromQuery[str] = "/bar") -> Template:
    return page(request, "login.html", next=safe_next(next), name="")


@post("/login", include_in_schema=False, status_code=200)
async def login_submit(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    # Stripped again after the cut: the throttle must count "marie", "marie   x"[:50] and
    # "marie\t" as the one account they log into.
    name = data.get("name", "").strip()[:50].strip()
    password = data.get("password", "")
    target = safe_next(data.get("next", "/bar"))
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
