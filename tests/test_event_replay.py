"""The events of a wish answer clearly: 404 for an unknown one, only what the gallery would
show to a reader who did not make it, and the final state to a reader resuming past the end."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.store.statuses import Visibility
from barapp.store.tables import Cocktail
from barapp.wishes.routes import FINAL_EVENT_IDS
from tests.conftest import app_client
from tests.fake_ollama import FakeOllama
from tests.test_generation import events_of, finished, wish

RECIPE = {"name", "glass", "garnish", "ingredients", "steps", "music", "sketch"}


@pytest.fixture
def fake() -> Any:
    with FakeOllama("ok", models=["llama3.1:8b"]) as server:
        yield server


async def test_an_unknown_generation_has_no_events(database: Settings) -> None:
    async with app_client(create_app(database)) as client:
        response = await client.get(f"/generations/{uuid.uuid4()}/events")
        assert response.status_code == 404
        assert (await client.get("/generations/not-a-uuid/events")).status_code in (400, 404)


@pytest.mark.parametrize("premoderation", [True, False])
async def test_another_guest_sees_only_what_the_gallery_would(
    database: Settings, fake: FakeOllama, premoderation: bool
) -> None:
    settings = dataclasses.replace(database, ollama_host=fake.host, premoderation=premoderation)
    app = create_app(settings)
    try:
        async with app_client(app) as maker, app_client(app) as other:
            gen_id = await wish(maker)
            await finished(app)
            name = json.loads(fake.last_chat.content)["name"]
            mine = await events_of(maker, gen_id)
            theirs = await events_of(other, gen_id)
            assert {e["event"] for e in mine} >= RECIPE  # the maker sees it all
            if premoderation:  # the drink waits for a bartender: nobody else sees it yet
                assert not RECIPE & {e["event"] for e in theirs}
                assert name not in json.dumps(theirs)
                assert [e["event"] for e in theirs][-2:] == ["result", "end"]
            else:  # visible in the gallery: shown to anyone (a shared link)
                assert name in json.dumps(theirs)
            # Hidden by a bartender: gone for everyone else, from the replay too.
            await Cocktail.update({Cocktail.visibility: Visibility.HIDDEN}).where(
                Cocktail.name == name
            )
            theirs = await events_of(other, gen_id)
            assert name not in json.dumps(theirs)
            assert [e["event"] for e in theirs] == ["status", "result", "end"]
    finally:
        await app.state.jobs.shutdown()


async def test_a_reader_resuming_at_or_past_the_end_gets_the_final_state(
    database: Settings, fake: FakeOllama
) -> None:
    app = create_app(dataclasses.replace(database, ollama_host=fake.host))
    try:
        async with app_client(app) as client:
            gen_id = await wish(client)
            await finished(app)
            last = int((await events_of(client, gen_id))[-1]["id"])
            for after in (last, last + 5, FINAL_EVENT_IDS + 2):
                events = await events_of(client, gen_id, last=after)  # and the stream closes
                assert [e["event"] for e in events] == ["status", "result", "end"], after
                assert int(events[0]["id"]) >= FINAL_EVENT_IDS
    finally:
        await app.state.jobs.shutdown()
