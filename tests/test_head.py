"""`HEAD` answers wherever `GET` does (uptime monitors ask `HEAD /healthz` and `HEAD /`): the
same status and headers, and no body."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import httpx

from barapp.app import create_app
from barapp.pictures import media
from barapp.settings import Settings
from barapp.store.tables import Cocktail
from tests.conftest import app_client
from tests.factories import add_cocktails, cocktail_doc
from tests.fake_ollama import FakeOllama
from tests.test_media import picture


async def paths(database: Any) -> list[str]:
    await add_cocktails(cocktail_doc("Negroni", glass="Rocks glass"))
    row = await Cocktail.select(Cocktail.id, Cocktail.slug).first()
    assert row is not None
    stored = media.store(database.media_dir, picture())
    return [
        "/",
        "/cocktails",
        "/cocktails?q=negroni&sort=name",
        "/healthz",
        f"/cocktails/{row['slug']}",
        f"/cocktails/{row['id']}/illustration.svg",
        "/static/css/app.css",
        f"/media/{stored.file}",
        f"/media/{stored.thumb}",
        "/login",
        "/generate",
        "/no/such/page",  # the 404 page: a monitor is told the same thing
        "/media/missing.webp",
    ]


async def test_head_answers_like_get_without_a_body(
    client: httpx.AsyncClient, database: Any
) -> None:
    for path in await paths(database):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        # A wish form carries a fresh token each time: its compressed length may differ by
        # a byte; every other header is the same.
        same = {k: v for k, v in got.headers.items() if k != "content-length"}
        assert {k: v for k, v in head.headers.items() if k != "content-length"} == same, path
        if "form_token" not in got.text:
            assert head.headers.get("content-length") == got.headers.get("content-length"), path
    assert (await client.head("/healthz")).status_code == 200


async def test_head_never_runs_a_post_route(bartender: httpx.AsyncClient) -> None:
    # HEAD is read as GET, never as the POST of the same path: no logout by a HEAD.
    head, got = await bartender.head("/logout"), await bartender.get("/logout")
    assert head.status_code == got.status_code == 405
    assert (await bartender.get("/bar")).status_code == 200


async def test_head_on_a_live_stream_answers_at_once(database: Settings) -> None:
    with FakeOllama("slow") as fake:
        app = create_app(dataclasses.replace(database, ollama_host=fake.host))
        async with app_client(app) as client:
            wish = await client.post(
                "/generate",
                data={"wish": "Something with basil", "model": "llama3.1:8b"},
                headers={"HX-Request": "true"},
            )
            match = re.search(r"/generations/([0-9a-f-]{36})/events", wish.text)
            assert match, wish.text
            # The stream would run for seconds; its HEAD ends with the headers.
            head = await asyncio.wait_for(client.head(match.group(0)), timeout=3)
        await app.state.jobs.shutdown()
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream")
    assert head.content == b""
