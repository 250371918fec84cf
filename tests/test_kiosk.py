"""The tablet on the counter: the home at `/`, the reset its idle timer goes to, the idle
setting in every guest's page, and the web app manifest."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from barapp.app import create_app
from barapp.settings import Settings
from barapp.web import sessions
from barapp.web.i18n import LANGUAGE_COOKIE
from barapp.web.security_headers import CONTENT_SECURITY_POLICY
from tests.conftest import app_client, log_in
from tests.factories import add_cocktails, cocktail_doc

ROOT = Path(__file__).resolve().parents[1]


def names_in(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"[^>]*>(.*?)</h2>', html)


def body_tag(html: str) -> str:
    match = re.search(r"<body[^>]*>", html)
    assert match
    return match.group(0)


async def test_the_home_offers_a_wish_and_the_newest_visible_cocktails(
    database: Settings,
) -> None:
    await add_cocktails(
        *(
            cocktail_doc(f"Drink {i}", created_at=f"2026-03-{i + 1:02d}T20:00:00+00:00")
            for i in range(8)
        ),
        cocktail_doc("Hidden One", visibility="hidden", created_at="2026-04-01T20:00:00+00:00"),
        cocktail_doc("Waiting One", visibility="pending", created_at="2026-04-02T20:00:00+00:00"),
    )
    app = create_app(dataclasses.replace(database, bar_name="Le Zinc", default_language="en"))
    async with app_client(app) as guest:
        response = await guest.get("/")
    assert response.status_code == 200
    html = response.text
    assert "Welcome to Le Zinc" in html
    assert re.search(r'<a class="button button-big" href="/generate">Make a wish</a>', html)
    # The six newest, visible only, newest first: neither the hidden nor the waiting one.
    assert names_in(html) == [f"Drink {i}" for i in range(7, 1, -1)]
    assert 'href="/cocktails">All the cocktails</a>' in html
    # The nav keeps its "Make a wish"; the brand leads home and says it is there.
    assert '<a href="/generate" >Make a wish</a>' in html.replace("\n", "")
    assert '<a class="brand" href="/" aria-current="page">' in html


async def test_the_home_of_an_empty_bar_and_of_a_bar_where_only_bartenders_wish(
    database: Settings,
) -> None:
    app = create_app(dataclasses.replace(database, guests_may_generate=False))
    async with app_client(app) as guest:
        html = (await guest.get("/")).text
    assert names_in(html) == []
    assert 'class="button button-big" href="/cocktails"' in html
    assert 'class="button button-big" href="/generate"' not in html


async def test_reset_drops_the_language_choice_and_the_home_speaks_the_bars_language(
    database: Settings,
) -> None:
    await add_cocktails(cocktail_doc("Negroni"))
    app = create_app(dataclasses.replace(database, default_language="fr"))
    # No Accept-Language: the bar's DEFAULT_LANGUAGE is what a guest without a choice gets.
    async with app_client(app) as guest:
        del guest.headers["accept-language"]
        await guest.get("/language/en", params={"next": "/cocktails/negroni"})
        assert guest.cookies.get(LANGUAGE_COOKIE) == "en"
        english = await guest.get("/")
        assert '<html lang="en">' in english.text and "Make a wish" in english.text
        # A guest chose a language: the home is not fresh, the idle timer reloads it.
        assert "data-kiosk-fresh" not in body_tag(english.text)

        before = guest.cookies.get(sessions.COOKIE)
        assert before
        reset = await guest.get("/reset")
        assert reset.status_code == 303
        assert reset.headers["location"] == "/"
        cookie = next(
            c for c in reset.headers.get_list("set-cookie") if c.startswith(LANGUAGE_COOKIE)
        )
        assert (
            cookie.startswith(f"{LANGUAGE_COOKIE}=")
            and "Max-Age=0" in cookie
            and "Path=/" in cookie
        )
        assert guest.cookies.get(LANGUAGE_COOKIE) is None
        # The next guest is a new guest: the last one's session goes too.
        assert guest.cookies.get(sessions.COOKIE) is None
        home = await guest.get("/")
        assert guest.cookies.get(sessions.COOKIE) not in (None, before)
    assert '<html lang="fr">' in home.text
    assert "Faire un vœu" in home.text and "Negroni" in home.text
    assert "data-kiosk-fresh" in body_tag(home.text)


async def test_guests_pages_carry_the_idle_timer_and_a_bartenders_do_not(
    database: Settings,
) -> None:
    from barapp.staff import accounts

    await accounts.add("marie", "correct horse battery")
    await add_cocktails(cocktail_doc("Negroni", slug="negroni"))
    app = create_app(dataclasses.replace(database, kiosk_idle_seconds=45))
    async with app_client(app) as guest:
        for path in ("/", "/cocktails", "/cocktails/negroni", "/generate", "/login"):
            html = (await guest.get(path)).text
            assert 'data-kiosk-idle="45"' in body_tag(html), path
            assert '<script src="/static/js/kiosk.js" defer></script>' in html
        # Only the home, and only there, is fresh.
        assert "data-kiosk-fresh" not in body_tag((await guest.get("/cocktails")).text)
    async with app_client(app) as bartender:
        assert (await log_in(bartender, password="correct horse battery")).status_code == 303
        for path in ("/", "/cocktails", "/bar"):
            assert "data-kiosk-idle" not in body_tag((await bartender.get(path)).text), path
    off = create_app(dataclasses.replace(database, kiosk_idle_seconds=0))
    async with app_client(off) as guest:
        assert "data-kiosk-idle" not in body_tag((await guest.get("/cocktails")).text)


async def test_kiosk_js_is_served_and_goes_to_the_reset(client: httpx.AsyncClient) -> None:
    script = await client.get("/static/js/kiosk.js")
    assert script.status_code == 200
    assert 'location.replace("/reset")' in script.text
    assert "sessionStorage.clear()" in script.text


def css_colour(name: str, css: str) -> str:
    light = css.split("@media (prefers-color-scheme: dark)")[0]
    match = re.search(rf"{name}:\s*(#[0-9a-f]{{6}})", light)
    assert match, name
    return match.group(1)


async def test_the_manifest_names_the_bar_and_matches_the_css(database: Settings) -> None:
    app = create_app(dataclasses.replace(database, bar_name="Le Comptoir de Marie"))
    async with app_client(app) as guest:
        page = (await guest.get("/cocktails")).text
        response = await guest.get("/manifest.webmanifest")
        icons = [await guest.get(f"/static/img/icon-{size}.png") for size in (192, 512)]
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<link rel="apple-touch-icon" href="/static/img/icon-192.png">' in page
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    manifest: dict[str, Any] = response.json()
    assert manifest["name"] == "Le Comptoir de Marie"
    assert (manifest["start_url"], manifest["display"]) == ("/", "fullscreen")
    css = (ROOT / "static" / "css" / "app.css").read_text()
    assert manifest["background_color"] == css_colour("--bg", css)
    assert manifest["theme_color"] == css_colour("--surface", css)
    assert f'<meta name="theme-color" content="{css_colour("--surface", css)}"' in page
    dark = css.split("@media (prefers-color-scheme: dark)")[1]
    assert re.search(r"--surface:\s*#211c2b", dark)
    assert (
        '<meta name="theme-color" content="#211c2b" media="(prefers-color-scheme: dark)">' in page
    )
    pngs = [icon for icon in manifest["icons"] if icon["type"] == "image/png"]
    assert {(i["sizes"], i["purpose"]) for i in pngs} == {
        (size, purpose) for size in ("192x192", "512x512") for purpose in ("any", "maskable")
    }
    for icon, size in zip(icons, (192, 512), strict=True):
        assert icon.status_code == 200
        image = Image.open(ROOT / "static" / "img" / f"icon-{size}.png")
        assert image.size == (size, size)
        # Maskable: the corners (outside the circle every mask keeps) are only background.
        assert image.getpixel((0, 0)) == image.getpixel((size - 1, size - 1))


def test_the_policy_allows_the_manifest_from_the_app_only() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["manifest-src"] == "'self'"
