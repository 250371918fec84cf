"""Small facts about a request, written once: the form body, the client's address, where to
go back to, a ticked checkbox, and whether htmx asked for a part of the page."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.params import Body

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
"""A URL-encoded form, as every form of barapp is sent."""


def client_ip(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address limits count by: the connection's, never a header read here. `barapp serve`
    has uvicorn replace it with X-Forwarded-For's only for a proxy in TRUSTED_PROXIES, so this
    is the guest's behind such a proxy and the peer's otherwise. An IPv6 address counts as
    its /64: one home or phone is given a whole /64, so counting single addresses would let
    one device change address at will."""
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


def safe_path(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default` (never another site: a link
    must not be able to send a guest anywhere)."""
    target = target or ""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def checked(form: dict[str, str], name: str) -> bool:
    """A checkbox: an unticked one is absent from the form."""
    return form.get(name) in ("on", "true", "1")


def wants_partial(request: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """htmx asks for a part of the page; a history restore (or a plain load) gets it whole."""
    headers = request.headers
    return bool(headers.get("hx-request")) and not headers.get("hx-history-restore-request")
