"""The text rule at the web's doors: every form field and every query string is cleaned once,
before any handler reads it, on both engines (NUL in a form field was a 500 on PostgreSQL)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from barapp.store.tables import Cocktail, Generation, LoginFailure
from barapp.web import sessions
from barapp.web.cleaning import clean_query_string, parse_form
from tests.factories import add_cocktails, cocktail_doc
from tests.test_moderation import SETTINGS_FORM, edit_form

DIRT = "\x00\x01\x1b\x7f\x9f\ufdd0\ufffe"
FORM = {"content-type": "application/x-www-form-urlencoded"}


async def asgi_get(app: Any, path: str, query: bytes) -> tuple[int, bytes]:
    """A GET with the raw bytes of `query` as its query string (httpx would escape them)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body


def test_a_form_is_parsed_as_litestar_does_and_cleaned() -> None:
    assert parse_form(b"a=1&b=x%00y&b=2&c=&d%01=%C2%85z") == {
        "a": "1",
        "b": ["xy", "2"],
        "d": "\nz",
    }
    # Bytes that are not UTF-8, raw or escaped, become U+FFFD (Litestar's parser raised).
    assert parse_form(b"name=\xff%ED%A0%80") == {"name": "\ufffd" * 4}
    assert parse_form(b"a%00=1&a=2") == {"a": ["1", "2"]}  # one name once cleaned


def test_a_query_string_is_cleaned_and_left_alone_when_clean() -> None:
    plain = b"q=gin+basil&sort=name&after=abc%3D"
    assert clean_query_string(plain) is plain
    assert clean_query_string(b"q=gin%00tonic&model=%EF%BF%BE") == b"q=gintonic&model="
    assert clean_query_string(b"q=\xff") == b"q=%EF%BF%BD"
    assert clean_query_string(b"q=caf\xc3\xa9") == b"q=caf%C3%A9"


async def test_every_form_field_is_cleaned_before_the_login_reads_it(
    guest: httpx.AsyncClient,
) -> None:
    response = await guest.post("/login", data={"name": f"mar{DIRT}ie\u2028", "password": "x"})
    assert response.status_code == 400  # a wrong password, not a 500 on PostgreSQL
    assert 'value="marie"' in response.text
    names = await LoginFailure.select(LoginFailure.name)
    assert names == [{"name": "marie"}]  # the throttle counts the account it would log into


async def test_raw_bytes_that_are_not_utf8_in_a_form_are_no_error(
    guest: httpx.AsyncClient,
) -> None:
    response = await guest.post("/login", content=b"name=\xff\xfe&password=x", headers=FORM)
    assert response.status_code == 400
    assert await LoginFailure.select(LoginFailure.name) == [{"name": "\ufffd\ufffd"}]


async def test_a_wish_is_recorded_clean(bartender: httpx.AsyncClient, app: Any) -> None:
    response = await bartender.post(
        "/generate", data={"wish": f"a neg{DIRT}roni\u0085please", "model": "llama3.1:8b"}
    )
    assert response.status_code == 303, response.text
    await app.state.jobs.shutdown()
    wishes = await Generation.select(Generation.wish)
    assert wishes == [{"wish": "a negroni please"}]


async def test_the_bartenders_forms_are_saved_clean(app: Any, bartender: httpx.AsyncClient) -> None:
    await add_cocktails(cocktail_doc("Negroni"))
    row = await Cocktail.select(Cocktail.id).first()
    ident = row["id"]
    form = edit_form(name=f"Negroni{DIRT} Sbagliato", steps=f"Stir\x00.\u2029Strain{DIRT}.")
    saved = await bartender.post(f"/cocktails/{ident}/edit", data=form)
    assert saved.status_code == 303, saved.text
    after = await Cocktail.select(Cocktail.name, Cocktail.steps).first().output(load_json=True)
    assert after == {"name": "Negroni Sbagliato", "steps": ["Stir.", "Strain."]}

    settings = await bartender.post(
        "/bar/settings", data={**SETTINGS_FORM, "bar_name": f"Chez{DIRT} Marie"}
    )
    assert settings.status_code == 303
    assert app.state.bar_settings.current().bar_name == "Chez Marie"

    hidden = await bartender.post(f"/cocktails/{ident}/hide", data={"next": f"/b\x00ar{DIRT}"})
    assert hidden.status_code == 303 and hidden.headers["location"] == "/bar"


async def test_a_multipart_body_is_refused_before_it_is_read(
    bartender: httpx.AsyncClient,
) -> None:
    # No page of barapp sends a file: a multipart body is not one of its forms.
    response = await bartender.post(
        "/generate",
        data={"wish": "a negroni", "model": "llama3.1:8b"},
        files={"picture": ("x.png", b"\x89PNG", "image/png")},
    )
    assert response.status_code == 415
    assert "This request could not be understood." in response.text
    assert await Generation.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        "csrf_token=%C3%A9t%C3%A9&name=marie&password=x",  # compare_digest refused non-ASCII
        "csrf_token=a&csrf_token=b&name=marie&password=x",  # a list, not a token
    ],
)
async def test_an_odd_csrf_field_is_refused_not_a_500(app: Any, body: str) -> None:
    from tests.conftest import app_client

    async with app_client(app, csrf=False) as client:
        response = await client.post("/login", content=body.encode(), headers=FORM)
        header = await client.post(
            "/login",
            data={"name": "marie"},
            headers={sessions.CSRF_HEADER: "\u00e9t\u00e9".encode("latin-1")},
        )
    assert response.status_code == 403 and header.status_code == 403
    assert "This page had expired." in response.text


async def test_query_strings_are_cleaned_before_any_handler_reads_them(
    app: Any, guest: httpx.AsyncClient
) -> None:
    await add_cocktails(cocktail_doc("Negroni", llm_model="llama3.1:8b"))
    # NUL in a filter was a 500 on PostgreSQL, in a search on SQLite (FTS5) and PostgreSQL.
    for params in ({"model": "llama3.1:8b\x00"}, {"q": "negr\x00oni"}, {"q": f"gin{DIRT}"}):
        response = await guest.get("/cocktails", params=params)
        assert response.status_code == 200, params
    found = await guest.get("/cocktails", params={"q": "negr\x00oni"})
    assert "Negroni" in found.text
    login = await guest.get("/login", params={"next": f"/ba\x00r{DIRT}"})
    assert 'name="next" value="/bar"' in login.text
    # Raw bytes that are not UTF-8 made Litestar's own parser raise (outside any handler).
    for raw in (b"q=\xff", b"after=\xff\xfe", b"q=caf\xc3\xa9&sort=\x00"):
        status, body = await asgi_get(app, "/cocktails", raw)
        assert status in (200, 400), raw
        assert b"Traceback" not in body
