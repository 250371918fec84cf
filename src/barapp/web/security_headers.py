"""Security headers on every response the app sends: pages, htmx fragments, error pages, static
files, media, the illustrations and the live event streams.

A pure ASGI middleware that wraps `send`, so it sees every `http.response.start` whoever sends
it (a route, Litestar's exception handlers, its static files router, sse-starlette's
EventSourceResponse). `create_app` puts it around Litestar's whole ASGI handler, not in
`Litestar(middleware=[...])`: route middleware only runs once a route is found, so the 404 of an
unknown path and the 405 of a wrong method, which the router raises, would go without.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Everything comes from the app itself: no inline script or style, no eval (htmx is told so in
# base.html's htmx-config: allowEval false, includeIndicatorStyles false). `data:` images are for
# the browser's own use (e.g. form controls); `frame-ancestors 'none'`: never in a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"

HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    # `same-origin`, not `strict-origin-when-cross-origin`: the app never needs another site to
    # know where a guest came from, and the bar's address (maybe a private host name) stays in
    # the bar. Its own pages still see the full referrer.
    ("referrer-policy", "same-origin"),
    # For browsers too old for `frame-ancestors`.
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """Adds `HEADERS` (and HSTS when HTTPS is on) to each response, leaving any header the
    response already has as it is (the illustrations set their own, stricter, policy).

    HTTPS is on when `https` is true (BARAPP_HTTPS: a proxy ends TLS and does not say so) or
    when the request came over https (`scope["scheme"]`, which uvicorn sets from
    X-Forwarded-Proto only for a proxy in TRUSTED_PROXIES, see `cmd_serve` in cli.py)."""

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https
        self.plain = [(name.encode(), value.encode()) for name, value in HEADERS]
        self.secure = [*self.plain, (b"strict-transport-security", HSTS.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        extra = self.secure if self.https or scope.get("scheme") == "https" else self.plain

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
