"""Every address answers clearly, on both engines: a search never raises whatever its text, a
cursor no page wrote is a 400 in the reader's language, and an unknown or malformed id of a
cocktail, a picture or a generation is a 404, never a 500 (issue 11, points 4 and 5)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest

from barapp.cocktails.gallery import MAX_TERMS, GalleryQuery, encode_cursor, fetch_page
from barapp.store.tables import Cocktail
from tests.factories import add_cocktails, cocktail_doc
from tests.test_gallery import at, names_in


@pytest.fixture
async def menu(database: Any) -> None:
    await add_cocktails(
        *(cocktail_doc(f"Sour {n:02}", created_at=at(n), slug=f"sour-{n:02}") for n in range(30))
    )


def cursor(*parts: str) -> str:
    """A cursor as a page would write one, of these parts (json escapes a lone surrogate)."""
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


SEARCHES = [
    "sour\x00 01",  # NUL ended FTS5's quoted string: "unterminated string" on SQLite
    "\ufdfa" * 30,  # four Arabic words each once folded: FTS5's parser stack overflowed
    "\ufdd0\ufffe\U0010ffff",
    'so"ur "" \' * AND OR NOT NEAR( ^sour',  # FTS5 syntax is only text
    "% _ \\ %%",  # LIKE's wildcards are only text
    "sour " * 20,
]


async def test_a_search_never_raises(client: httpx.AsyncClient, menu: None) -> None:
    # (One test for all: each test's database costs more than its requests.)
    for q in SEARCHES:
        response = await client.get("/cocktails", params={"q": q[:100]})
        assert response.status_code == 200, repr(q)


async def test_a_search_uses_its_first_words_each_once(menu: None) -> None:
    query = GalleryQuery.from_params({"q": "sour SOUR 01 a b c d e f g h"})
    assert query.terms == ("sour", "01", "a", "b", "c", "d", "e", "f")
    assert len(query.terms) == MAX_TERMS
    page = await fetch_page(GalleryQuery.from_params({"q": "sour sour sour 01"}))
    assert [card["name"] for card in page.cards] == ["Sour 01"]


CURSORS = [
    base64.urlsafe_b64encode(b"[" * 5000).decode(),  # RecursionError in json.loads
    cursor("name", "\ud800", str(uuid.uuid4())),  # UnicodeEncodeError in the driver
    cursor("name", "a\x00", str(uuid.uuid4())),  # NUL: a 500 on PostgreSQL
    cursor("newest", "0001-01-01T00:00:00+14:00", str(uuid.uuid4())),  # overflows in UTC
    cursor("newest", "2026-01-01T00:00:00", str(uuid.uuid4())),  # no time zone
    cursor("newest", "yesterday", str(uuid.uuid4())),
    cursor("oldest", at(3), str(uuid.uuid4())),  # another sort's
    cursor("newest", at(3), "not-a-uuid"),
    cursor("newest", at(3)),
    base64.urlsafe_b64encode(b'["newest", "\xff"]').decode(),  # not UTF-8
    "WyJ4Iiw1XQ==",  # ["x", 5]
    "not a cursor",
    "a" * 9000,
    "é",
]


async def test_a_cursor_no_page_wrote_is_a_clear_400(client: httpx.AsyncClient, menu: None) -> None:
    for after in CURSORS:
        english = await client.get("/cocktails", params={"after": after})
        assert english.status_code == 400, after
        assert "This link to more cocktails is broken." in english.text
        french = await client.get(
            "/cocktails", params={"after": after}, headers={"accept-language": "fr"}
        )
        assert french.status_code == 400, after
        assert "Ce lien vers d'autres cocktails est cassé." in french.text
        more = await client.get(
            "/cocktails", params={"after": after}, headers={"HX-Request": "true"}
        )
        assert more.status_code == 400 and "This link to more cocktails is broken." in more.text


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "name_desc"])
async def test_the_cursors_pages_write_lead_to_the_next_cards(
    client: httpx.AsyncClient, menu: None, sort: str
) -> None:
    first = await fetch_page(GalleryQuery.from_params({"sort": sort}))
    assert first.next_after == encode_cursor(sort, first.cards[-1])
    response = await client.get("/cocktails", params={"sort": sort, "after": first.next_after})
    assert response.status_code == 200
    assert len(names_in(response.text)) == 30 - len(first.cards)
    # A cursor whose card was deleted since still says where the next page starts.
    await Cocktail.delete().where(Cocktail.id == first.cards[-1]["id"])
    again = await client.get("/cocktails", params={"sort": sort, "after": first.next_after})
    assert again.status_code == 200 and len(names_in(again.text)) == 30 - len(first.cards)


PATHS = [
    "/cocktails/%00",
    "/cocktails/sour%0001",
    "/cocktails/%ED%A0%80",
    "/cocktails/" + "a" * 121,
    "/cocktails/NOT-A-SLUG",
    f"/cocktails/{uuid.uuid4()}",
    "/cocktails/%00/picture",
    "/cocktails/%00/illustration.svg",
    f"/cocktails/{uuid.uuid4()}/picture",
    f"/cocktails/{uuid.uuid4()}/illustration.svg",
    f"/generations/{uuid.uuid4()}",
    f"/generations/{uuid.uuid4()}/events",
    "/generations/not-a-uuid",
    "/generations/not-a-uuid/events",
    "/generations/%00",
    "/media/%00.webp",
    "/media/" + "0" * 64 + ".webp",
]


async def test_unknown_or_malformed_ids_are_a_404(client: httpx.AsyncClient, menu: None) -> None:
    for path in PATHS:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Traceback" not in response.text


async def test_unknown_ids_in_a_bartenders_action_are_a_404(
    bartender: httpx.AsyncClient,
) -> None:
    for path in (f"/cocktails/{uuid.uuid4()}/hide", "/cocktails/%00/hide", "/cocktails/%00/edit"):
        response = await bartender.post(path, data={"next": "/bar"})
        assert response.status_code == 404, path
