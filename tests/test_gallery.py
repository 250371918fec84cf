"""The gallery: filters, sorts, keyset pagination and its htmx fragments, on both engines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from barapp.cocktails.gallery import PAGE_SIZE, SORTS, GalleryQuery, fetch_page
from barapp.cocktails.model import fold, parse_record, search_text
from barapp.store.db import current_engine
from barapp.store.tables import Cocktail
from tests.factories import add_cocktails, cocktail_doc

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def names_in(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"[^>]*>(.*?)</h2>', html)


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
async def menu(database: Any) -> None:
    await add_cocktails(
        cocktail_doc(
            "Basil Smash",
            created_at=at(1),
            ingredients=[{"name": "Gin", "amount": 6, "unit": "cl"}, {"name": "Basil"}],
            llm_model="llama3.1:8b",
        ),
        cocktail_doc(
            "Virgin Mojito",
            created_at=at(2),
            alcoholic=False,
            description="Menthe fraîche et citron vert.",
            ingredients=[{"name": "Menthe", "amount": 12, "unit": "feuilles"}],
            llm_model="qwen2.5:7b",
        ),
        cocktail_doc(
            "Crème Brûlée Flip",
            created_at=at(3),
            ingredients=[{"name": "Crème de cacao", "amount": 2, "unit": "cl"}],
            llm_model="qwen2.5:7b",
        ),
        cocktail_doc("Zombie", created_at=at(4), llm_model="mistral:7b"),
        cocktail_doc("Hidden Gem", created_at=at(5), visibility="hidden"),
        cocktail_doc("Waiting Room", created_at=at(6), visibility="pending"),
    )


async def gallery(client: Any, url: str, **headers: str) -> str:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.text)


async def test_gallery_lists_visible_cocktails_newest_first(client: Any, menu: None) -> None:
    html = await gallery(client, "/cocktails")
    assert names_in(html) == ["Zombie", "Crème Brûlée Flip", "Virgin Mojito", "Basil Smash"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("oldest", ["Basil Smash", "Virgin Mojito", "Crème Brûlée Flip", "Zombie"]),
        ("name", ["Basil Smash", "Crème Brûlée Flip", "Virgin Mojito", "Zombie"]),
        ("name_desc", ["Zombie", "Virgin Mojito", "Crème Brûlée Flip", "Basil Smash"]),
    ],
)
async def test_gallery_sorts(client: Any, menu: None, sort: str, expected: list[str]) -> None:
    assert names_in(await gallery(client, f"/cocktails?sort={sort}")) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("basil", ["Basil Smash"]),  # an ingredient, any case
        ("SMASH", ["Basil Smash"]),  # the name
        ("citron", ["Virgin Mojito"]),  # the description
        ("creme", ["Crème Brûlée Flip"]),  # accents do not matter...
        ("brûlée cacao", ["Crème Brûlée Flip"]),  # ...and every word must match
        ("gin basil", ["Basil Smash"]),
        ("100%", []),  # LIKE wildcards are literal
        ("_", []),
        ("gem", []),  # hidden cocktails are never found
    ],
)
async def test_gallery_text_search(client: Any, menu: None, q: str, expected: list[str]) -> None:
    response = await client.get("/cocktails", params={"q": q})
    assert response.status_code == 200
    assert names_in(response.text) == expected


async def test_gallery_model_and_alcohol_filters(client: Any, menu: None) -> None:
    html = await gallery(client, "/cocktails?model=qwen2.5:7b")
    assert names_in(html) == ["Crème Brûlée Flip", "Virgin Mojito"]
    html = await gallery(client, "/cocktails?alcohol=virgin")
    assert names_in(html) == ["Virgin Mojito"]
    html = await gallery(client, "/cocktails?alcohol=alcoholic&model=qwen2.5:7b")
    assert names_in(html) == ["Crème Brûlée Flip"]
    html = await gallery(client, "/cocktails?model=unknown:1b")
    assert names_in(html) == []
    assert "No cocktail matches these filters." in html


async def test_gallery_model_choices_come_from_visible_cocktails(client: Any, menu: None) -> None:
    html = await gallery(client, "/cocktails")
    options = re.findall(
        r'<option value="([^"]*)"', html.split('id="model"')[1].split("</select>")[0]
    )
    assert options == ["", "llama3.1:8b", "mistral:7b", "qwen2.5:7b"]


async def test_gallery_form_keeps_the_url_state(client: Any, menu: None) -> None:
    html = await gallery(client, "/cocktails?q=basil&alcohol=virgin&sort=name")
    assert 'value="basil"' in html
    assert '<option value="virgin" selected>' in html
    assert '<option value="name" selected>' in html


async def test_gallery_empty_state_explains_what_to_do(client: Any) -> None:
    html = await gallery(client, "/cocktails")
    assert names_in(html) == []
    assert "No cocktails yet." in html
    assert "barapp import" in html


@pytest.mark.parametrize(
    "url",
    [
        "/cocktails?sort=price",
        "/cocktails?alcohol=maybe",
        "/cocktails?q=" + "x" * 101,
    ],
)
async def test_gallery_unknown_filter_is_a_400_page(client: Any, url: str) -> None:
    response = await client.get(url, headers={"accept-language": "en"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "This filter is not one we know." in response.text


async def test_gallery_400_page_speaks_french(client: Any) -> None:
    response = await client.get("/cocktails?sort=prix", headers={"accept-language": "fr"})
    assert response.status_code == 400
    assert "Ce filtre nous est inconnu." in response.text
    assert "« prix »" in response.text


async def test_htmx_filter_returns_only_results_and_pushes_the_url(client: Any, menu: None) -> None:
    response = await client.get(
        "/cocktails?q=basil&model=&alcohol=&sort=newest", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="results"')
    assert "<html" not in response.text
    assert names_in(response.text) == ["Basil Smash"]
    assert response.headers["HX-Push-Url"] == "/cocktails?q=basil"
    assert "HX-Request" in response.headers["Vary"]


async def test_htmx_history_restore_gets_the_full_page(client: Any, menu: None) -> None:
    response = await client.get(
        "/cocktails?q=basil",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.text
    assert names_in(response.text) == ["Basil Smash"]


async def fill(count: int, same_time: bool = False) -> None:
    await add_cocktails(
        *(
            cocktail_doc(f"Drink {i:03d}", created_at=at(0 if same_time else i))
            for i in range(count)
        )
    )


@pytest.mark.parametrize(("count", "pages"), [(0, 1), (1, 1), (24, 1), (25, 2), (48, 2), (49, 3)])
async def test_pagination_boundaries(database: Any, count: int, pages: int) -> None:
    await fill(count)
    seen: list[str] = []
    query = GalleryQuery()
    for _ in range(pages):
        page = await fetch_page(query)
        assert len(page.cards) == min(PAGE_SIZE, count - len(seen))
        seen += [card["name"] for card in page.cards]
        if page.next_after is None:
            break
        query = GalleryQuery.from_params({"after": page.next_after})
    assert page.next_after is None
    assert len(seen) == count == len(set(seen))


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "name_desc"])
async def test_keyset_walk_visits_every_cocktail_once_even_with_ties(
    database: Any, sort: str
) -> None:
    # Identical timestamps: only the id tie-break keeps pages from overlapping or skipping.
    await fill(60, same_time=True)
    await add_cocktails(*(cocktail_doc("Same Name", slug=f"same-{i}") for i in range(30)))
    ids: list[str] = []
    after = ""
    while True:
        page = await fetch_page(GalleryQuery.from_params({"sort": sort, "after": after}))
        ids += [str(card["id"]) for card in page.cards]
        if not page.next_after:
            break
        after = page.next_after
    assert len(ids) == 90 == len(set(ids))


async def test_infinite_scroll_fragment_and_no_js_link(client: Any) -> None:
    await fill(30)
    html = await gallery(client, "/cocktails?sort=oldest")
    assert len(names_in(html)) == 24
    more = re.search(r'<li class="more" hx-get="([^"]+)" hx-trigger="revealed"', html)
    assert more is not None
    next_url = more.group(1).replace("&amp;", "&")
    assert "sort=oldest" in next_url
    assert f'href="{more.group(1)}"' in html  # the same page without JavaScript

    fragment = await gallery(client, next_url, **{"HX-Request": "true"})
    assert "<html" not in fragment
    assert "HX-Push-Url" not in fragment
    assert names_in(fragment) == [f"Drink {i:03d}" for i in range(24, 30)]
    assert 'class="more"' not in fragment

    full = await gallery(client, next_url)  # the no-JS "More cocktails" link
    assert "<html" in full
    assert names_in(full) == [f"Drink {i:03d}" for i in range(24, 30)]


async def test_gallery_cards_show_the_promised_fields(client: Any) -> None:
    await add_cocktails(
        cocktail_doc(
            "Paloma",
            description="Tequila and grapefruit.",
            music={"title": "Oye Como Va", "artist": "Santana"},
            llm_model="qwen2.5:7b",
            created_at="2026-05-05T16:45:00+00:00",
        )
    )
    html = await gallery(client, "/cocktails", **{"accept-language": "en"})
    card = html.split('<li class="card">')[1]
    for text in ("Paloma", "Tequila and grapefruit.", "Gin", "Campari", "Oye Como Va", "Santana"):
        assert text in card
    assert "qwen2.5:7b" in card
    assert "May 5, 2026" in card
    # No picture: the built-in illustration of this very cocktail.
    cocktail_id = card.split('href="/cocktails/')[1].split('"')[0]
    assert f'src="/cocktails/{cocktail_id}/illustration.svg"' in card


# --- The text search's plans ------------------------------------------------------------------
# A trigram index serves the search on both engines (pg_trgm; FTS5 on SQLite). On SQLite the
# gallery reads the index's matches when they are few (at most gallery.FEW_MATCHES) and walks the
# sort order otherwise: both plans must give what the LIKE alone gives, page after page.

BOTH_PLANS = pytest.mark.parametrize(
    "few_matches", [1_000_000, 0], ids=["from-the-index", "walking-the-sort"]
)


async def search_all_pages(params: dict[str, str]) -> list[str]:
    names: list[str] = []
    after = ""
    while True:
        page = await fetch_page(GalleryQuery.from_params({**params, "after": after}))
        names += [card["name"] for card in page.cards]
        if not page.next_after:
            return names
        after = page.next_after


def folded_text(doc: dict[str, Any]) -> str:
    return search_text(parse_record(doc))


@BOTH_PLANS
@pytest.mark.parametrize("sort", list(SORTS))
async def test_rare_and_common_terms_page_through_the_same_results_with_either_plan(
    database: Any, monkeypatch: pytest.MonkeyPatch, sort: str, few_matches: int
) -> None:
    # 30 of 80 visible cocktails mention yuzu, by pairs with the same timestamp; all have gin.
    docs = [
        cocktail_doc(
            f"{'Yuzu' if i % 8 < 3 else 'Plain'} {i:02d}",
            created_at=at(i // 2),
            description="Yuzu and gin." if i % 8 == 2 else f"Number {i}.",
        )
        for i in range(80)
    ]
    docs += [cocktail_doc("Twin Yuzu", slug=f"twin-{i}", created_at=at(7)) for i in range(2)]
    await add_cocktails(
        *docs,
        cocktail_doc("Yuzu Hidden", visibility="hidden"),
        cocktail_doc("Yuzu Pending", visibility="pending"),
    )
    text = {doc["name"]: folded_text(doc) for doc in docs}
    everything = await search_all_pages({"sort": sort})
    monkeypatch.setattr("barapp.cocktails.gallery.FEW_MATCHES", few_matches)
    for q in ["yuzu", "GIN", "yuzu gin", "yuzu 1", "number 1"]:
        terms = fold(q).split()
        expected = [name for name in everything if all(t in text[name] for t in terms)]
        found = await search_all_pages({"q": q, "sort": sort})
        assert found == expected, q
    assert len(await search_all_pages({"q": "yuzu", "sort": sort})) == 32 > PAGE_SIZE


@BOTH_PLANS
async def test_short_terms_wildcards_and_quotes_are_literal_with_either_plan(
    database: Any, monkeypatch: pytest.MonkeyPatch, few_matches: int
) -> None:
    monkeypatch.setattr("barapp.cocktails.gallery.FEW_MATCHES", few_matches)
    await add_cocktails(
        cocktail_doc("Agave Percent", description="100% agave, 5_0 proof, 50\\50 split."),
        cocktail_doc("Agave Plain", description="100 agave, 5x0 proof, 50 50 split."),
        cocktail_doc("Quoted Cup", description='Say "cheers" twice. Zq.'),
        cocktail_doc("Kir", description="Cassis and white wine."),
    )
    cases = {
        "%": ["Agave Percent"],
        "0%": ["Agave Percent"],  # 2 characters: too short for trigrams
        "100%": ["Agave Percent"],
        "_": ["Agave Percent"],
        "5_0": ["Agave Percent"],
        "0\\5": ["Agave Percent"],
        "zq": ["Quoted Cup"],
        "ki": ["Kir"],
        "k": ["Kir"],
        "e": ["Agave Percent", "Agave Plain", "Quoted Cup", "Kir"],
        '"cheers"': ["Quoted Cup"],
        'say "': ["Quoted Cup"],
        '"': ["Quoted Cup"],
        '"cheers': ["Quoted Cup"],
        'cheers" twice': ["Quoted Cup"],
        "drink*": [],  # no FTS5 prefix query...
        "cassis OR zq": [],  # ...nor operator
        "cassis AND wine": ["Kir"],  # "and" is a plain word of the description
        "agave ki": [],
    }
    for q, expected in cases.items():
        found = await search_all_pages({"q": q, "sort": "name"})
        assert found == sorted(expected), q


async def fts_index_is_consistent() -> None:
    """On SQLite, FTS5 compares its index with the cocktail table (an error if they differ)."""
    if current_engine().engine_type == "sqlite":
        await Cocktail.raw(
            "INSERT INTO cocktail_search (cocktail_search, rank) VALUES ('integrity-check', 1)"
        )


async def test_search_follows_new_renamed_and_deleted_cocktails(database: Any) -> None:
    await add_cocktails(cocktail_doc("Yuzu Fizz", slug="fizz"), cocktail_doc("Kir", slug="kir"))
    assert await search_all_pages({"q": "yuzu"}) == ["Yuzu Fizz"]
    await add_cocktails(cocktail_doc("Kumquat Fizz", slug="fizz"))  # an update of the name
    assert await search_all_pages({"q": "kumquat"}) == ["Kumquat Fizz"]
    assert await search_all_pages({"q": "yuzu"}) == []
    await Cocktail.update({Cocktail.visibility: "hidden"}).where(Cocktail.slug == "kir")
    assert await search_all_pages({"q": "kir"}) == []
    await Cocktail.update({Cocktail.visibility: "visible"}).where(Cocktail.slug == "kir")
    assert await search_all_pages({"q": "kir"}) == ["Kir"]
    await fts_index_is_consistent()

    await Cocktail.delete().where(Cocktail.slug == "fizz")
    assert await search_all_pages({"q": "kumquat"}) == []
    assert await search_all_pages({"q": "fizz"}) == []
    await fts_index_is_consistent()
    await add_cocktails(cocktail_doc("Yuzu Sour", slug="sour"))  # may reuse the deleted rowid
    assert await search_all_pages({"q": "kumquat"}) == []
    assert await search_all_pages({"q": "yuzu"}) == ["Yuzu Sour"]
    await fts_index_is_consistent()


async def test_a_cursor_of_the_wrong_shape_is_a_400_not_a_crash(client: Any) -> None:
    response = await client.get("/cocktails", params={"after": "WyJ4Iiw1XQ=="})  # ["x", 5]
    assert response.status_code == 400
