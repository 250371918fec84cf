"""QR codes to the bar's public pages, drawn by segno as inline SVG (no script, no image
request: the page's CSP is unchanged), from `PUBLIC_URL`."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def public_link(public_url: str, path: str) -> str | None:
    """The address a guest's phone opens for `path` (a site path, "/cocktails/…"), or None
    when the bar has no `PUBLIC_URL`: a QR code to the tablet's own `localhost` would open
    nothing on a phone."""
    if not public_url:
        return None
    return public_url.rstrip("/") + "/" + path.lstrip("/")


def qr_svg(link: str) -> Markup:
    """`link` as an SVG QR code, sized by CSS (no width or height of its own), dark on light
    whatever the theme so that every phone's camera reads it. Its label is the template's
    (an `aria-label` on the element around it)."""
    code = segno.make(link, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        omitsize=True,
        border=2,
        dark="#000",
        light="#fff",
        svgclass="qr",
        lineclass=None,
    )
    # Safe as markup: segno draws the modules as paths; no text of the link is in the SVG.
    return Markup(out.getvalue().decode())  # noqa: S704
