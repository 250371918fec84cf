"""The web app manifest, so a tablet can put the bar on its home screen and open it full
screen like an app: a route rather than a static file, because its name is the bar's (a bar
setting a bartender may change)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency

from barapp.store.bar_settings import Bar

# app.css's light --bg (the splash screen behind the icon) and --surface (the header, which the
# browser's own bar continues); base.html's theme-color meta says the same, dark one included.
BACKGROUND = "#f7f3ec"
THEME = "#ffffff"
# Drawn once with Pillow from static/img/glass.svg (see docs/make_icons.py): the glass on a
# full square, inside the middle 80 % that a maskable icon keeps whatever its mask's shape.
ICONS = [
    {
        "src": f"/static/img/icon-{size}.png",
        "sizes": f"{size}x{size}",
        "type": "image/png",
        "purpose": purpose,
    }
    for size in (192, 512)
    for purpose in ("any", "maskable")
]


@get("/manifest.webmanifest", include_in_schema=False)
async def web_manifest(bar: NamedDependency[Bar]) -> Response[dict[str, Any]]:
    document = {
        "name": bar.bar_name,
        "start_url": "/",
        "scope": "/",
        "display": "fullscreen",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [
            *ICONS,
            {"src": "/static/img/glass.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return Response(document, media_type="application/manifest+json")
