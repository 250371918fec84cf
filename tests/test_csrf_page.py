"""The page of a refused POST never relays another site's fields (issue 11, point 6): it was a
form around them under a fresh valid token, which one tap by a logged-in bartender sent. It
links back to the form instead, and a guest's own wish waits for them there, prefilled."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from markupsafe import escape

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.tables import Cocktail, Generation
from barapp.web.drafts import MAX_LENGTH, Drafts
from tests.conftest import PASSWORD, app_client, log_in
from tests.factories import add_cocktails, cocktail_doc
from tests.test_route_guards import UNSAFE, concrete, routes

MARK = "forged-by-evil-example"
FOREIGN = {
    "wish": MARK,
    "model": MARK,
    "name": MARK,
    "password": MARK,
    "next": f"/{MARK}",
    "bar_name": MARK,
    "visibility": MARK,
    "variant": MARK,
}
FORGED = {"x-csrf-token": "0" * 64}
# Where each refused POST leads back to (its route's form page).
BACK = {
    "/generate": "/generate",
    "/login": "/login",
    "/logout": "/cocktails",
    "/bar/settings": "/bar/settings",
    "/generations/{gen_id:uuid}/stop": "/generations/{gen_id}",
    "/cocktails/{ident:str}/edit": "/cocktails/{ident}/edit",
    **{
        f"/bar/shelf/{action}": "/bar/shelf"
        for action in ("add", "stock", "remove", "custom", "paste")
    },
}


@pytest.fixture
async def app(database: Settings) -> Any:
    await add_cocktails(cocktail_doc("Negroni"))
    await Generation.insert(Generation(wish="a negroni", model="llama3.1:8b", status="done"))
    await accounts.add("marie", PASSWORD)
    return create_app(database)


@pytest.fixture
async def bartender(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as client:
        assert (await log_in(client)).status_code == 303
        yield client


def forms_in(html: str) -> list[tuple[str, list[str]]]:
    """Each form of the page: its action and the names of its fields."""
    return [
        (action, re.findall(r'name="([^"]+)"', body))
        for action, body in re.findall(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', html, re.S)
    ]


def expected_back(path: str, url: str) -> str:
    if path.startswith("/cocktails/{ident:str}/") and path not in BACK:
        template = "/cocktails/{ident}"
    else:
        template = BACK[path]
    # The concrete URL's parameters, in the template's places.
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    values = re.fullmatch(re.sub(r"\\\{\w+(?::\w+)?\\\}", "([^/]+)", re.escape(path)), url)
    assert values, (path, url)
    return template.format(**dict(zip(names, values.groups(), strict=True)))


async def test_a_refused_post_relays_no_field_and_leads_back_to_its_form(
    app: Any, bartender: httpx.AsyncClient
) -> None:
    unsafe = [(m, p) for m, p, _ in routes(app) if m in UNSAFE]
    assert len(unsafe) >= 10
    for method, path in unsafe:
        url = await concrete(path)
        for headers in (FORGED, {**FORGED, "HX-Request": "true"}):
            response = await bartender.request(method, url, data=FOREIGN, headers=headers)
            assert response.status_code == 403, f"{method} {url}"
            assert "This page had expired." in response.text
            assert MARK not in response.text, f"{method} {url} relays a field"
            # The one form left is the bartender's own logout, with nothing but its token.
            for action, fields in forms_in(response.text):
                assert (action, fields) == ("/logout", ["csrf_token"]), f"{method} {url}"
            back = expected_back(path, url)
            if back != "/cocktails":
                assert f'href="{back}"' in response.text, f"{method} {url}"
    assert await Generation.count() == 1  # nothing was done
    row = await Cocktail.select(Cocktail.name, Cocktail.visibility).first()
    assert row == {"name": "Negroni", "visibility": "visible"}
    assert app.state.bar_settings.current().bar_name != MARK


async def test_the_link_back_quotes_the_routes_parameters(bartender: httpx.AsyncClient) -> None:
    response = await bartender.post("/cocktails/x%22%3E%3Cb%3E/hide", headers=FORGED)
    assert response.status_code == 403
    assert 'href="/cocktails/x%22%3E%3Cb%3E"' in response.text


async def test_a_guests_wish_waits_for_them_in_the_form_escaped_and_once(app: Any) -> None:
    wish = 'un mojito <b>bien</b> frais & "glacé"'
    async with app_client(app, csrf=False) as guest:  # a stale page: our cookie, a bad token
        refused = await guest.post("/generate", data={"wish": wish, "model": "m"})
        assert refused.status_code == 403
        assert "What you typed is kept: you will find it in the form." in refused.text
        assert 'href="/generate"' in refused.text
        assert "mojito" not in refused.text and not forms_in(refused.text)
        back = await guest.get("/generate")
        assert f">{escape(wish)}</textarea>" in back.text
        assert "<b>bien</b>" not in back.text
        # Given back once: the form is empty again afterwards.
        again = await guest.get("/generate")
        assert "mojito" not in again.text
        htmx = await guest.post(
            "/generate", data={"wish": wish, "model": "m"}, headers={"HX-Request": "true"}
        )
        assert htmx.status_code == 403 and "What you typed is kept" in htmx.text
        assert "mojito" not in htmx.text
    async with app_client(app) as other:  # another guest never sees it
        assert "mojito" not in (await other.get("/generate")).text
    assert await Generation.count() == 1


async def test_a_post_without_our_cookie_keeps_no_draft(app: Any) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as cross_site:
        response = await cross_site.post("/generate", data={"wish": "a free negroni"})
    assert response.status_code == 403
    assert "What you typed is kept" not in response.text
    assert len(app.state.drafts) == 0


def test_drafts_expire_are_bounded_and_cut() -> None:
    now = [0.0]
    drafts = Drafts(ttl=60, size=2, clock=lambda: now[0])
    drafts.keep("a", "wish", "one")
    drafts.keep("b", "wish", "two")
    drafts.keep("c", "wish", "x" * (MAX_LENGTH + 10))
    assert len(drafts) == 2
    assert drafts.take("a", "wish") == ""  # the oldest went first
    assert drafts.take("c", "wish") == "x" * MAX_LENGTH
    now[0] = 61
    assert drafts.take("b", "wish") == ""  # expired
    assert len(drafts) == 0
