"""The cocktail's own page, redirects, 404s, static files and the health check."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from barapp.settings import Settings
from barapp.store.tables import Cocktail
from tests.factories import add_cocktails, cocktail_doc

FULL = cocktail_doc(
    "Gin Basil Smash",
    slug="basil-smash",
    description="Green, bright and summery.",
    ingredients=[
        {"name": "Gin", "amount": 6, "unit": "cl"},
        {"name": "Lemon juice", "amount": 2.5, "unit": "cl", "note": "freshly squeezed"},
        {"name": "Soda", "unit": "", "note": "to top up"},
    ],
    steps=["Muddle the basil.", "Shake hard with ice.", "Double strain."],
    glass="Rocks glass",
    garnish="Basil sprig",
    music={"title": "Summer Breeze", "artist": "Seals and Crofts"},
    llm_model="llama3.1:8b",
    wish="something fresh with gin and basil",
    created_at="2026-02-14T19:30:00+00:00",
)


async def test_root_is_the_tablets_home(client: Any) -> None:
    # Once it led to the gallery; the tablet's home is tests/test_kiosk.py's.
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/generate"' in response.text and 'href="/cocktails"' in response.text


async def test_cocktail_page_shows_everything(client: Any) -> None:
    await add_cocktails(FULL)
    by_slug = await client.get("/cocktails/basil-smash")
    assert by_slug.status_code == 200
    html = by_slug.text
    for text in (
        "Gin Basil Smash",
        "Green, bright and summery.",
        "6 cl",
        "2.5 cl",
        "(freshly squeezed)",
        "(to top up)",
        "Muddle the basil.",
        "Double strain.",
        "Rocks glass",
        "Basil sprig",
        "Summer Breeze",
        "Seals and Crofts",
        "something fresh with gin and basil",
        "Invented by llama3.1:8b",
        "February 14, 2026",
    ):
        assert text in html, text
    assert html.index("Muddle the basil.") < html.index("Double strain.")
    assert (
        'href="https://www.youtube.com/results?search_query=Summer+Breeze+Seals+and+Crofts"' in html
    )

    row = await Cocktail.select(Cocktail.id).first()
    by_id = await client.get(f"/cocktails/{row['id']}")
    assert by_id.status_code == 200
    main = html.split('<main id="main">')[1]
    assert by_id.text.split('<main id="main">')[1] == main


async def test_music_keeps_whatever_is_known_of_it(client: Any) -> None:
    await add_cocktails(
        cocktail_doc("Artist Only", music={"title": "", "artist": "Nina Simone"}),
        cocktail_doc("Title Only", music={"title": "Feeling Good", "artist": ""}),
    )
    for slug, shown in (
        ("artist-only", "Music:</span> Nina Simone"),
        ("title-only", "Feeling Good"),
    ):
        page = (await client.get(f"/cocktails/{slug}")).text
        line = page.split('<p class="drink-music">')[1].split("</p>")[0]
        assert shown in line and " — " not in line, slug
    gallery = (await client.get("/cocktails")).text
    assert "Nina Simone" in gallery and "Feeling Good" in gallery


async def test_cocktail_page_in_french_uses_french_numbers_and_dates(client: Any) -> None:
    await add_cocktails(FULL)
    html = (await client.get("/cocktails/basil-smash", headers={"accept-language": "fr"})).text
    assert "2,5 cl" in html
    assert "14 février 2026" in html
    assert "Inventé par llama3.1:8b" in html


@pytest.mark.parametrize(
    "url",
    [
        "/cocktails/00000000-0000-0000-0000-000000000000",
        "/cocktails/no-such-drink",
        "/cocktails/hidden-one",
        "/no/such/page",
    ],
)
async def test_unknown_pages_are_real_404_pages(client: Any, url: str) -> None:
    await add_cocktails(cocktail_doc("Hidden One", visibility="hidden"))
    response = await client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "This page does not exist." in response.text
    assert 'href="/cocktails"' in response.text


async def test_static_files_are_served_with_cache_headers(client: Any) -> None:
    htmx = await client.get("/static/vendor/htmx-2.0.11.min.js")
    assert htmx.status_code == 200
    assert 'version:"2.0.11"' in htmx.text
    assert "max-age" in htmx.headers["cache-control"]
    sse = await client.get("/static/vendor/htmx-ext-sse-2.2.4.min.js")
    assert sse.status_code == 200
    assert "sse" in sse.text
    css = await client.get("/static/css/app.css")
    assert "prefers-color-scheme: dark" in css.text
    assert (await client.get("/static/../pyproject.toml")).status_code == 404


async def test_every_page_loads_the_vendored_scripts_and_no_cdn(client: Any) -> None:
    html = (await client.get("/cocktails")).text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == [
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/htmx-ext-sse-2.2.4.min.js",
        "/static/js/counter.js",
        "/static/js/kiosk.js",
    ]
    assert "https://" not in html.split("<body>")[0]


class FakeVersion(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"version": "0.12.6"}).encode()
        status = 200 if self.path == "/api/version" else 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ollama_version_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVersion)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_healthz_is_ok_with_ollama_down(client: Any) -> None:
    from barapp.staff import accounts
    from tests.conftest import PASSWORD, log_in

    await accounts.add("marie", PASSWORD)
    assert (await log_in(client)).status_code == 303  # the details are a bartender's
    response = await client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["engine"] in ("sqlite", "postgres")
    assert body["ollama"] == {
        "host": "http://127.0.0.1:9",
        "reachable": False,
        "version": None,
        "error": "ConnectError",
    }
    assert body["image_provider"] == "illustration"


async def test_healthz_reports_the_ollama_version(
    database: Settings, ollama_version_server: str
) -> None:
    import dataclasses

    from barapp.app import create_app
    from barapp.staff import accounts
    from tests.conftest import PASSWORD, app_client, log_in

    app = create_app(dataclasses.replace(database, ollama_host=ollama_version_server))
    await accounts.add("marie", PASSWORD)
    async with app_client(app) as guest, app_client(app) as bartender:
        assert (await guest.get("/healthz")).json()["ollama"] == {"reachable": True}
        assert (await log_in(bartender)).status_code == 303
        body = (await bartender.get("/healthz")).json()
    assert body["ollama"]["reachable"] is True
    assert body["ollama"]["version"] == "0.12.6"


async def test_healthz_is_503_when_the_database_is_gone(client: Any, database: Settings) -> None:
    await Cocktail.raw("DROP TABLE rating")  # its foreign key holds the cocktail table
    await Cocktail.raw("DROP TABLE generation")
    await Cocktail.raw("DROP TABLE cocktail")
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
    await asyncio.sleep(0)


async def test_a_server_error_is_a_page_in_the_guests_language(client: Any) -> None:
    await Cocktail.raw("DROP TABLE rating")  # its foreign key holds the cocktail table
    await Cocktail.raw("DROP TABLE generation")
    await Cocktail.raw("DROP TABLE cocktail")
    response = await client.get("/cocktails", headers={"accept-language": "fr"})
    assert response.status_code == 500
    assert "Un problème est survenu de notre côté." in response.text
    assert "Traceback" not in response.text
