"""Who is at the tablet, and the proof that a form came from our own page.

Every browser gets a random token in an HttpOnly, SameSite=Lax cookie: it is the guest's
identity for the hourly wish quota and the key of its CSRF token (an HMAC of the token with
SECRET_KEY, so nothing is stored for guests). Logging in issues a NEW token (a token planted
before the login is useless) whose SHA-256 names a server-side `BartenderSession` row; logging
out deletes the row, which ends the session wherever the cookie is.

`SessionMiddleware` gives each request its token and refuses a POST, PUT, PATCH or DELETE
whose CSRF token (the `X-CSRF-Token` header htmx sends, or the `csrf_token` form field of a
plain form) does not match: `CSRFRefused`, rendered by `errors.error_page` as a link back to the
form, never as a form to send again (see `drafts`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from barapp.settings import Settings
from barapp.store import db
from barapp.store.tables import BartenderSession
from barapp.web import cleaning, dependencies

COOKIE = "barapp_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SCOPE_KEY = "barapp.session"
FROM_COOKIE = "barapp.session_from_cookie"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
GUEST_COOKIE_DAYS = 365
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CSRFRefused(Exception):
    """A state-changing request without our page's token: a stale page, or another site.
    Carries the submitted form (its text fields), from which only the route's draft field may
    be kept, for the guest who sent it (`drafts.keep_refused`)."""

    def __init__(self, form: dict[str, str]) -> None:
        super().__init__("CSRF token missing or wrong")
        self.form = form


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(request: Request[Any, Any, Any]) -> str:
    token: str = request.scope[SCOPE_KEY]  # type: ignore[literal-required]
    return token


def came_with_cookie(request: Request[Any, Any, Any]) -> bool:
    """Whether the browser sent its session cookie (a cross-site POST comes without it, and then
    has a token of its own that no browser holds)."""
    return bool(request.scope.get(FROM_COOKIE))


def guest_of(request: Request[Any, Any, Any]) -> str:
    """The anonymous guest, as stored with their wishes (never the token itself)."""
    return digest(token_of(request))


def csrf_token(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{token}".encode(), hashlib.sha256).hexdigest()


def csrf_of(request: Request[Any, Any, Any]) -> str:
    settings = dependencies.settings_of(request)
    return csrf_token(settings.secret_key, token_of(request))


def is_https(settings: Settings, scope: Scope) -> bool:
    return settings.barapp_https or scope.get("scheme") == "https"


def cookie_header(settings: Settings, scope: Scope, token: str, max_age: int) -> bytes:
    secure = "; Secure" if is_https(settings, scope) else ""
    return (f"{COOKIE}={token}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}").encode()


class SessionMiddleware:
    """Outermost: every response, error pages included, can set the cookie."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        token = _cookie(scope)
        # A cross-site POST arrives without our SameSite=Lax cookie: answering it with a new
        # one would overwrite a bartender's session (a logout by any website). Only pages
        # read with GET start a session.
        fresh = token is None and scope.get("method") in ("GET", "HEAD")
        scope[FROM_COOKIE] = token is not None  # type: ignore[literal-required]
        scope[SCOPE_KEY] = token = token or new_token()  # type: ignore[literal-required]

        async def send_with_cookie(message: Message) -> None:
            # A login replaces the token (see `login`): its own Set-Cookie wins.
            if fresh and message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"set-cookie" and COOKIE.encode() in v for k, v in headers):
                    cookie = cookie_header(self.settings, scope, token, GUEST_COOKIE_DAYS * 86400)
                    headers.append((b"set-cookie", cookie))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)


SKIP_LOOKUP = ("/static/", "/media/", "/healthz")


async def before_request(request: Request[Any, Any, Any]) -> None:
    """Litestar's before-request hook: after routing, before the handler reads its data."""
    await check_csrf(request)
    path = request.url.path
    if not path.startswith(SKIP_LOOKUP) and not path.endswith("/events"):
        await bartender_of(request)  # cached in the scope for the templates


def bartender_cached(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    cached: dict[str, Any] | None = request.scope.get("barapp.bartender")  # type: ignore[assignment]
    return cached


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """Raise CSRFRefused unless a state-changing request carries this session's token.
    (Reading the form here cleans it, once, for every handler: see `cleaning`.)"""
    if request.method not in UNSAFE:
        return
    expected = csrf_of(request)
    form = await cleaning.clean_form(request)
    sent = request.headers.get(CSRF_HEADER, "") or form.get(CSRF_FIELD, "")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    if not (
        isinstance(sent, str)
        and sent
        and hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode())
    ):
        raise CSRFRefused({k: v for k, v in form.items() if isinstance(v, str)})


class BartenderRequired(NotAuthorizedException):
    """A guest reached a bartender's page or action (rendered as the login page, or 403)."""


async def bartender_only(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard of every bartender route."""
    # Litestar runs guards before the before-request hook: a forged or stale form is refused
    # as such here too, as on every other route (on an HTTP route the connection is a Request).
    await check_csrf(connection)  # type: ignore[arg-type]
    if await bartender_of(connection) is None:  # type: ignore[arg-type]
        raise BartenderRequired()


# Bartender sessions ------------------------------------------------------------------------


async def bartender_of(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
    """The bartender logged in on this browser, or None (cached for the request)."""
    if "barapp.bartender" in request.scope:
        cached: dict[str, Any] | None = request.scope["barapp.bartender"]  # type: ignore[typeddict-item]
        return cached
    row = await (
        BartenderSession.select(
            BartenderSession.bartender.id.as_alias("id"),
            BartenderSession.bartender.name.as_alias("name"),
        )
        .where(
            (BartenderSession.id == digest(token_of(request)))
            & (BartenderSession.expires_at > datetime.now(UTC))
        )
        .first()
    )
    bartender = dict(row) if row else None
    request.scope["barapp.bartender"] = bartender  # type: ignore[typeddict-unknown-key]
    return bartender


async def login(request: Request[Any, Any, Any], bartender: dict[str, Any]) -> str:
    """Open a session for `bartender`; returns the Set-Cookie value of its new token."""
    settings = dependencies.settings_of(request)
    token = new_token()
    expires = datetime.now(UTC) + timedelta(hours=settings.bartender_session_hours)
    row = BartenderSession(id=digest(token), bartender=bartender["id"], expires_at=expires)

    async def save() -> None:
        # Expired sessions go here, at a moment when a write happens anyway.
        await BartenderSession.delete().where(BartenderSession.expires_at < datetime.now(UTC))
        await BartenderSession.insert(row)

    await db.write(save)
    return cookie_header(
        settings, request.scope, token, settings.bartender_session_hours * 3600
    ).decode()


async def logout(request: Request[Any, Any, Any]) -> str:
    """End this browser's bartender session on the server; returns the Set-Cookie value of a
    fresh guest token."""
    settings = dependencies.settings_of(request)
    key = digest(token_of(request))
    await db.write(lambda: BartenderSession.delete().where(BartenderSession.id == key))
    return cookie_header(settings, request.scope, new_token(), GUEST_COOKIE_DAYS * 86400).decode()


def _cookie(scope: Scope) -> str | None:
    # Split by hand: SimpleCookie stops at the first cookie it finds malformed (another app
    # on the same host may set `prefs={"a": 1}`), and ours would then never be seen.
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                name, _, token = part.strip().partition("=")
                if name == COOKIE and TOKEN.match(token):
                    return token
    return None
