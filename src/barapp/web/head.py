"""`HEAD` wherever `GET` works: uptime monitors and link checkers ask `HEAD /healthz`, `HEAD /`.

Litestar routes a HEAD only to a `@head` handler, which may not return a body, so every `@get`
would need a twin. Instead this ASGI wrapper, outermost in `create_app`, hands the app the
request as a GET and the server the response without its body: the same status and headers
(Content-Length included, as HTTP wants) for every page, file and error, with no route to
remember. A HEAD never reaches a POST route: it is a GET, and answers GET's 405 there.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        # A copy: the server reads its own scope's method to know the answer has no body.
        as_get: Scope = {**scope, "method": "GET"}
        ended = False

        async def send_headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] != "http.response.body":
                await send(message)
            elif not ended:
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        # The first body message ends the answer. A stream (the live events) then hears
        # `http.disconnect` from the server, as ASGI says, and stops.
        await self.app(as_get, receive, send_headers_only)
