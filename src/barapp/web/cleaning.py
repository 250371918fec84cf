"""`text.clean` at the web's doors, once each: every form body and every query string.

A form is read and cleaned where the CSRF check reads it (every POST, PUT, PATCH and DELETE
passes it before anything else), and the clean dict is left where Litestar caches a request's
form: each handler's `Form` is then that dict, whatever the handler. A query string is
cleaned by `CleanQueryString`, around the whole app, before anything parses it.

barapp's forms are all URL-encoded (no page has a file input): a multipart body is refused
with a 415 before it is parsed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from litestar import Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types.empty import Empty
from litestar.utils.scope.state import ScopeState

from barapp.text import clean


class NotAForm(HTTPException):
    """A body barapp never asks for (multipart): refused before it is parsed."""

    status_code = 415


def _value(value: str | list[str]) -> str | list[str]:
    return clean(value) if isinstance(value, str) else [clean(v) for v in value]


def parse_form(body: bytes) -> dict[str, str | list[str]]:
    """A URL-encoded body as Litestar parses one (a repeated name gives a list, an empty value is
    left out), its names and values cleaned. Raw bytes that are not UTF-8, and escapes that
    decode to no UTF-8, become U+FFFD instead of an error."""
    values: defaultdict[str, list[str]] = defaultdict(list)
    for name, value in parse_qsl(body.decode("utf-8", "replace"), separator="&"):
        # Two names that differ by a control character are the same name once cleaned.
        values[clean(name)].append(clean(value))
    return {name: found if len(found) > 1 else found[0] for name, found in values.items()}


async def clean_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The request's form, cleaned, and cached in the connection's state for every later reader
    (`Form` handlers and `request.form()`). A body of any other type is an empty form."""
    state = ScopeState.from_scope(request.scope)
    if state.form is Empty:
        content_type, _ = request.content_type
        if content_type == RequestEncodingType.MULTI_PART:
            raise NotAForm()
        form: dict[str, Any] = {}
        if content_type == RequestEncodingType.URL_ENCODED:
            form = parse_form(await request.body())
        state.form = form
    return state.form


def clean_query_string(raw: bytes) -> bytes:
    """The query string with every name and value cleaned; the same bytes when they are."""
    # Printable ASCII without escapes is already clean: the usual case costs one scan.
    if raw.isascii() and b"%" not in raw and not any(b < 0x20 or b == 0x7F for b in raw):
        return raw
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    cleaned = [(clean(name), clean(value)) for name, value in pairs]
    if cleaned == pairs and raw.isascii():
        return raw
    return urlencode(cleaned, quote_via=quote).encode("ascii")


class CleanQueryString:
    """Around the whole app: every handler, `request.query_params` and `request.url` see the
    cleaned query string (and raw bytes that are not UTF-8 no longer fail Litestar's parser)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope.get("query_string"):
            scope["query_string"] = clean_query_string(scope["query_string"])
        await self.app(scope, receive, send)
