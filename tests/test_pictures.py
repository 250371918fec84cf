"""Pictures of the drinks, against fake Stability, AUTOMATIC1111 and OpenAI-compatible servers
over real HTTP: each failure of the image service leaves a saved cocktail with a reason and a
working retry; a live wish ends with its picture on the card."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from barapp.app import create_app
from barapp.pictures import job as picture_jobs
from barapp.pictures import providers as pictures
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.leases import Leases
from barapp.store.tables import Cocktail, Generation
from tests.conftest import app_client, make_settings
from tests.factories import add_cocktails, cocktail_doc
from tests.fake_images import FakeImageServer
from tests.fake_ollama import FakeOllama, Scenario
from tests.test_generation import events_of, finished, generation, wish

PROMPT = "A coupe of pale pink gin sour with a basil leaf, on a marble bar"


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pictures.Painter, "backoff", (0.01, 0.02, 0.03))


@pytest.fixture
def images() -> Iterator[FakeImageServer]:
    with FakeImageServer(seconds_per_image=0.05, openai_api_key="local-key") as server:
        yield server


def image_settings(base: Settings, images: FakeImageServer, provider: str) -> Settings:
    return dataclasses.replace(
        base,
        image_provider=provider,
        stability_api_host=images.url,
        stability_api_key="sk-test",
        sd_webui_url=images.url,
        openai_images_url=f"{images.url}/v1",
        openai_images_api_key="local-key",
        image_timeout=2.0,
        image_retries=2,
    )


@pytest.fixture
def sqlite_base(tmp_path: Path) -> Settings:
    return make_settings(f"sqlite:///{tmp_path}/barapp.sqlite3", tmp_path)


async def paint(settings: Settings, prompt: str = PROMPT) -> dict[str, str]:
    painter = pictures.Painter(settings)
    try:
        return await painter.paint(prompt)
    finally:
        await painter.close()


# --- Each service, when all goes well --------------------------------------------------------


@pytest.mark.parametrize("provider", ["stability", "automatic1111", "openai"])
async def test_each_service_draws_a_picture_that_is_checked_and_kept(
    sqlite_base: Settings, images: FakeImageServer, provider: str
) -> None:
    settings = image_settings(sqlite_base, images, provider)
    columns = await paint(settings)
    assert columns["image_status"] == "ready", columns
    assert columns["image_provider"] == provider
    full = Image.open(settings.media_dir / columns["image_file"])
    assert (full.format, full.size) == ("WEBP", (1152, 896))
    sent = images.generations[-1]
    assert sent.api == provider
    # The English prompt went out, with the house style appended.
    assert sent.body["prompt" if provider != "stability" else "text_prompts"]
    if provider == "stability":
        assert sent.path == "/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image"
        assert sent.headers["authorization"] == "Bearer sk-test"
        texts = sent.body["text_prompts"]
        assert texts[0]["text"].startswith(PROMPT) and texts[0]["weight"] == 1
        assert texts[1]["weight"] == -1 and "watermark" in texts[1]["text"]  # negative prompt
        assert (sent.body["width"], sent.body["height"]) == (1152, 896)
    elif provider == "openai":
        assert sent.body["response_format"] == "b64_json"
        assert sent.headers["authorization"] == "Bearer local-key"
        assert sent.body["size"] == "1152x896"
    else:
        assert sent.body["negative_prompt"]
        assert columns["image_model"] == "sd_xl_base_1.0"  # the checkpoint A1111 says it used


# --- Failures: never retried, retried, and what they record ----------------------------------


@pytest.mark.parametrize(
    ("provider", "scenario", "status", "reason"),
    [
        ("stability", "unauthorized", "failed", "bad_key"),
        ("stability", "forbidden", "failed", "bad_key"),
        ("stability", "no_credits", "failed", "no_credits"),
        ("stability", "filtered", "filtered", "filtered"),
        ("openai", "unauthorized", "failed", "bad_key"),
        ("openai", "filtered", "filtered", "filtered"),
        ("stability", "not_image", "failed", "not_image"),
        ("automatic1111", "not_image", "failed", "not_image"),
        ("openai", "truncated_image", "failed", "not_image"),
    ],
)
async def test_failures_that_a_retry_cannot_fix_are_not_retried(
    sqlite_base: Settings,
    images: FakeImageServer,
    provider: str,
    scenario: str,
    status: str,
    reason: str,
) -> None:
    images.set_scenario(scenario)
    columns = await paint(image_settings(sqlite_base, images, provider))
    assert columns["image_status"] == status
    assert columns["image_reason"] == reason and columns["image_detail"]
    assert columns["image_file"] == ""
    assert len(images.generations) == 1


@pytest.mark.parametrize("provider", ["stability", "automatic1111", "openai"])
@pytest.mark.parametrize("scenario", ["rate_limited", "server_error", "bad_gateway", "reset"])
async def test_busy_and_failing_services_are_retried_then_succeed(
    sqlite_base: Settings, images: FakeImageServer, provider: str, scenario: str
) -> None:
    images.set_scenario(scenario, "ok")
    columns = await paint(image_settings(sqlite_base, images, provider))
    assert columns["image_status"] == "ready"
    assert len(images.generations) == 2


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [("rate_limited", "busy"), ("server_error", "server_error"), ("finish_error", "server_error")],
)
async def test_retries_are_bounded(
    sqlite_base: Settings, images: FakeImageServer, scenario: str, reason: str
) -> None:
    images.set_scenario(scenario)
    columns = await paint(image_settings(sqlite_base, images, "stability"))
    assert columns["image_status"] == "failed"
    assert columns["image_reason"] == reason and columns["image_detail"]
    assert len(images.generations) == 3  # the first try and IMAGE_RETRIES=2


async def test_a_hanging_service_times_out_and_is_retried(
    sqlite_base: Settings, images: FakeImageServer
) -> None:
    images.set_scenario("hang")
    settings = dataclasses.replace(
        image_settings(sqlite_base, images, "automatic1111"), image_timeout=0.3, image_retries=1
    )
    columns = await paint(settings)
    assert columns["image_reason"] == "timeout"
    assert len(images.generations) == 2


async def test_an_unreachable_service_is_a_clear_reason(sqlite_base: Settings) -> None:
    settings = dataclasses.replace(
        sqlite_base, image_provider="automatic1111", sd_webui_url="http://127.0.0.1:9"
    )
    columns = await paint(settings)
    assert columns["image_status"] == "failed"
    assert columns["image_reason"] == "unreachable"


# --- A live wish with a picture -----------------------------------------------------------


@pytest.fixture
async def picture_app(
    database: Settings, images: FakeImageServer, fake_ollama: FakeOllama
) -> AsyncIterator[Any]:
    settings = dataclasses.replace(
        image_settings(database, images, "auto"), ollama_host=fake_ollama.host
    )
    settings = dataclasses.replace(settings, openai_images_url="", sd_webui_url="")
    app = create_app(settings)
    yield app
    await app.state.jobs.shutdown()


@pytest.fixture
async def http(picture_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(picture_app) as client:
        yield client


async def only_cocktail() -> dict[str, Any]:
    rows = await Cocktail.select().output(load_json=True)
    assert len(rows) == 1
    return dict(rows[0])


async def test_a_wish_ends_with_its_sdxl_picture_on_the_card_the_gallery_and_the_page(
    http: httpx.AsyncClient, picture_app: Any, images: FakeImageServer, fake_ollama: FakeOllama
) -> None:
    # The picture starts long before the recipe ends (~1 s), and arrives after it.
    fake_ollama.set_scenario(Scenario(tokens_per_second=400))
    images.seconds_per_image = 1.5
    gen_id = await wish(http)
    await finished(picture_app)
    events = await events_of(http, gen_id)
    names = [e["event"] for e in events]
    assert names[-3:] == ["result", "picture", "end"]
    cocktail = await only_cocktail()
    assert cocktail["image_status"] == "ready"
    assert cocktail["image_provider"] == "stability"
    assert cocktail["image_model"] == "stable-diffusion-xl-1024-v1-0"
    # Saved pending, it was drawn under this process's lease.
    assert cocktail["image_owner"] == picture_app.state.jobs.owner != ""
    # The picture was asked for while the recipe was still being written, with its prompt.
    sent = images.generations[0]
    assert sent.received_at < cocktail["created_at"].timestamp()
    assert sent.body["text_prompts"][0]["text"].startswith(cocktail["image_prompt"])
    # Until it came, the result card showed the shaker, waiting for the stream's picture.
    result = next(e["data"] for e in events if e["event"] == "result")
    assert 'sse-swap="picture"' in result and "shaker" in result
    picture = next(e["data"] for e in events if e["event"] == "picture")
    thumb = cocktail["image_file"].replace(".webp", "-480.webp")
    assert f'src="/media/{thumb}"' in picture and "sse-swap" not in picture
    stored = await http.get(f"/media/{cocktail['image_file']}")
    assert stored.status_code == 200
    gallery = await http.get("/cocktails")
    assert f'src="/media/{thumb}"' in gallery.text
    page = await http.get(f"/cocktails/{cocktail['slug']}")
    assert f"/media/{cocktail['image_file']} 1152w" in page.text
    assert "Stability AI (SDXL)" in page.text


async def test_a_failed_picture_keeps_the_drink_with_its_illustration_and_a_retry(
    http: httpx.AsyncClient, picture_app: Any, images: FakeImageServer
) -> None:
    images.set_scenario("no_credits", "ok")
    gen_id = await wish(http)
    await finished(picture_app)
    cocktail = await only_cocktail()
    assert cocktail["image_status"] == "failed"
    assert cocktail["image_reason"] == "no_credits"
    events = await events_of(http, gen_id)
    assert [e["event"] for e in events][-2:] in (["picture", "end"], ["result", "end"])
    page = await http.get(f"/cocktails/{cocktail['id']}")
    assert f"/cocktails/{cocktail['id']}/illustration.svg" in page.text
    # What went wrong and how to fix it is the staff's business, not the guest's.
    assert "no credits left" not in page.text and "top it up" not in page.text
    assert "Retry the picture" not in page.text  # a bartender's button
    await accounts.add("marie", "correct horse battery")
    login = {"name": "marie", "password": "correct horse battery"}
    assert (await http.post("/login", data=login)).status_code == 303
    staff_page = (await http.get(f"/cocktails/{cocktail['id']}")).text
    assert "no credits left" in staff_page and "Staff only" in staff_page
    page = await http.get(f"/cocktails/{cocktail['id']}")
    assert "Retry the picture" in page.text

    retry = await http.post(f"/cocktails/{cocktail['id']}/picture", headers={"HX-Request": "true"})
    assert retry.status_code == 200
    assert 'hx-trigger="every 2s"' in retry.text  # polls until ready
    assert (await only_cocktail())["image_owner"] == picture_app.state.pictures.owner != ""
    await asyncio.gather(*picture_app.state.jobs.pictures.tasks)
    polled = await http.get(
        f"/cocktails/{cocktail['id']}/picture?full=1", headers={"HX-Request": "true"}
    )
    assert "hx-trigger" not in polled.text  # ready: the polling stops
    assert "/media/" in polled.text
    assert (await only_cocktail())["image_status"] == "ready"


async def test_a_pending_card_in_the_gallery_polls_until_its_picture_is_ready(
    client: httpx.AsyncClient,
) -> None:
    await add_cocktails(cocktail_doc("Waiting", image={"status": "pending"}))
    gallery = await client.get("/cocktails")
    card = gallery.text.split('<li class="card">')[1]
    row = await only_cocktail()
    assert f'hx-get="/cocktails/{row["id"]}/picture"' in card
    assert 'hx-trigger="every 2s"' in card and "shaker" in card


async def test_with_image_generation_off_no_service_is_called(
    database: Settings, images: FakeImageServer, fake_ollama: FakeOllama
) -> None:
    settings = dataclasses.replace(
        image_settings(database, images, "stability"),
        image_gen_enabled=False,
        ollama_host=fake_ollama.host,
    )
    app = create_app(settings)
    try:
        async with app_client(app) as client:
            gen_id = await wish(client)
            await finished(app)
            events = await events_of(client, gen_id)
    finally:
        await app.state.jobs.shutdown()
    assert images.generations == []
    assert "picture" not in [e["event"] for e in events]
    cocktail = await only_cocktail()
    assert cocktail["image_status"] == "none"
    result = next(e["data"] for e in events if e["event"] == "result")
    # Live, the illustration is drawn in place, as the sketch before it was.
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600" role="img">' in result
    sketch = next(e["data"] for e in events if e["event"] == "sketch")
    assert "<svg" in sketch and "picture-pending" not in sketch  # no picture will follow


async def test_pictures_left_pending_by_a_crash_are_marked_failed_and_can_be_retried(
    client: httpx.AsyncClient,
) -> None:
    await add_cocktails(cocktail_doc("Crashed", image={"status": "pending"}))
    await Leases(30, [picture_jobs.interrupt_orphaned_pictures]).renew()
    row = await only_cocktail()
    assert row["image_status"] == "failed"
    assert row["image_reason"] == "interrupted"
    assert isinstance(row["id"], uuid.UUID)


# --- The line is for the model only -----------------------------------------------------------


async def came_true(condition: Any, seconds: float) -> bool:
    """Whether `condition()` came true within `seconds` (polled every 10 ms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def cocktail_of(gen_id: str) -> dict[str, Any]:
    generation = await Generation.select().where(Generation.id == uuid.UUID(gen_id)).first()
    assert generation is not None and generation["cocktail"] is not None, generation
    row = await Cocktail.select().where(Cocktail.id == generation["cocktail"]).first()
    return {**dict(row), "generation": dict(generation)}


async def test_the_next_recipe_starts_when_a_recipe_ends_not_when_its_picture_does(
    database: Settings, images: FakeImageServer, fake_ollama: FakeOllama
) -> None:
    # One wish at a time with Ollama, and an image service that accepts and never answers.
    images.set_scenario("hang")
    fake_ollama.set_scenario(Scenario(tokens_per_second=400))
    settings = dataclasses.replace(
        image_settings(database, images, "stability"),
        ollama_host=fake_ollama.host,
        ollama_concurrency=1,
        image_timeout=60.0,
        image_retries=0,
    )
    app = create_app(settings)
    jobs = app.state.jobs
    try:
        async with app_client(app) as client:
            first = await wish(client, "a gin sour for the first guest")
            second = await wish(client, "a rum punch for the second guest")
            # The second recipe is asked for while the first picture still hangs.
            asked = await came_true(lambda: len(fake_ollama.chat_requests) == 2, 10)
            assert asked, "the second wish waited for the first one's picture"
            drink = await cocktail_of(first)
            assert drink["generation"]["status"] == "done"
            assert drink["image_status"] == "pending"
            assert drink["image_owner"] == jobs.owner != ""  # under this process's lease
            assert images.generations[0].status is None  # its picture: still no answer
            gap = fake_ollama.chat_requests[1].received_at - drink["created_at"].timestamp()
            assert gap < 1.0, f"the second recipe started {gap:.2f} s after the first ended"

            # A Stop while the picture is pending records the picture interrupted.
            assert first in jobs.tasks
            stopped = await client.post(
                f"/generations/{first}/stop", headers={"HX-Request": "true"}
            )
            assert stopped.status_code == 204
            await asyncio.wait_for(asyncio.gather(jobs.tasks[first], return_exceptions=True), 5)
            names = [e["event"] for e in await events_of(client, first)]
            assert names[-3:] == ["result", "picture", "end"]
            drink = await cocktail_of(first)
            assert (drink["image_status"], drink["image_reason"]) == ("failed", "interrupted")
            assert drink["generation"]["status"] == "done"  # the drink itself was kept

            # The second recipe ends while its own picture hangs too; a shutdown then
            # records that picture interrupted.
            for _ in range(1000):
                if (await generation(second))["status"] == "done":
                    break
                await asyncio.sleep(0.01)
            assert len(images.generations) == 2 and images.generations[1].status is None
            await jobs.shutdown()
            names = [e["event"] for e in await events_of(client, second)]
            assert names[-3:] == ["result", "picture", "end"]
            drink = await cocktail_of(second)
            assert (drink["image_status"], drink["image_reason"]) == ("failed", "interrupted")
    finally:
        await jobs.shutdown()


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_image_concurrency_bounds_the_pictures_drawn_at_once_redraws_included(
    database: Settings, images: FakeImageServer, concurrency: int
) -> None:
    images.seconds_per_image = 0.3
    settings = dataclasses.replace(
        image_settings(database, images, "stability"), image_concurrency=concurrency
    )
    await add_cocktails(cocktail_doc("Redrawn"))
    drawing = picture_jobs.Pictures(pictures.Painter(settings))
    try:
        drawn = [drawing.start(PROMPT), drawing.start(PROMPT)]
        await drawing.redraw(await only_cocktail())
        redrawn = list(drawing.redrawing.values())
        results = await asyncio.wait_for(asyncio.gather(*drawn, *redrawn), 10)
    finally:
        await drawing.shutdown()
    assert [r["image_status"] for r in results[:2]] == ["ready", "ready"]
    assert (await only_cocktail())["image_status"] == "ready"
    assert len(images.generations) == 3
    assert images.max_active == concurrency


async def test_a_picture_that_cannot_be_written_leaves_the_drink_done(
    http: httpx.AsyncClient,
    picture_app: Any,
    images: FakeImageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from barapp.wishes import job

    async def refused(key: str, columns: dict[str, str]) -> None:
        raise OSError("disk full")

    images.set_scenario("slow")  # the recipe is saved first, the picture's write comes later
    monkeypatch.setattr(job, "set_columns", refused)
    gen_id = await wish(http)
    await finished(picture_app)
    # The drink was saved: a lost picture does not turn the wish into a failure.
    assert (await generation(gen_id))["status"] == "done"
    events = await events_of(http, gen_id)
    assert [e["event"] for e in events][-2:] == ["picture", "end"]
    assert "Nothing half-made" not in "".join(e["data"] for e in events)
