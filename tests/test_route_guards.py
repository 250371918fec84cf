"""Every route, walked: a guest reaches only the guest routes, and every state-changing
route refuses a request without the page's CSRF token (htmx or plain form alike)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.tables import Cocktail, Generation
from barapp.web.sessions import bartender_only
from tests.conftest import app_client
from tests.factories import add_cocktails, cocktail_doc

# What a guest at the counter may do. Anything else must be a bartender's.
GUEST_ROUTES = {
    ("GET", "/"),
    ("GET", "/reset"),
    ("GET", "/manifest.webmanifest"),
    ("GET", "/cocktails"),
    ("GET", "/cocktails/{ident:str}"),
    ("GET", "/cocktails/{ident:str}/illustration.svg"),
    ("GET", "/cocktails/{ident:str}/picture"),
    ("GET", "/language/{lang:str}"),
    ("GET", "/generate"),
    ("POST", "/generate"),
    ("GET", "/generations/{gen_id:uuid}"),
    ("GET", "/generations/{gen_id:uuid}/events"),
    ("POST", "/generations/{gen_id:uuid}/stop"),
    ("GET", "/healthz"),
    ("GET", "/static/{file_path:path}"),
    ("GET", "/media/{name:str}"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    # Ratings (ratings/): a guest's stars for a drink.
    ("GET", "/cocktails/{ident:str}/rating"),
    ("POST", "/cocktails/{ident:str}/rating"),
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def routes(app: Any) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path, handler))
    return found


async def concrete(path: str) -> str:
    """The route's path with real values in its parameters."""
    cocktail = await Cocktail.select(Cocktail.id).first()
    generation = await Generation.select(Generation.id).first()
    values = {
        "ident": str(cocktail["id"]) if cocktail else "x",
        "gen_id": str(generation["id"]) if generation else str(uuid.uuid4()),
        "lang": "en",
        "name": "nothing.webp",
        "file_path": "css/app.css",
    }
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)


@pytest.fixture
async def app(database: Settings) -> Any:
    await add_cocktails(cocktail_doc("Negroni"))
    await Generation.insert(Generation(wish="a negroni", model="llama3.1:8b", status="done"))
    await accounts.add("marie", "correct horse battery")
    return create_app(database)


async def test_every_route_is_either_a_guest_route_or_guarded(app: Any) -> None:
    guarded = []
    for method, path, handler in routes(app):
        if (method, path) in GUEST_ROUTES:
            continue
        assert bartender_only in handler.resolve_guards(), f"{method} {path} has no guard"
        guarded.append((method, path))
    # The walk found the bartender's routes (a typo in the list above would hide them).
    assert len(guarded) >= 8, guarded
    assert {(m, p) for m, p, _ in routes(app)} >= GUEST_ROUTES


async def test_a_guest_cannot_reach_any_bartender_route(app: Any) -> None:
    async with app_client(app) as guest:
        for method, path, _ in routes(app):
            if (method, path) in GUEST_ROUTES:
                continue
            url = await concrete(path)
            response = await guest.request(method, url, data={"name": "x", "visibility": "visible"})
            if method == "GET":
                assert response.status_code == 303, f"{method} {url}"
                assert response.headers["location"].startswith("/login?next=")
            else:
                assert response.status_code == 403, f"{method} {url}"
            # The same with htmx: an explanation, never the action.
            htmx = await guest.request(method, url, headers={"HX-Request": "true"})
            assert htmx.status_code == 403, f"{method} {url} (htmx)"
            assert "This is for bartenders." in htmx.text
    assert await Cocktail.count() == 1
    row = await Cocktail.select(Cocktail.visibility, Cocktail.featured).first()
    assert row == {"visibility": "visible", "featured": False}


@pytest.mark.parametrize("token", [None, "0" * 64, "not-a-token"])
async def test_every_unsafe_route_refuses_a_missing_or_wrong_csrf_token(
    app: Any, token: str | None
) -> None:
    async with app_client(app, csrf=False) as client:
        login = await client.post(
            "/login",
            data={"name": "marie", "password": "correct horse battery"},
            headers={"x-csrf-token": token} if token else {},
        )
        assert login.status_code == 403  # the login itself is protected
        unsafe = [(m, p) for m, p, _ in routes(app) if m in UNSAFE]
        assert len(unsafe) >= 5
        for method, path in unsafe:
            url = await concrete(path)
            headers = {"x-csrf-token": token} if token else {}
            plain = await client.request(method, url, data={"wish": "a mojito"}, headers=headers)
            assert plain.status_code == 403, f"{method} {url}"
            assert "This page had expired." in plain.text
            htmx = await client.request(
                method, url, headers={**headers, "HX-Request": "true"}, data={"wish": "a mojito"}
            )
            assert htmx.status_code == 403, f"{method} {url} (htmx)"
    assert await Generation.count() == 1  # no wish was made
    assert await Cocktail.count() == 1


async def test_a_refused_wish_keeps_what_the_guest_typed(app: Any) -> None:
    async with app_client(app, csrf=False) as client:
        response = await client.post(
            "/generate", data={"wish": "un mojito <b>bien</b> frais", "model": "m"}
        )
        assert response.status_code == 403
        assert 'href="/generate"' in response.text  # back to the form, not a form to resend
        assert "mojito" not in response.text
        form = await client.get("/generate")
    assert "un mojito &lt;b&gt;bien&lt;/b&gt; frais</textarea>" in form.text  # kept, escaped


async def test_request_bodies_are_capped(app: Any) -> None:
    async with app_client(app) as client:
        response = await client.post("/generate", data={"wish": "x" * 300_000, "model": "m"})
    assert response.status_code == 413
    assert "too much" in response.text


async def test_only_the_guest_who_wished_can_stop_it(app: Any) -> None:
    generation = await Generation.select(Generation.id).first()
    async with app_client(app) as stranger:
        response = await stranger.post(f"/generations/{generation['id']}/stop")
    assert response.status_code == 403
    assert "This is not yours to change." in response.text
