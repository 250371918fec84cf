"""The security headers on every kind of response: pages, fragments, redirects, every error,
static files, media, the illustrations (their own stricter policy) and the live stream."""

from __future__ import annotations

import dataclasses
import io
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from barapp.app import create_app
from barapp.pictures import media
from barapp.pictures.routes import SVG_POLICY
from barapp.settings import Settings
from barapp.store.tables import Cocktail, Generation
from barapp.web.security_headers import CONTENT_SECURITY_POLICY, HSTS
from tests.conftest import app_client, make_settings
from tests.factories import add_cocktails, cocktail_doc

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def assert_secured(response: httpx.Response, csp: str = CONTENT_SECURITY_POLICY) -> None:
    """Each header once, with its value, and no HSTS over plain HTTP."""
    for name, value in {**EXPECTED, "content-security-policy": csp}.items():
        assert response.headers.get_list(name) == [value], (name, response.url)
    assert "strict-transport-security" not in response.headers


def test_the_policy_forbids_inline_code_eval_and_frames() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


async def test_a_full_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/cocktails")
    assert response.status_code == 200
    assert "<html" in response.text
    assert_secured(response)


async def test_an_htmx_fragment(client: httpx.AsyncClient) -> None:
    await add_cocktails(cocktail_doc("Negroni"))
    response = await client.get("/cocktails", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "Negroni" in response.text
    assert_secured(response)


async def test_a_cocktail_page_and_its_picture_fragment(client: httpx.AsyncClient) -> None:
    await add_cocktails(cocktail_doc("Negroni"))
    cocktail = await Cocktail.select(Cocktail.id).first()
    assert cocktail is not None
    page = await client.get(f"/cocktails/{cocktail['id']}")
    assert page.status_code == 200
    assert_secured(page)
    fragment = await client.get(f"/cocktails/{cocktail['id']}/picture")
    assert fragment.status_code == 200
    assert_secured(fragment)


async def test_a_redirect(client: httpx.AsyncClient) -> None:
    response = await client.get("/reset")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert_secured(response)


async def test_the_web_app_manifest(client: httpx.AsyncClient) -> None:
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert_secured(response)


async def test_healthz_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert_secured(response)


@pytest.mark.parametrize(
    "path",
    [
        "/nowhere",  # no route: the router's 404
        "/cocktails/no-such-cocktail",  # a route's own 404
        "/static/css/nothing.css",  # the static files router's 404
        "/media/0123456789abcdef0123456789abcdef.webp",
        "/generations/not-a-uuid",  # a bad path parameter
    ],
)
async def test_a_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert_secured(response)


async def test_a_405_from_the_router(client: httpx.AsyncClient) -> None:
    response = await client.delete("/cocktails")
    assert response.status_code == 405
    assert_secured(response)


async def test_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/cocktails", params={"sort": "sideways"})
    assert response.status_code == 400
    assert_secured(response)


async def test_a_500(client: httpx.AsyncClient) -> None:
    await Cocktail.raw("DROP TABLE rating")  # its foreign key holds the cocktail table
    await Cocktail.raw("DROP TABLE generation")
    await Cocktail.raw("DROP TABLE cocktail")
    response = await client.get("/cocktails")
    assert response.status_code == 500
    assert_secured(response)


async def test_a_static_file(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "max-age=86400" in response.headers["cache-control"]  # the router's own header stays
    assert_secured(response)


async def test_a_compressed_static_file(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/vendor/htmx-2.0.11.min.js")
    assert response.headers["content-encoding"] == "gzip"
    assert_secured(response)


async def test_a_media_file(client: httpx.AsyncClient, database: Settings) -> None:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 60, 90)).save(out, "PNG")
    stored = media.store(database.media_dir, out.getvalue())
    response = await client.get(f"/media/{stored.file}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert_secured(response)  # nosniff once, though the route sets it too


async def test_the_illustration_keeps_its_own_stricter_policy(client: httpx.AsyncClient) -> None:
    await add_cocktails(cocktail_doc("Negroni"))
    response = await client.get("/cocktails/negroni/illustration.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert_secured(response, csp=SVG_POLICY)
    again = await client.get(
        "/cocktails/negroni/illustration.svg", headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304
    assert_secured(again, csp=SVG_POLICY)


async def test_the_event_stream(client: httpx.AsyncClient) -> None:
    gen_id = uuid.uuid4()
    await Generation.insert(
        Generation(id=gen_id, wish="a bitter one", model="llama3.1:8b", status="interrupted")
    )
    response = await client.get(f"/generations/{gen_id}/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "event: end" in response.text
    assert_secured(response)


async def test_a_live_event_stream(database: Settings, fake_ollama: Any) -> None:
    app = create_app(dataclasses.replace(database, ollama_host=fake_ollama.host))
    try:
        async with app_client(app) as http:
            form = await http.get("/generate")
            assert_secured(form)
            data = {"wish": "a fresh gin drink", "model": "llama3.1:8b"}
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            if token:  # the session's CSRF token, with its cookie in the client
                data["csrf_token"] = token.group(1)
            answer = await http.post("/generate", data=data, headers={"HX-Request": "true"})
            assert answer.status_code == 200, answer.text
            assert_secured(answer)
            gen_id = answer.text.split("/generations/", 1)[1].split("/", 1)[0]
            response = await http.get(f"/generations/{gen_id}/events")
            assert response.status_code == 200
            assert "event: result" in response.text
            assert_secured(response)
    finally:
        await app.state.jobs.shutdown()


@pytest.fixture
async def https_client(database: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(dataclasses.replace(database, barapp_https=True))) as http:
        yield http


async def test_hsts_when_barapp_https_is_on(https_client: httpx.AsyncClient) -> None:
    for path in ("/cocktails", "/static/css/app.css", "/nowhere"):
        response = await https_client.get(path)
        assert response.headers.get_list("strict-transport-security") == [HSTS], path
        assert response.headers["x-frame-options"] == "DENY"


async def test_hsts_when_the_request_came_over_https(database: Settings) -> None:
    # uvicorn (proxy_headers) turns X-Forwarded-Proto: https into this scheme.
    async with app_client(create_app(database)) as http:
        http.base_url = httpx.URL("https://testserver")
        response = await http.get("/cocktails")
    assert response.headers["strict-transport-security"] == HSTS


def test_barapp_https_is_read_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite3"
    assert make_settings(url, tmp_path).barapp_https is False
    assert make_settings(url, tmp_path, BARAPP_HTTPS="true").barapp_https is True
