"""Every text a guest, the model or an imported file can fill is shown as text, never as markup."""

from __future__ import annotations

from typing import Any

import pytest
from markupsafe import escape

from tests.factories import add_cocktails, cocktail_doc

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "<a hx-get=/cocktails hx-trigger=load>x</a>",
    "' onmouseover='alert(1)",
]


def hostile_doc(payload: str) -> dict[str, Any]:
    return cocktail_doc(
        payload,
        slug="hostile",
        description=payload,
        ingredients=[{"name": payload, "amount": 1, "unit": "cl", "note": payload}],
        steps=[payload],
        glass=payload,
        garnish=payload,
        music={"title": payload, "artist": payload},
        llm_model=payload[:100],
        wish=payload,
    )


def assert_inert(html: str, payload: str) -> None:
    assert payload not in html
    for markup in ("<script>alert", "<img src=x", "<a hx-get", "onmouseover='alert"):
        assert markup not in html
    # What the guest sees is the text itself.
    assert str(escape(payload)) in html


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_hostile_text_is_escaped_on_every_page(client: Any, payload: str) -> None:
    await add_cocktails(hostile_doc(payload))
    pages = {
        "gallery": "/cocktails",
        "detail": "/cocktails/hostile",
        "search": "/cocktails?q=" + payload[:50],
        "model filter": "/cocktails?model=" + payload[:100],
    }
    for name, url in pages.items():
        response = await client.get(url, params=None)
        assert response.status_code == 200, name
        assert_inert(response.text, payload)
    partial = await client.get("/cocktails", headers={"HX-Request": "true"})
    assert_inert(partial.text, payload)


async def test_hostile_filter_value_is_escaped_on_the_400_page(client: Any) -> None:
    payload = "<img src=x onerror=alert(1)>"
    response = await client.get("/cocktails", params={"sort": payload})
    assert response.status_code == 400
    assert payload not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


async def test_language_switch_only_redirects_inside_the_site(client: Any) -> None:
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = await client.get("/language/en", params={"next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/"


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_hostile_text_from_guests_is_escaped_where_it_comes_back(
    client: Any, payload: str
) -> None:
    # A wish refused (too long) comes back in the form; a login name comes back in the form;
    # a wish refused for its missing token waits in the wish form.
    refused = await client.post("/generate", data={"wish": payload + "x" * 500, "model": payload})
    assert refused.status_code == 400
    assert_inert(refused.text, payload)
    login = await client.post("/login", data={"name": payload, "password": payload})
    assert login.status_code == 400
    assert payload not in login.text and str(escape(payload[:50])) in login.text
    from barapp.app import create_app
    from tests.conftest import app_client

    async with app_client(create_app(client._transport.app.state.settings), csrf=False) as bare:
        expired = await bare.post("/generate", data={"wish": payload})
        kept = await bare.get("/generate")
    assert expired.status_code == 403
    assert payload not in expired.text and str(escape(payload)) not in expired.text
    assert_inert(kept.text, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_hostile_picture_errors_are_escaped_on_the_cocktail_page(
    client: Any, payload: str
) -> None:
    # What an image service answers ends up in the picture's reason.
    await add_cocktails(
        cocktail_doc(
            "Safe", slug="safe", image={"status": "failed", "reason": "bad_key", "detail": payload}
        )
    )
    page = await client.get("/cocktails/safe")
    assert page.status_code == 200
    assert payload not in page.text
