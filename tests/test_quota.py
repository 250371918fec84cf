"""Who may wish, and how often: the guests' hourly quota per browser and per address, the
switch that keeps wishes for the bartenders, and friendly pages instead of a bare 429."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.tables import Generation
from tests.conftest import app_client
from tests.fake_ollama import FakeOllama


@pytest.fixture
async def make_app(database: Settings, fake_ollama: FakeOllama) -> AsyncIterator[Any]:
    apps = []

    def make(**bar: Any) -> Any:
        settings = dataclasses.replace(
            database, ollama_host=fake_ollama.host, ollama_default_model="llama3.1:8b", **bar
        )
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.state.jobs.shutdown()


async def wish(client: Any, text: str = "a gin basil smash") -> Any:
    return await client.post(
        "/generate", data={"wish": text, "model": "llama3.1:8b"}, headers={"HX-Request": "true"}
    )


async def test_a_guest_past_the_hourly_quota_gets_a_friendly_answer(make_app: Any) -> None:
    app = make_app(guest_wishes_per_hour=2, ip_wishes_per_hour=0)
    async with app_client(app) as guest, app_client(app) as neighbour:
        assert (await wish(guest)).status_code == 200
        assert (await wish(guest)).status_code == 200
        third = await wish(guest, "one more: a <i>paloma</i>")
        assert third.status_code == 429
        assert "You have made many wishes this hour" in third.text
        # Another guest (another browser) still may.
        assert (await wish(neighbour)).status_code == 200
    assert await Generation.count() == 3


async def test_the_quota_per_address_counts_every_browser_behind_it(make_app: Any) -> None:
    app = make_app(guest_wishes_per_hour=0, ip_wishes_per_hour=2)
    async with app_client(app) as one, app_client(app) as two, app_client(app) as three:
        assert (await wish(one)).status_code == 200
        assert (await wish(two)).status_code == 200
        refused = await wish(three)
    assert refused.status_code == 429
    assert "Many wishes came from this place this hour" in refused.text


async def test_the_refused_wish_stays_in_the_form_without_javascript(make_app: Any) -> None:
    app = make_app(guest_wishes_per_hour=1)
    async with app_client(app) as guest:
        await wish(guest)
        response = await guest.post(
            "/generate", data={"wish": "a <b>bold</b> mojito", "model": "llama3.1:8b"}
        )
    assert response.status_code == 429
    assert "<html" in response.text  # the whole wish page, not a bare error
    assert "a &lt;b&gt;bold&lt;/b&gt; mojito" in response.text


async def test_failed_wishes_do_not_count(make_app: Any, fake_ollama: FakeOllama) -> None:
    app = make_app(guest_wishes_per_hour=1)
    fake_ollama.set_scenario("busy", "ok")
    async with app_client(app) as guest:
        assert (await wish(guest)).status_code == 200
        await asyncio.gather(*app.state.jobs.tasks.values())
        assert (await Generation.select(Generation.status).first())["status"] == "failed"
        assert (await wish(guest)).status_code == 200


async def test_wishes_can_be_kept_for_the_bartenders(make_app: Any) -> None:
    app = make_app(guests_may_generate=False, guest_wishes_per_hour=1)
    await accounts.add("marie", "correct horse battery")
    async with app_client(app) as guest, app_client(app) as bartender:
        refused = await wish(guest)
        assert refused.status_code == 403
        assert "Wishes are made by the bartenders right now" in refused.text
        await bartender.post("/login", data={"name": "marie", "password": "correct horse battery"})
        # A bartender has no quota either.
        for _ in range(3):
            assert (await wish(bartender)).status_code == 200
    assert await Generation.count() == 3


async def test_a_closed_bar_says_so_before_a_guest_types(make_app: Any) -> None:
    app = make_app(guests_may_generate=False)
    await accounts.add("marie", "correct horse battery")
    async with app_client(app) as guest, app_client(app) as bartender:
        page = (await guest.get("/generate")).text
        assert "Wishes are made by the bartenders right now" in page
        assert '<fieldset class="wish-fields" disabled>' in page and "Staff only" not in page
        await bartender.post("/login", data={"name": "marie", "password": "correct horse battery"})
        staff = (await bartender.get("/generate")).text
        assert "Staff only" in staff and "Guests cannot wish right now" in staff
        assert '<fieldset class="wish-fields">' in staff


async def test_one_form_sent_twice_at_once_is_one_wish(make_app: Any) -> None:
    app = make_app()
    async with app_client(app) as guest:
        form = (await guest.get("/generate")).text
        token = re.search(r'name="form_token" value="([0-9a-f]{32})"', form)
        assert token
        data = {"wish": "a gin basil smash", "model": "llama3.1:8b", "form_token": token[1]}
        headers = {"HX-Request": "true"}
        answers = await asyncio.gather(
            *(guest.post("/generate", data=data, headers=headers) for _ in range(3))
        )
        again = await guest.post("/generate", data=data, headers=headers)
    pushed = {a.headers["hx-push-url"] for a in [*answers, again]}
    assert len(pushed) == 1 and all(a.status_code == 200 for a in answers)
    assert await Generation.count() == 1
    # A form without a token (an old page) still makes its wish.
    async with app_client(app) as guest:
        assert (await wish(guest)).status_code == 200
    assert await Generation.count() == 2
    # Another guest's form (the last guest's page, back after the tablet was reset) makes
    # this guest's own wish, not theirs.
    async with app_client(app) as next_guest:
        answer = await next_guest.post("/generate", data=data, headers=headers)
    assert answer.status_code == 200 and answer.headers["hx-push-url"] not in pushed
    assert await Generation.count() == 3


async def test_simultaneous_wishes_do_not_pass_the_quota(make_app: Any) -> None:
    app = make_app(guest_wishes_per_hour=2, ip_wishes_per_hour=0)
    async with app_client(app) as guest:
        answers = await asyncio.gather(*(wish(guest, f"wish number {i}") for i in range(8)))
    assert sorted(a.status_code for a in answers) == [200, 200] + [429] * 6
    assert await Generation.count() == 2


async def test_a_hidden_cocktail_is_not_shown_through_its_generation_link(
    make_app: Any,
) -> None:
    from barapp.store.tables import Cocktail

    app = make_app()
    async with app_client(app) as guest, app_client(app) as stranger:
        response = await wish(guest)
        gen_id = response.text.split("/generations/")[1].split("/")[0]
        await asyncio.gather(*app.state.jobs.tasks.values())
        name = (await Cocktail.select(Cocktail.name).first())["name"]
        assert name in (await stranger.get(f"/generations/{gen_id}")).text
        await Cocktail.update({Cocktail.visibility: "hidden"}, force=True)
        page = await stranger.get(f"/generations/{gen_id}")
    assert page.status_code == 200
    assert name not in page.text
    assert "This cocktail is no longer in the gallery." in page.text
