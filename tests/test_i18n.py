"""Two languages: the switch, then the browser's Accept-Language, then DEFAULT_LANGUAGE; and a
French translation for every string the UI shows."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from barapp.app import create_app
from barapp.settings import Settings
from barapp.web.i18n import TRANSLATIONS_DIR, choose_language

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("cookie", "header", "default", "expected"),
    [
        (None, None, "fr", "fr"),
        (None, None, "en", "en"),
        (None, "en-US,en;q=0.9", "fr", "en"),
        (None, "de-DE, fr;q=0.5, en;q=0.4", "en", "fr"),
        (None, "de, it", "en", "en"),
        (None, "en;q=0.1, fr-CA;q=0.8", "en", "fr"),
        (None, "fr;q=0, en", "fr", "en"),
        ("en", "fr-FR", "fr", "en"),
        ("xx", "fr-FR", "en", "fr"),
    ],
)
def test_choose_language(
    cookie: str | None, header: str | None, default: str, expected: str
) -> None:
    assert choose_language(cookie, header, default) == expected


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="(\w+)">', html)
    assert match
    return match.group(1)


async def test_switch_sets_a_cookie_that_wins_over_the_browser(client: Any) -> None:
    response = await client.get("/language/fr", params={"next": "/cocktails?sort=name"})
    assert response.status_code == 303
    assert response.headers["location"] == "/cocktails?sort=name"
    assert "lang=fr" in response.headers["set-cookie"]
    page = await client.get("/cocktails", headers={"accept-language": "en"})
    assert lang_of(page.text) == "fr"
    assert "Galerie" in page.text
    assert 'aria-current="true">FR' in page.text.replace("\n", "").replace("  ", "")


async def test_default_language_applies_without_any_preference(database: Settings) -> None:
    for default, title in (("fr", "Galerie"), ("en", "Gallery")):
        app = create_app(dataclasses.replace(database, default_language=default))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            html = (await http.get("/cocktails")).text
        assert lang_of(html) == default
        assert title in html


def test_every_ui_string_has_a_french_translation() -> None:
    method_map = [("templates/**.html", "jinja2"), ("src/**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    used = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options)
    }
    assert len(used) > 40
    with (TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    missing = sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string))
    assert missing == []
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert fuzzy == []


async def test_switch_returns_to_the_page_in_the_referer(client: Any) -> None:
    # After htmx changed the filters the link's `next` is stale; the Referer is not.
    response = await client.get(
        "/language/en?next=/cocktails",
        headers={"referer": "http://testserver/cocktails?q=gin&sort=name"},
    )
    assert response.headers["location"] == "/cocktails?q=gin&sort=name"
    other_site = await client.get(
        "/language/en?next=/cocktails", headers={"referer": "https://evil.example/x"}
    )
    assert other_site.headers["location"] == "/cocktails"
