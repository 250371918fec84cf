"""The fake image servers are only useful if they answer like the real APIs where barapp depends
on them: these tests talk to them over real HTTP with httpx and check what a client sees."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageStat

from tests.fake_images import APIS, FakeImageServer, render_png, scenario

ROOT = Path(__file__).resolve().parents[1]
SDXL = "/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image"
KEY = {"Authorization": "Bearer sk-test"}
PROMPT = "A pale violet gin sour in a chilled coupe glass, basil leaf garnish, studio photo"


@pytest.fixture(scope="module")
def shared() -> Iterator[FakeImageServer]:
    with FakeImageServer(seconds_per_image=0.01) as fake:
        yield fake


@pytest.fixture
def fake(shared: FakeImageServer) -> FakeImageServer:
    shared.reset()
    return shared


@pytest.fixture
async def client(fake: FakeImageServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake.url, timeout=5.0) as client:
        yield client


def stability_body(**changes: Any) -> dict[str, Any]:
    """The request of the reference document."""
    body = {
        "text_prompts": [{"text": PROMPT, "weight": 1}, {"text": "blurry, text", "weight": -1}],
        "cfg_scale": 7, "width": 1024, "height": 1024, "samples": 1, "steps": 30, "seed": 0,
        "style_preset": "photographic",
    }  # fmt: skip
    return body | changes


async def generate(
    client: httpx.AsyncClient, api: str, headers: dict[str, str] | None = None, **changes: Any
) -> httpx.Response:
    """One valid generation request of `api`, with fields changed."""
    if api == "stability":
        return await client.post(
            SDXL, json=stability_body(**changes), headers=KEY | (headers or {})
        )
    if api == "automatic1111":
        body = {"prompt": PROMPT, "negative_prompt": "blurry", "steps": 30, "cfg_scale": 7,
                "width": 1024, "height": 1024, "sampler_name": "DPM++ 2M", "seed": -1}  # fmt: skip
        return await client.post("/sdapi/v1/txt2img", json=body | changes, headers=headers)
    body = {"model": "stablediffusion", "prompt": PROMPT, "size": "1024x1024", "n": 1,
            "response_format": "b64_json"}  # fmt: skip
    return await client.post("/v1/images/generations", json=body | changes, headers=headers)


def images_of(api: str, response: httpx.Response) -> list[bytes]:
    data = response.json()
    if api == "stability":
        return [base64.b64decode(a["base64"]) for a in data["artifacts"]]
    if api == "automatic1111":
        return [base64.b64decode(i) for i in data["images"]]
    return [base64.b64decode(d["b64_json"]) for d in data["data"]]


def picture(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


# --- success ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "changes", "size"),
    [
        ("stability", {"width": 1152, "height": 896}, (1152, 896)),
        ("automatic1111", {"width": 768, "height": 1344}, (768, 1344)),
        ("openai", {"size": "832x1216"}, (832, 1216)),
    ],
)
async def test_each_api_returns_real_pngs_of_the_requested_size_drawn_from_the_prompt(
    fake: FakeImageServer, client: httpx.AsyncClient, api: str, changes: dict, size: tuple
) -> None:
    response = await generate(client, api, **changes)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    [data] = images_of(api, response)
    img = picture(data)
    assert (img.format, img.size, img.mode) == ("PNG", size, "RGB")
    assert data == render_png(PROMPT, *size)
    record = fake.generations[-1]
    assert (record.api, record.prompt, record.status, record.scenario) == (api, PROMPT, 200, "ok")


async def test_stability_answers_artifacts_with_seeds(client: httpx.AsyncClient) -> None:
    artifacts = (await generate(client, "stability", samples=2, seed=42)).json()["artifacts"]
    assert [(a["seed"], a["finishReason"]) for a in artifacts] == [(42, "SUCCESS"), (43, "SUCCESS")]
    assert set(artifacts[0]) == {"base64", "seed", "finishReason"}
    # seed 0 means random: a real seed comes back (stable per prompt in the fake)
    first = (await generate(client, "stability")).json()["artifacts"][0]["seed"]
    assert first > 0
    assert (await generate(client, "stability")).json()["artifacts"][0]["seed"] == first


async def test_stability_auth(client: httpx.AsyncClient) -> None:
    missing = await client.post(SDXL, json=stability_body())
    assert missing.status_code == 401
    assert missing.json()["name"] == "unauthorized"
    assert missing.json()["message"] == "missing authorization header"
    assert re.fullmatch(r"[0-9a-f]{32}", missing.json()["id"])
    wrong = await generate(client, "stability", {"Authorization": "Bearer sk-wrong-key-123456"})
    assert wrong.status_code == 401
    assert wrong.json()["message"].startswith("Incorrect API key provided: sk-w")
    assert "sk-wrong-key-123456" not in wrong.text


@pytest.mark.parametrize(
    ("changes", "name", "fragment"),
    [
        ({"width": 768, "height": 768}, "invalid_sdxl_v1_dimensions", "received 768x768"),
        ({"width": 1024, "height": 1025}, "invalid_sdxl_v1_dimensions", "1152x896"),
        ({"text_prompts": []}, "bad_request", "text_prompts"),
        ({"text_prompts": [{"text": "x" * 2001, "weight": 1}]}, "bad_request", "2000"),
        ({"text_prompts": [{"text": "blurry", "weight": -1}]}, "bad_request", "positive"),
        ({"text_prompts": [{"weight": 1}]}, "bad_request", "text"),
        ({"samples": 11}, "bad_request", "samples"),
        ({"steps": 5}, "bad_request", "steps"),
        ({"cfg_scale": 40}, "bad_request", "cfg_scale"),
        ({"seed": -1}, "bad_request", "seed"),
        ({"style_preset": "watercolour"}, "bad_request", "style_preset"),
    ],
)
async def test_stability_validation(
    client: httpx.AsyncClient, changes: dict, name: str, fragment: str
) -> None:
    response = await generate(client, "stability", **changes)
    assert response.status_code == 400
    assert response.json()["name"] == name
    assert fragment in response.json()["message"]


async def test_stability_engine_body_and_content_type(client: httpx.AsyncClient) -> None:
    path = "/v1/generation/stable-diffusion-v9/text-to-image"
    missing = await client.post(path, json=stability_body(), headers=KEY)
    assert (missing.status_code, missing.json()["name"]) == (404, "not_found")
    headers = KEY | {"Content-Type": "application/json"}
    broken = await client.post(SDXL, content=b'{"text_prompts": [', headers=headers)
    assert broken.status_code == 400
    form = await client.post(SDXL, data={"text_prompts[0][text]": PROMPT}, headers=KEY)
    assert (form.status_code, form.json()["name"]) == (400, "bad_request")


async def test_a1111_answer_echoes_parameters_and_info(client: httpx.AsyncClient) -> None:
    response = await generate(client, "automatic1111", width=990, height=316, steps="20",
                              batch_size=2, seed=1234)  # fmt: skip
    data = response.json()
    assert set(data) == {"images", "parameters", "info"}
    assert len(data["images"]) == 2
    # SD works on 8-pixel latents: the answer is 984x312, like the real one's.
    assert {picture(d).size for d in images_of("automatic1111", response)} == {(984, 312)}
    assert data["parameters"]["steps"] == 20  # pydantic v1 coerces "20"
    assert data["parameters"]["n_iter"] == 1  # defaults are echoed too
    info = json.loads(data["info"])  # a JSON text, naming the checkpoint
    assert (info["seed"], info["all_seeds"], info["prompt"]) == (1234, [1234, 1235], PROMPT)
    assert info["sd_model_name"] == "sd_xl_base_1.0"
    assert "Steps: 20, Sampler: DPM++ 2M" in info["infotexts"][0]


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"prompt": "x", "steps": "many"}, ["body", "steps"], "type_error.integer"),
        ({"prompt": "x", "cfg_scale": [7]}, ["body", "cfg_scale"], "type_error.float"),
        ({"prompt": {"text": "x"}}, ["body", "prompt"], "type_error.str"),
        (["x"], ["body"], "type_error.dict"),
    ],
)
async def test_a1111_bad_bodies_are_fastapi_422s(
    client: httpx.AsyncClient, body: Any, loc: list, kind: str
) -> None:
    response = await client.post("/sdapi/v1/txt2img", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, kind)


@pytest.mark.parametrize(
    ("changes", "status", "param", "code"),
    [
        ({"size": "big"}, 400, "size", "invalid_value"),
        ({"size": "9000x9000"}, 400, "size", "invalid_value"),
        ({"n": 11}, 400, "n", "invalid_value"),
        ({"response_format": "png"}, 400, "response_format", "invalid_value"),
        ({"prompt": ""}, 400, "prompt", "missing_required_parameter"),
        ({"model": "dall-e-9"}, 404, None, "model_not_found"),
    ],
)
async def test_openai_validation(
    client: httpx.AsyncClient, changes: dict, status: int, param: str | None, code: str
) -> None:
    response = await generate(client, "openai", **changes)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    assert error["message"]


async def test_openai_key_is_checked_only_when_configured(
    fake: FakeImageServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await generate(client, "openai")).status_code == 200
    monkeypatch.setattr(fake, "openai_api_key", "sk-local-1234")
    missing = await generate(client, "openai")
    assert missing.status_code == 401
    assert "didn't provide an API key" in missing.json()["error"]["message"]
    wrong = await generate(client, "openai", {"Authorization": "Bearer sk-nope-0000"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    right = await generate(client, "openai", {"Authorization": "Bearer sk-local-1234"})
    assert right.status_code == 200
    broken = await client.post("/v1/images/generations", content=b"{",
                               headers={"Authorization": "Bearer sk-local-1234"})  # fmt: skip
    assert broken.status_code == 400


# --- scenarios --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "name", "status", "expected"),
    [
        ("stability", "unauthorized", 401, {"name": "unauthorized"}),
        ("stability", "forbidden", 403, {"name": "permission_denied"}),
        ("stability", "no_credits", 402, {"name": "payment_required"}),
        ("stability", "rate_limited", 429, {"name": "rate_limit_exceeded"}),
        ("stability", "server_error", 500, {"name": "server_error"}),
        ("automatic1111", "unauthorized", 401, {"detail": "Not authenticated"}),
        ("automatic1111", "forbidden", 403, {"error": "HTTPException", "detail": "Forbidden"}),
        ("automatic1111", "no_credits", 402, {"error": "HTTPException"}),
        ("automatic1111", "rate_limited", 429, {"detail": "Too Many Requests"}),
        ("automatic1111", "server_error", 500, {"error": "OutOfMemoryError", "detail": ""}),
        ("openai", "unauthorized", 401, {"type": "invalid_request_error", "code": None}),
        ("openai", "forbidden", 403, {"type": "invalid_request_error"}),
        ("openai", "no_credits", 429, {"code": "insufficient_quota"}),
        ("openai", "rate_limited", 429, {"code": "rate_limit_exceeded"}),
        ("openai", "server_error", 500, {"type": "server_error"}),
    ],
)
async def test_error_scenarios_answer_in_each_apis_own_format(
    fake: FakeImageServer,
    client: httpx.AsyncClient,
    api: str,
    name: str,
    status: int,
    expected: dict,
) -> None:
    fake.set_scenario(name)
    response = await generate(client, api)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    fields = body["error"] if api == "openai" else body
    assert {k: fields[k] for k in expected} == expected
    assert "retry-after" not in response.headers  # none of them documents one
    if api == "stability":
        assert set(body) >= {"id", "name", "message"}
    if (api, name) == ("stability", "no_credits"):
        assert body["errors"][0].startswith("You lack sufficient credits")
    if api == "automatic1111":
        assert set(body) == {"error", "detail", "body", "errors"}
    if (api, name) == ("automatic1111", "server_error"):
        assert body["errors"].startswith("CUDA out of memory")


@pytest.mark.parametrize("api", APIS)
async def test_bad_gateway_is_a_proxy_html_page(
    fake: FakeImageServer, client: httpx.AsyncClient, api: str
) -> None:
    fake.set_scenario("bad_gateway")
    response = await generate(client, api)
    assert (response.status_code, response.headers["content-type"]) == (502, "text/html")
    assert "<title>502 Bad Gateway</title>" in response.text


async def test_filtered_and_finish_error(fake: FakeImageServer, client: httpx.AsyncClient) -> None:
    sharp = picture(images_of("stability", await generate(client, "stability"))[0])
    fake.set_scenario("filtered")
    filtered = await generate(client, "stability")
    assert filtered.json()["artifacts"][0]["finishReason"] == "CONTENT_FILTERED"
    blurred = picture(images_of("stability", filtered)[0])
    assert sum(ImageStat.Stat(blurred).stddev) < 0.8 * sum(ImageStat.Stat(sharp).stddev)
    black = picture(images_of("automatic1111", await generate(client, "automatic1111"))[0])
    assert black.getextrema() == ((0, 0), (0, 0), (0, 0))  # a safety checker's black image
    refused = await generate(client, "openai")
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        400,
        "content_policy_violation",
    )
    fake.set_scenario("finish_error")
    assert (await generate(client, "stability")).json()["artifacts"][0]["finishReason"] == "ERROR"
    assert (await generate(client, "automatic1111")).status_code == 500
    assert (await generate(client, "openai")).status_code == 500


@pytest.mark.parametrize("api", APIS)
async def test_not_image_and_truncated_image_are_valid_json_but_no_picture(
    fake: FakeImageServer, client: httpx.AsyncClient, api: str
) -> None:
    fake.set_scenario("not_image", "truncated_image")
    html = await generate(client, api)
    assert html.status_code == 200
    [data] = images_of(api, html)
    assert data.startswith(b"<!DOCTYPE html>")
    truncated = await generate(client, api)
    [data] = images_of(api, truncated)
    assert data.startswith(b"\x89PNG")
    with pytest.raises(OSError):
        picture(data)


async def test_a_sequence_of_scenarios_then_the_last_one_stays(
    fake: FakeImageServer, client: httpx.AsyncClient
) -> None:
    fake.set_scenario("rate_limited", "server_error", "ok")
    statuses = [(await generate(client, api)).status_code for api in (*APIS, "stability")]
    assert statuses == [429, 500, 200, 200]
    assert [r.scenario for r in fake.generations] == ["rate_limited", "server_error", "ok", "ok"]
    with pytest.raises(ValueError, match="unknown scenario"):
        fake.set_scenario("exploded")


async def test_delays(fake: FakeImageServer, client: httpx.AsyncClient) -> None:
    fake.set_scenario(scenario("slow", delay=0.3), scenario("server_error", delay=0.2))
    for api, at_least in (("stability", 0.3), ("stability", 0.2)):
        started = time.perf_counter()
        await generate(client, api)
        assert time.perf_counter() - started >= at_least


async def test_hang_times_out_on_the_client_and_does_not_block_stop() -> None:
    fake = FakeImageServer("hang").start()
    async with httpx.AsyncClient(base_url=fake.url, timeout=httpx.Timeout(5.0, read=0.3)) as c:
        with pytest.raises(httpx.ReadTimeout):
            await generate(c, "stability")
        assert fake.requests[-1].status is None
        pending = asyncio.create_task(generate(c, "openai"))
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        await asyncio.to_thread(fake.stop)
        assert time.perf_counter() - started < 2.0
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await pending
        with pytest.raises(httpx.ConnectError):
            await generate(c, "stability")


async def test_reset_closes_the_connection_without_a_response(
    fake: FakeImageServer, client: httpx.AsyncClient
) -> None:
    fake.set_scenario("reset", "ok")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await generate(client, "automatic1111")
    assert fake.generations[-1].status is None
    assert (await generate(client, "automatic1111")).status_code == 200


async def test_latency_is_per_image_and_requests_overlap() -> None:
    async with (
        FakeImageServer(seconds_per_image=0.2) as fake,
        httpx.AsyncClient(base_url=fake.url, timeout=5.0) as c,
    ):
        started = time.perf_counter()
        responses = await asyncio.gather(*(generate(c, api) for api in APIS * 2))
        assert {r.status_code for r in responses} == {200}
        assert 0.2 <= time.perf_counter() - started < 0.6
        assert (fake.max_active, fake.active) == (6, 0)
        started = time.perf_counter()
        await generate(c, "openai", n=3)
        assert time.perf_counter() - started >= 0.6


async def test_records_what_the_client_sent(
    fake: FakeImageServer, client: httpx.AsyncClient
) -> None:
    await generate(client, "stability", {"User-Agent": "barapp-test"}, steps=25)
    assert [r.path for r in fake.requests] == [SDXL]
    record = fake.generations[-1]
    assert (record.method, record.api, record.status) == ("POST", "stability", 200)
    assert record.headers["authorization"] == "Bearer sk-test"
    assert record.headers["user-agent"] == "barapp-test"
    assert record.body["steps"] == 25
    assert json.loads(record.raw_body) == record.body
    assert record.received_at == pytest.approx(time.time(), abs=5)


async def test_paths_methods_and_the_control_endpoint(client: httpx.AsyncClient) -> None:
    assert (await client.get(SDXL)).status_code == 405
    assert (await client.get("/nope")).status_code == 404
    switched = await client.post("/_fake/scenario", json={"scenario": ["rate_limited", "ok"]})
    assert switched.json()["queued"] == ["rate_limited"]
    assert (await generate(client, "openai")).status_code == 429
    assert (await client.get("/_fake/scenario")).json()["scenario"] == "ok"
    assert (await client.post("/_fake/scenario", json={"scenario": "x"})).status_code == 400


def test_pictures_are_deterministic_cheap_and_prompt_coloured() -> None:
    assert render_png(PROMPT, 512, 512) == render_png(PROMPT, 512, 512)
    started = time.perf_counter()
    green = picture(render_png("a green highball with ice, fresh", 1024, 1024))
    assert time.perf_counter() - started < 0.25  # ~40 ms here; generous for a busy CI
    red = picture(render_png("a red highball with ice, fresh", 1024, 1024))
    r, g, b = green.getpixel((580, 600))
    assert g > r and g > b
    r, g, b = red.getpixel((580, 600))
    assert r > g and r > b


def test_cli_serves_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_images", "--port", "0", "--seconds-per-image", "0.01",
         "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(3)]
        url = re.search(r"http://127\.0\.0\.1:\d+", banner[0])
        assert url, banner
        assert f"STABILITY_API_HOST={url.group()}" in "".join(banner)
        response = httpx.post(url.group() + SDXL, json=stability_body(), headers=KEY, timeout=10)
        assert response.json()["artifacts"][0]["finishReason"] == "SUCCESS"
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
