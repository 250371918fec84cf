"""Logging a bartender in and out, with guessing slowed down per account and per address."""

from __future__ import annotations

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
    # uvicorn runs with proxy_headers: behind a trusted proxy this is the guest's address.
    return request.client.host if request.client else ""


def safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/bar"


@get("/login", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], next: FromQuery[str] = "/bar") -> Template:
    return page(request, "login.html", next=safe_next(next), name="")


@post("/login", include_in_schema=False, status_code=200)
async def login_submit(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    name = data.get("name", "").strip()[:50]
    password = data.get("password", "")
    target = safe_next(data.get("next", "/bar"))
    wait = await _throttled(name.lower(), client_ip(request))
    if wait:
        minutes = max(1, round(wait.total_seconds() / 60))
        return page(
            request, "login.html", 429, next=target, name=name, error="throttled", minutes=minutes
        )
    bartender = await accounts.authenticate(name, password)
    if bartender is None:
        failure = LoginFailure(name=name.lower(), ip=client_ip(request))

        async def record() -> None:
            # Only the last WINDOW counts: older failures go, so the table stays small.
            await LoginFailure.delete().where(LoginFailure.at < datetime.now(UTC) - WINDOW)
            await LoginFailure.insert(failure)

        await db.write(record)
        return page(request, "login.html", 400, next=target, name=name, error="wrong")
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


async def _throttled(name: str, ip: str) -> timedelta | None:
    """How long this account or address must wait, or None."""
    since = datetime.now(UTC) - WINDOW
    checks = ((LoginFailure.name, name, PER_ACCOUNT), (LoginFailure.ip, ip, PER_ADDRESS))
    for column, value, limit in checks:
        if not value:
            continue
        rows = await (
            LoginFailure.select(LoginFailure.at)
            .where((column == value) & (LoginFailure.at > since))
            .order_by(LoginFailure.at, ascending=False)
            .limit(limit)
        )
        if len(rows) >= limit:
            oldest: datetime = rows[-1]["at"]
            return oldest + WINDOW - datetime.now(UTC)
    return None
