"""A database or media folder that cannot be written: wishes fail visibly (nothing left
"queued"), and /healthz answers 503 with the cause; details are for bartenders only."""

from __future__ import annotations

import dataclasses
import shutil
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.tables import Cocktail, Generation
from tests.conftest import PASSWORD, app_client, log_in
from tests.fake_ollama import FakeOllama
from tests.test_generation import events_of, finished, wish

FULL = "database or disk is full"


async def refuse_inserts(table: str, settings: Settings) -> None:
    """Make the database refuse new rows of `table` as a full disk does."""
    if settings.is_postgres:
        await Cocktail.raw(
            "CREATE OR REPLACE FUNCTION disk_full() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' "
            "USING ERRCODE = '53100'; END $$ LANGUAGE plpgsql"
        )
        await Cocktail.raw(
            f"CREATE TRIGGER disk_full BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION disk_full()"
        )
    else:
        await Cocktail.raw(
            f"CREATE TRIGGER disk_full BEFORE INSERT ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{FULL}'); END"
        )


async def accept_inserts(table: str, settings: Settings) -> None:
    suffix = f" ON {table}" if settings.is_postgres else ""
    await Cocktail.raw(f"DROP TRIGGER disk_full{suffix}")


@pytest.fixture
def fake() -> Any:
    with FakeOllama("ok", models=["llama3.1:8b"]) as server:
        yield server


@pytest.fixture
async def app(database: Settings, fake: FakeOllama) -> Any:
    app = create_app(dataclasses.replace(database, ollama_host=fake.host))
    yield app
    await app.state.jobs.shutdown()


async def test_a_wish_that_cannot_be_recorded_is_refused_and_health_says_why(
    app: Any, database: Settings
) -> None:
    async with app_client(app, base_url="http://t") as guest:
        assert (await guest.get("/healthz")).status_code == 200
        await refuse_inserts("generation", database)
        response = await guest.post(
            "/generate", data={"wish": "a gin sour", "model": "llama3.1:8b"}
        )
        assert response.status_code == 503
        assert "cannot save wishes right now" in response.text
        assert "a gin sour" in response.text  # the wish stays in the form
        health = await guest.get("/healthz")
        assert health.status_code == 503
        assert health.json()["causes"] == ["database_unwritable"]
        assert "error" not in str(health.json())  # the details are a bartender's
        await accept_inserts("generation", database)
        await wish(guest, "a gin sour")  # a write succeeds: healthy again
        assert (await guest.get("/healthz")).status_code == 200
    assert await Generation.count() == 1


async def test_a_drink_the_database_cannot_keep_fails_visibly(app: Any, database: Settings) -> None:
    await refuse_inserts("cocktail", database)
    async with app_client(app, base_url="http://t") as guest:
        gen_id = await wish(guest)
        await finished(app)
        events = await events_of(guest, gen_id)
    result = next(e["data"] for e in events if e["event"] == "result")
    assert "could not save your cocktail" in result
    row = await Generation.select().first()
    assert row is not None and row["status"] == "failed" and row["reason"] == "storage"
    assert "full" in row["detail"] or "space" in row["detail"]


async def test_an_unwritable_media_folder_is_a_503_with_details_for_bartenders(
    database: Settings, tmp_path: Any
) -> None:
    media = tmp_path / "media"
    app = create_app(dataclasses.replace(database, media_dir=media))
    await accounts.add("marie", PASSWORD)
    async with app_client(app) as guest, app_client(app) as bartender:
        shutil.rmtree(media)
        media.write_text("the folder became a file: nothing can be written in it")
        health = await guest.get("/healthz")
        assert health.status_code == 503 and health.json()["causes"] == ["media_unwritable"]
        assert "host" not in health.json()["ollama"]  # Ollama's address is not for guests
        assert (await log_in(bartender)).status_code == 303
        detailed = (await bartender.get("/healthz")).json()
        assert detailed["media"]["error"].startswith(("NotADirectoryError", "FileExistsError"))
        assert detailed["ollama"]["host"] == app.state.settings.ollama_base_url


async def test_health_is_ok_when_all_is_writable(client: httpx.AsyncClient) -> None:
    body = (await client.get("/healthz")).json()
    assert body == {
        "status": "ok",
        "causes": [],
        "database": {"ok": True},
        "media": {"ok": True},
        "ollama": {"reachable": False},
    }
