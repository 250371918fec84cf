"""Ratings on both engines: a guest's vote, changed, beside another guest's; the drink's totals
and "most loved" key exact, concurrent votes included; the quota, CSRF, hidden and pending
drinks, a bartender's reset; the form without JavaScript (303) and with htmx (the block
swapped); the gallery's "Most loved" sort and its pages; the rating on cards and in the log."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from barapp.cocktails.gallery import PAGE_SIZE, GalleryQuery, encode_cursor, fetch_page
from barapp.ratings import votes
from barapp.ratings.loved import score
from barapp.ratings.quota import GUEST_VOTES_PER_HOUR, VoteQuota
from barapp.store.tables import Cocktail, Generation, Rating
from tests.conftest import app_client
from tests.factories import add_cocktails, cocktail_doc

BASE = datetime(2026, 1, 1, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


def names_in(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"[^>]*>(.*?)</h2>', html)


def pressed(html: str) -> list[str]:
    """The star buttons shown pressed (the guest's own vote)."""
    return re.findall(r'value="(\d)" id="[^"]+" aria-pressed="true"', html)


async def id_of(name: str) -> uuid.UUID:
    row = await Cocktail.select(Cocktail.id).where(Cocktail.name == name).first()
    assert row is not None, name
    return uuid.UUID(str(row["id"]))


async def totals_of(name: str) -> tuple[int, int, float]:
    row = await (
        Cocktail.select(Cocktail.rating_count, Cocktail.rating_sum, Cocktail.loved_key)
        .where(Cocktail.name == name)
        .first()
    )
    return row["rating_count"], row["rating_sum"], row["loved_key"]


@pytest.fixture
async def menu(app: Any) -> Any:
    await add_cocktails(
        cocktail_doc("Negroni", created_at=at(1)),
        cocktail_doc("Basil Smash", created_at=at(2)),
        cocktail_doc("Zombie", created_at=at(3)),
    )
    return app


async def rate(client: httpx.AsyncClient, ident: Any, stars: Any, **headers: str) -> Any:
    return await client.post(
        f"/cocktails/{ident}/rating",
        data={"stars": str(stars), "next": f"/cocktails/{ident}"},
        headers=headers,
    )


# --- Votes ----------------------------------------------------------------------------------


async def test_a_vote_a_changed_vote_and_another_guests_keep_exact_totals(
    menu: Any, guest: httpx.AsyncClient
) -> None:
    negroni = await id_of("Negroni")
    assert (await rate(guest, negroni, 4)).status_code == 303
    assert await totals_of("Negroni") == (1, 4, score(1, 4))
    # A second vote of the same guest replaces the first.
    assert (await rate(guest, negroni, 2)).status_code == 303
    assert await totals_of("Negroni") == (1, 2, score(1, 2))
    async with app_client(menu) as other:
        assert (await rate(other, "negroni", 5)).status_code == 303  # by its slug too
    assert await totals_of("Negroni") == (2, 7, score(2, 7))
    assert score(2, 7) == pytest.approx((7 + 6) / 4)
    rows = await Rating.select(Rating.stars).where(Rating.cocktail == negroni)
    assert sorted(r["stars"] for r in rows) == [2, 5]
    # Nothing happened to the other drinks.
    assert await totals_of("Zombie") == (0, 0, 0.0)


async def test_concurrent_votes_keep_the_totals_exact(menu: Any) -> None:
    negroni = await id_of("Negroni")
    guests = [f"guest-{i}" for i in range(12)]
    stars = [1 + i % 5 for i in range(12)]
    await asyncio.gather(*(votes.vote(negroni, g, s) for g, s in zip(guests, stars, strict=True)))
    assert await totals_of("Negroni") == (12, sum(stars), score(12, sum(stars)))
    # One guest's votes racing each other (two tabs): one row, the totals still exact.
    changes = [5, 1, 3, 2, 4, 5]
    await asyncio.gather(*(votes.vote(negroni, "guest-0", s) for s in changes))
    count, total, key = await totals_of("Negroni")
    mine = await votes.stars_of(negroni, "guest-0")
    assert mine in changes
    assert (count, total) == (12, sum(stars) - stars[0] + mine)
    assert key == score(count, total)
    rows = await Rating.select(Rating.stars).where(Rating.cocktail == negroni)
    assert len(rows) == 12 and sum(r["stars"] for r in rows) == total


async def test_concurrent_votes_over_http_keep_the_totals_exact(menu: Any) -> None:
    zombie = await id_of("Zombie")
    clients = [app_client(menu) for _ in range(8)]
    try:
        answers = await asyncio.gather(
            *(rate(c, zombie, 1 + i % 5, **HTMX) for i, c in enumerate(clients))
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert [a.status_code for a in answers] == [200] * 8
    expected = sum(1 + i % 5 for i in range(8))
    assert await totals_of("Zombie") == (8, expected, score(8, expected))


async def test_stars_out_of_range_are_refused(menu: Any, guest: httpx.AsyncClient) -> None:
    negroni = await id_of("Negroni")
    for bad in ("0", "6", "-1", "4.5", "", "٣", "four", "44"):
        response = await rate(guest, negroni, bad)
        assert response.status_code == 400, bad
        assert "Choose from 1 to 5 stars." in response.text
    assert await totals_of("Negroni") == (0, 0, 0.0)
    assert await Rating.count() == 0


def test_the_score_of_a_few_votes_stays_below_many_good_ones() -> None:
    # One guest's 5 stars do not beat twenty guests' 4.6.
    assert score(1, 5) < score(20, 92)
    assert score(0, 0) == 0.0 < score(1, 1)


# --- Protection -----------------------------------------------------------------------------


async def test_the_quota_counts_every_vote_per_guest_and_spares_bartenders(
    menu: Any, guest: httpx.AsyncClient, bartender: httpx.AsyncClient
) -> None:
    assert GUEST_VOTES_PER_HOUR == 60
    menu.state.rating_quota = VoteQuota(per_guest=3, per_ip=100)
    negroni = await id_of("Negroni")
    for stars in (1, 2, 3):  # changes count: each is a write
        assert (await rate(guest, negroni, stars)).status_code == 303
    refused = await rate(guest, negroni, 5, **HTMX)
    assert refused.status_code == 429
    assert "That is a lot of votes for one hour." in refused.text
    assert pressed(refused.text) == ["3"]  # the vote that counted
    assert await totals_of("Negroni") == (1, 3, score(1, 3))
    # Another guest has their own hour; a bartender is not counted.
    async with app_client(menu) as other:
        assert (await rate(other, negroni, 5)).status_code == 303
    for stars in (1, 2, 3, 4):
        assert (await rate(bartender, negroni, stars)).status_code == 303


async def test_the_quota_per_address_covers_many_sessions(menu: Any) -> None:
    menu.state.rating_quota = VoteQuota(per_guest=10, per_ip=2)
    negroni = await id_of("Negroni")
    answers = []
    for _ in range(3):
        async with app_client(menu, address="203.0.113.7") as one:
            answers.append((await rate(one, negroni, 4)).status_code)
    async with app_client(menu, address="203.0.113.8") as elsewhere:
        answers.append((await rate(elsewhere, negroni, 4)).status_code)
    assert answers == [303, 303, 429, 303]
    assert await totals_of("Negroni") == (3, 12, score(3, 12))


def test_the_quota_window_slides_and_forgets_the_oldest_keys() -> None:
    now = [0.0]
    quota = VoteQuota(per_guest=2, per_ip=3, window=3600, clock=lambda: now[0], max_keys=4)
    assert [quota.take("a", "ip1"), quota.take("a", "ip1")] == [None, None]
    assert quota.take("a", "ip1") == "quota_guest"
    assert quota.take("b", "ip1") is None
    assert quota.take("c", "ip1") == "quota_ip"  # refused: nothing counted for "c"
    now[0] = 3600.5  # an hour later the first votes are out of the window
    assert quota.take("a", "ip1") is None
    for guest in "defgh":
        quota.take(guest, "")
    assert len(quota._seen) <= 4


async def test_a_vote_without_the_pages_token_is_refused(menu: Any) -> None:
    negroni = await id_of("Negroni")
    async with app_client(menu, csrf=False) as stale:
        response = await rate(stale, negroni, 5)
        assert response.status_code == 403
        assert "This page had expired." in response.text
        # The refusal leads back to the drink's page, never to a form to send again.
        assert f'href="/cocktails/{negroni}"' in response.text
        reset = await stale.post(f"/cocktails/{negroni}/rating/reset", data={})
        assert reset.status_code == 403
    assert await Rating.count() == 0


async def test_guests_cannot_rate_hidden_or_pending_drinks(
    menu: Any, guest: httpx.AsyncClient, bartender: httpx.AsyncClient
) -> None:
    await Cocktail.update({Cocktail.visibility: "hidden"}).where(Cocktail.name == "Zombie")
    await Cocktail.update({Cocktail.visibility: "pending"}).where(Cocktail.name == "Basil Smash")
    for name in ("Zombie", "Basil Smash"):
        ident = await id_of(name)
        assert (await rate(guest, ident, 5)).status_code == 404
        assert (await rate(guest, ident, 5, **HTMX)).status_code == 404
        assert (await guest.get(f"/cocktails/{ident}/rating", headers=HTMX)).status_code == 404
    assert (await rate(guest, uuid.uuid4(), 5)).status_code == 404
    assert (await rate(guest, "no-such-drink", 5)).status_code == 404
    assert await Rating.count() == 0
    # Its own wisher does not rate a drink waiting for approval either.
    smash = await id_of("Basil Smash")
    await Generation.insert(
        Generation(wish="w", model="m", status="done", cocktail=smash, guest="x")
    )
    assert (await rate(guest, smash, 5)).status_code == 404
    # A bartender sees every drink, and may rate it.
    assert (await rate(bartender, await id_of("Zombie"), 2)).status_code == 303
    assert await totals_of("Zombie") == (1, 2, score(1, 2))


async def test_only_a_bartender_resets_a_drinks_ratings(
    menu: Any, guest: httpx.AsyncClient, bartender: httpx.AsyncClient
) -> None:
    negroni, zombie = await id_of("Negroni"), await id_of("Zombie")
    await rate(guest, negroni, 5)
    await rate(bartender, negroni, 3)
    await rate(guest, zombie, 4)
    refused = await guest.post(f"/cocktails/{negroni}/rating/reset", data={"next": "/"})
    assert refused.status_code == 403
    assert await totals_of("Negroni") == (2, 8, score(2, 8))
    done = await bartender.post(
        f"/cocktails/{negroni}/rating/reset", data={"next": "/bar/generations?status=all"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/bar/generations?status=all"
    assert await totals_of("Negroni") == (0, 0, 0.0)
    assert await Rating.count().where(Rating.cocktail == negroni) == 0
    assert await totals_of("Zombie") == (1, 4, score(1, 4))  # the other drink keeps its votes
    # With htmx: the block, reset, in place.
    await rate(guest, negroni, 2)
    swapped = await bartender.post(f"/cocktails/{negroni}/rating/reset", data={}, headers=HTMX)
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith('<section class="rating"')
    assert "rating-summary" not in swapped.text and pressed(swapped.text) == []
    # The guest may vote again after a reset.
    assert (await rate(guest, negroni, 4)).status_code == 303
    assert await totals_of("Negroni") == (1, 4, score(1, 4))


# --- The form, with and without JavaScript ---------------------------------------------------


async def test_without_javascript_a_vote_is_a_post_and_a_redirect_back(
    menu: Any, guest: httpx.AsyncClient
) -> None:
    negroni = await id_of("Negroni")
    page = (await guest.get("/cocktails/negroni")).text
    form = re.search(
        r'<form class="rating-form" method="post" action="([^"]+)"(.*?)</form>', page, re.S
    )
    assert form is not None and form.group(1) == f"/cocktails/{negroni}/rating"
    assert 'name="csrf_token"' in form.group(2)
    assert f'name="next" value="/cocktails/{negroni}"' in form.group(2)
    for n in range(1, 6):
        label = "1 star out of 5" if n == 1 else f"{n} stars out of 5"
        assert f'name="stars" value="{n}"' in form.group(2) and label in form.group(2)
    assert pressed(page) == []
    assert "Had it? Tap a star" in page
    # The page looked the vote up itself: no htmx load of the block.
    assert 'hx-trigger="load"' not in page
    response = await guest.post(
        f"/cocktails/{negroni}/rating", data={"stars": "4", "next": f"/cocktails/{negroni}"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/cocktails/{negroni}"
    page = (await guest.get("/cocktails/negroni")).text
    assert pressed(page) == ["4"]
    assert "You gave it 4 stars." in page
    assert "★</span> 4 (1)" in page and "Rated 4 out of 5 by 1 guest" in page
    # `next` is a path on this site, or the drink's page.
    response = await guest.post(
        f"/cocktails/{negroni}/rating", data={"stars": "3", "next": "https://evil.example/"}
    )
    assert response.headers["location"] == f"/cocktails/{negroni}"


async def test_a_refused_vote_without_javascript_is_a_page_of_its_own(
    menu: Any, guest: httpx.AsyncClient
) -> None:
    negroni = await id_of("Negroni")
    response = await rate(guest, negroni, 9)
    assert response.status_code == 400
    assert "<html" in response.text
    assert re.search(r'<h1 class="page-title"[^>]*>Negroni</h1>', response.text)
    assert 'class="rating-form"' in response.text  # the stars, to choose again
    # A plain GET of the block is that page too.
    page = await guest.get(f"/cocktails/{negroni}/rating?next=/cocktails")
    assert page.status_code == 200 and "<html" in page.text and 'href="/cocktails"' in page.text


async def test_with_htmx_the_block_swaps_itself_with_its_new_state(
    menu: Any, guest: httpx.AsyncClient
) -> None:
    negroni = await id_of("Negroni")
    response = await rate(guest, negroni, 5, **HTMX)
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and html.lstrip().startswith('<section class="rating"')
    assert f'id="rating-{negroni}"' in html
    assert 'hx-target="closest .rating"' in html and 'hx-swap="outerHTML"' in html
    assert pressed(html) == ["5"] and html.count("rating-star-on") == 5
    assert "You gave it 5 stars." in html and "Rated 5 out of 5 by 1 guest" in html
    # The star keeps its id across the swap, so the keyboard's focus stays on it.
    assert f'id="rating-{negroni}-5"' in html
    html = (await rate(guest, negroni, 2, **HTMX)).text
    assert pressed(html) == ["2"] and html.count("rating-star-on") == 2
    # The heading keeps the level of the card it sits in (h3 on the drink stage).
    html = (
        await guest.post(
            f"/cocktails/{negroni}/rating", data={"stars": "3", "heading": "h3"}, headers=HTMX
        )
    ).text
    assert '<h3 class="rating-title"' in html
    loaded = await guest.get(f"/cocktails/{negroni}/rating?heading=h3&next=/x", headers=HTMX)
    assert pressed(loaded.text) == ["3"] and 'name="next" value="/x"' in loaded.text
    assert 'hx-trigger="load"' not in loaded.text


async def test_the_drink_stage_loads_the_block_with_the_guests_vote(
    menu: Any, guest: httpx.AsyncClient
) -> None:
    negroni = await id_of("Negroni")
    gen = Generation(wish="bitter", model="m", status="done", cocktail=negroni, guest="x")
    await Generation.insert(gen)
    page = (await guest.get(f"/generations/{gen.id}")).text
    block = re.search(r'<section class="rating"[^>]*>', page)
    assert block is not None
    assert f'hx-get="/cocktails/{negroni}/rating?next=/generations/{gen.id}' in block.group(0)
    assert 'hx-trigger="load"' in block.group(0)
    assert '<h3 class="rating-title"' in page


async def test_the_french_block(menu: Any) -> None:
    async with app_client(menu, lang="fr") as french:
        await rate(french, "negroni", 4)
        page = (await french.get("/cocktails/negroni")).text
    assert "Noter ce cocktail" in page
    assert "4 étoiles sur 5" in page and "Vous lui avez donné 4 étoiles." in page
    assert "Noté 4 sur 5 par 1 client" in page


# --- The gallery, the cards and the log -------------------------------------------------------


async def test_cards_show_the_rating_and_nothing_when_unrated(
    menu: Any, guest: httpx.AsyncClient
) -> None:
    negroni = await id_of("Negroni")
    for stars in (4, 5, 4):
        async with app_client(menu) as one:
            await rate(one, negroni, stars)
    html = (await guest.get("/cocktails")).text
    cards = re.findall(r'<li class="card">.*?</li>\s*(?=<li class="card">|</ul>|</ol>)', html, re.S)
    by_name = {names_in(c)[0]: c for c in cards}
    assert "★</span> 4.3 (3)" in by_name["Negroni"]
    assert "Rated 4.3 out of 5 by 3 guests" in by_name["Negroni"]
    assert "rating-summary" not in by_name["Zombie"]
    async with app_client(menu, lang="fr") as french:
        assert "★</span> 4,3 (3)" in (await french.get("/cocktails")).text


async def test_most_loved_sort_orders_by_the_score_then_unrated(
    menu: Any, guest: httpx.AsyncClient
) -> None:
    await add_cocktails(cocktail_doc("Daiquiri", created_at=at(4)))
    ids = {name: await id_of(name) for name in ("Negroni", "Basil Smash", "Zombie", "Daiquiri")}
    # One 5 does not beat four guests' 4.5 on average.
    await votes.vote(ids["Zombie"], "g1", 5)
    for i, stars in enumerate((4, 5, 4, 5)):
        await votes.vote(ids["Negroni"], f"g{i}", stars)
    await votes.vote(ids["Basil Smash"], "g1", 1)
    html = (await guest.get("/cocktails?sort=loved")).text
    assert names_in(html) == ["Negroni", "Zombie", "Basil Smash", "Daiquiri"]
    assert 'value="loved" selected' in html and "Most loved" in html
    # A hidden drink is never shown, however loved.
    await Cocktail.update({Cocktail.visibility: "hidden"}).where(Cocktail.id == ids["Negroni"])
    assert names_in((await guest.get("/cocktails?sort=loved")).text)[0] == "Zombie"


async def test_most_loved_sort_pages_through_every_drink_once(database: Any) -> None:
    count = PAGE_SIZE * 2 + 5
    await add_cocktails(*(cocktail_doc(f"D{i:03}", created_at=at(i)) for i in range(count)))
    rows = await Cocktail.select(Cocktail.id, Cocktail.name)
    for i, row in enumerate(sorted(rows, key=lambda r: r["name"])):
        # Ties (the same votes on several drinks) and unrated ones, whose order the id settles.
        if i % 6:
            for g in range(i % 4 + 1):
                await votes.vote(row["id"], f"g{g}", 1 + (i + g) % 5)
    seen: list[dict[str, Any]] = []
    query = GalleryQuery.from_params({"sort": "loved"})
    while True:
        page = await fetch_page(query)
        seen += page.cards
        if not page.next_after:
            break
        query = GalleryQuery.from_params({"sort": "loved", "after": page.next_after})
    assert len(seen) == count and len({c["id"] for c in seen}) == count
    keys = [(c["loved_key"], c["id"]) for c in seen]
    assert keys == sorted(keys, reverse=True)
    assert all(c["loved_key"] == score(c["rating_count"], c["rating_sum"]) for c in seen)
    unrated = [c for c in seen if c["rating_count"] == 0]
    assert unrated and seen[-len(unrated) :] == unrated


def test_a_loved_cursor_round_trips() -> None:
    ident = uuid.uuid4()
    after = encode_cursor("loved", {"loved_key": score(3, 13), "id": ident})
    assert GalleryQuery(sort="loved", after=after).cursor() == (score(3, 13), ident)


async def test_the_log_shows_each_drinks_rating_with_its_reset(
    menu: Any, bartender: httpx.AsyncClient
) -> None:
    negroni, zombie = await id_of("Negroni"), await id_of("Zombie")
    for cocktail in (negroni, zombie):
        await Generation.insert(Generation(wish="w", model="m", status="done", cocktail=cocktail))
    await votes.vote(negroni, "g1", 3)
    await votes.vote(negroni, "g2", 4)
    html = (await bartender.get("/bar/generations?status=all")).text
    assert "★</span> 3.5 (2)" in html and "Not rated yet" in html
    assert f'action="/cocktails/{negroni}/rating/reset"' in html
    assert f'action="/cocktails/{zombie}/rating/reset"' not in html
    assert 'name="next" value="/bar/generations?status=all"' in html


async def test_a_deleted_drink_takes_its_votes_and_a_vote_for_it_is_a_404(
    menu: Any, guest: httpx.AsyncClient, bartender: httpx.AsyncClient
) -> None:
    negroni = await id_of("Negroni")
    await rate(guest, negroni, 5)
    deleted = await bartender.post(f"/cocktails/{negroni}/delete", data={"next": "/cocktails"})
    assert deleted.status_code == 303
    assert await Rating.count() == 0  # the foreign key cascades, on both engines
    assert (await rate(guest, negroni, 4)).status_code == 404
    with pytest.raises(votes.Gone):
        await votes.vote(negroni, "g1", 4)
    assert await Rating.count() == 0
