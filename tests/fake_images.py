"""Faithful fake image-generation servers: real HTTP on 127.0.0.1 for tests, benchmarks and
GPU-less development. One small hand-written ASGI app, served by uvicorn in a background thread,
answers the three APIs barapp calls (their paths do not collide), following
/work/shared/reference/image-apis.md and the servers' sources:

- Stability AI v1 (SDXL): `POST /v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image`
  (Bearer key, JSON `artifacts` with `finishReason`; its validation of sizes and ranges).
- AUTOMATIC1111 / Forge: `POST /sdapi/v1/txt2img` (`images`, `parameters`, `info` as a JSON
  text naming the checkpoint); FastAPI's 422 for bad bodies, A1111's
  `{"error", "detail", "body", "errors"}` otherwise.
- OpenAI-compatible (LocalAI, stable-diffusion.cpp): `POST /v1/images/generations` with
  `response_format: b64_json` (an optional Bearer key).

Each fails the ways barapp handles, in the API's own format: a bad key, no credits, rate
limits, a server error, a proxy's 502 page, a filtered picture, a body that is not a picture,
a hang, a dropped connection. Pictures are real PNGs of the requested size, drawn cheaply and
deterministically from the prompt (a glass in the colour the prompt names, on a bar).

Use from tests::

    with FakeImageServer(seconds_per_image=0.05) as fake:   # or fake.start() / fake.stop()
        fake.set_scenario("rate_limited", "ok")   # 1st generation 429, then ok from then on
        httpx.post(fake.url + "/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image", ...)
        fake.generations[-1].body                 # what the app sent

From a shell::

    python -m tests.fake_images --port 8188 --seconds-per-image 8
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import colorsys
import functools
import hashlib
import io
import json
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image, ImageDraw, ImageFilter

from tests.fake_server import Exchange, ThreadedServer, pick, serve_until_signal


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


APIS = ("stability", "automatic1111", "openai")  # the app's IMAGE_PROVIDER names
SDXL_ENGINE = "stable-diffusion-xl-1024-v1-0"
SDXL_SIZES = ((1024, 1024), (1152, 896), (1216, 832), (1344, 768), (1536, 640), (640, 1536),
              (768, 1344), (832, 1216), (896, 1152))  # fmt: skip
STYLE_PRESETS = _names(
    "3d-model analog-film anime cinematic comic-book digital-art enhance fantasy-art isometric "
    "line-art low-poly modeling-compound neon-punk origami photographic pixel-art tile-texture"
)
A1111_VERSION = "v1.10.1"
A1111_MODEL = ("sd_xl_base_1.0", "31e35c80fc")
OPENAI_MODELS = ("stablediffusion", "sd-xl-base-1.0", "flux.1-schnell")

# --------------------------------------------------------------------------------------------
# Pictures

# Colour words that the app's image prompts contain -> hue in degrees.
_HUES = {
    word: int(hue)
    for word, hue in re.findall(
        r"([a-z]+)=(\d+)",
        "pink=335 rose=345 red=355 cherry=350 ruby=345 orange=25 amber=33 gold=44 golden=44 "
        "yellow=52 lime=80 green=115 emerald=140 mint=155 turquoise=175 blue=210 violet=275 "
        "purple=285 lavender=265",
    )
}
_PALE = _names("pale clear white cream creamy milky frothy")
_DARK = _names("dark brown coffee espresso black smoky")


def _rgb(hue: float, light: float, sat: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(hue / 360 % 1.0, light, sat)
    return int(r * 255), int(g * 255), int(b * 255)


def _draw(prompt: str, width: int, height: int, look: str) -> Image.Image:
    """A soft, photo-ish cocktail: drawn at 1/4 scale, blurred, then scaled up (cheap)."""
    if look == "black":  # what a safety checker returns
        return Image.new("RGB", (width, height))
    seed = hashlib.sha256(prompt.encode("utf-8")).digest()
    words = set(re.findall(r"[a-z]+", prompt.lower()))
    hue = next((_HUES[w] for w in sorted(words & set(_HUES))), seed[0] * 360 / 256)
    light = 0.78 if words & set(_PALE) else 0.3 if words & set(_DARK) else 0.55
    sw, sh = max(16, width // 4), max(16, height // 4)
    room = seed[1] * 1.4  # the bar's hue
    top, bottom = (Image.new("RGB", (sw, sh), _rgb(room, lt, 0.3)) for lt in (0.22, 0.06))
    img = Image.composite(bottom, top, Image.linear_gradient("L").resize((sw, sh)))
    draw = ImageDraw.Draw(img, "RGBA")
    for i in range(7):  # out-of-focus bar lights
        x, y, r = seed[2 + i] * sw / 256, seed[9 + i] * sh / 512, sw * (0.03 + seed[16 + i] / 2560)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*_rgb(seed[23 + i] * 1.4, 0.7, 0.8), 70))
    counter, wall = sh * 0.72, (235, 235, 240, 70)
    draw.rectangle((0, counter, sw, sh), fill=_rgb(room + 20, 0.12, 0.25))
    drink, cx, g = (*_rgb(hue, light, 0.7), 235), sw / 2, min(sw, sh) * 0.22
    draw.ellipse((cx - g, counter - g / 8, cx + g, counter + g / 6), fill=(0, 0, 0, 90))  # shadow
    tall = words & {"highball", "collins", "mojito", "spritz", "fizz"}
    if words & {"coupe", "martini", "margarita"} or (not tall and seed[30] % 2):  # a coupe
        bowl = counter - sh * 0.3
        draw.pieslice((cx - g, bowl - g * 0.9, cx + g, bowl + g / 2), 0, 180, fill=wall)
        draw.pieslice((cx - g * 0.9, bowl - g * 0.7, cx + g * 0.9, bowl + g * 0.4), 0, 180, drink)
        draw.line((cx, bowl + g / 2, cx, counter), fill=wall, width=max(1, sw // 120))
        draw.ellipse((cx - g / 2, counter - g / 10, cx + g / 2, counter + g / 10), fill=wall)
        rim = (cx + g * 0.85, bowl - g * 0.2)
    else:  # a highball with ice
        draw.rounded_rectangle(
            (cx - g * 0.65, counter - g * 2.7, cx + g * 0.65, counter), g / 8, wall
        )
        draw.rectangle((cx - g * 0.58, counter - g * 2.3, cx + g * 0.58, counter - g / 10), drink)
        for y in (counter - g * (0.6 + 0.6 * k) for k in range(3)):
            draw.rectangle((cx - g * 0.4, y - g / 3, cx + g / 10, y), fill=(255, 255, 255, 60))
        draw.line((cx - g / 3, counter - g * 2.5, cx - g / 3, counter - g / 2), fill=wall, width=2)
        rim = (cx + g * 0.55, counter - g * 2.6)
    garnish, r = _rgb((55, 95, 355)[seed[31] % 3], 0.5, 0.85), g * 0.2  # lemon, lime, cherry
    draw.ellipse((rim[0] - r, rim[1] - r, rim[0] + r, rim[1] + r), fill=garnish)
    img = img.filter(ImageFilter.GaussianBlur(sw / 12 if look == "blurred" else 1.2))
    return img.resize((width, height), Image.Resampling.BICUBIC)


@functools.lru_cache(maxsize=64)
def render_png(prompt: str, width: int, height: int, look: str = "photo") -> bytes:
    """PNG bytes (cached): look is "photo", "blurred" (content filtered) or "black"."""
    out = io.BytesIO()
    _draw(prompt, width, height, look).save(out, "PNG", compress_level=1)
    return out.getvalue()


_RENDERING = threading.Lock()


def _render(prompt: str, width: int, height: int, look: str) -> bytes:
    # One drawing at a time: simultaneous requests for one prompt then share the cached PNG
    # instead of each drawing it (CPU-bound anyway).
    with _RENDERING:
        return render_png(prompt, width, height, look)


NOT_AN_IMAGE = (
    b"<!DOCTYPE html><html><head><title>Service maintenance</title></head><body><h1>We'll be "
    b"back soon</h1><p>The image service is under maintenance.</p></body></html>"
)
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
    b"Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

# --------------------------------------------------------------------------------------------
# Scenarios

ERRORS = ("unauthorized", "forbidden", "no_credits", "rate_limited", "server_error", "bad_gateway")


@dataclass(frozen=True)
class Scenario:
    """How the fake answers one generation request. A scenario's failure takes precedence
    over the request's own validation."""

    name: str = "custom"
    delay: float | None = None
    """Seconds before answering. None: the server's seconds_per_image x images for a
    generation, at once for an error."""
    error: str | None = None
    """Fail with one of ERRORS, in the called API's own format."""
    finish_reason: str = "SUCCESS"
    """CONTENT_FILTERED: Stability 200 with a blurred image, A1111 a black image (as a safety
    checker), OpenAI 400 content_policy_violation. ERROR: Stability finishReason ERROR (a
    black image), the others a 500."""
    payload: str = "png"
    """The image bytes: "png", "html" (valid JSON, but base64 of a web page) or "truncated"."""
    action: str | None = None
    """"hang": accept and never answer (until the client leaves or the server stops);
    "reset": close the connection without a response."""


PRESETS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("ok"),
        Scenario("slow", delay=2.0),
        *(Scenario(name, error=name) for name in ERRORS),
        Scenario("filtered", finish_reason="CONTENT_FILTERED"),
        Scenario("finish_error", finish_reason="ERROR"),
        Scenario("not_image", payload="html"),
        Scenario("truncated_image", payload="truncated"),
        Scenario("hang", action="hang"),
        Scenario("reset", action="reset"),
    )
}


def scenario(spec: str | Scenario, **changes: Any) -> Scenario:
    """A preset by name (or a Scenario), with fields replaced."""
    result: Scenario = pick(PRESETS, spec, **changes)
    return result


# --------------------------------------------------------------------------------------------
# The three APIs: validation, success and errors, each in its own format

_Reply = tuple[int, bytes, str]  # status, body, content type


def _json(status: int, value: Any) -> _Reply:
    return status, json.dumps(value, separators=(",", ":")).encode(), "application/json"


class _Refused(Exception):
    """The server refuses the request; the args are those of the API's error()."""


def _require(ok: object, *error: Any) -> None:
    if not ok:
        raise _Refused(*error)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _mask(key: str) -> str:
    return key[:4] + "*" * 10 + key[-4:] if len(key) > 8 else "*" * len(key)


def _bearer(ex: Exchange) -> str | None:
    value = ex.headers.get("authorization")
    return None if value is None else value.removeprefix("Bearer ").strip()


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seed(prompt: str) -> int:  # for "random" seeds: stable per prompt
    return int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16)


@dataclass
class _Job:
    """A valid generation request."""

    prompt: str
    width: int
    height: int
    count: int
    seed: int
    params: dict[str, Any]


class _Stability:
    name = "stability"
    FAILURES: ClassVar[dict[str, tuple[Any, ...]]] = {
        "forbidden": (403, "permission_denied", "You do not have access to this resource"),
        "no_credits": (402, "payment_required", "You lack sufficient credits to make this "
                       "request.  Please purchase more credits at "
                       "https://platform.stability.ai/account/credits and try again."),
        "rate_limited": (429, "rate_limit_exceeded", "You have exceeded the rate limit"),
        "server_error": (500, "server_error", "An unexpected server error has occurred"),
    }  # fmt: skip
    RANGES = (("samples", 1, 10, 1), ("steps", 10, 50, 30), ("cfg_scale", 0, 35, 7),
              ("seed", 0, 4294967295, 0))  # fmt: skip

    @staticmethod
    def error(status: int, name: str, message: str) -> _Reply:
        body: dict[str, Any] = {"id": uuid.uuid4().hex, "name": name, "message": message}
        if name == "payment_required":  # the reference's (unconfirmed) capture has "errors"
            body["errors"] = [message]
        return _json(status, body)

    @staticmethod
    def authorize(fake: FakeImageServer, ex: Exchange, refuse: bool = False) -> None:
        key = _bearer(ex)
        _require(key is not None, 401, "unauthorized", "missing authorization header")
        _require(key == fake.api_key and not refuse, 401, "unauthorized",
                 f"Incorrect API key provided: {_mask(key or '')}. You can find your API key at "
                 "https://platform.stability.ai/account/keys")  # fmt: skip

    @classmethod
    def parse(cls, fake: FakeImageServer, ex: Exchange, engine: str) -> _Job:
        def check(ok: object, message: str, name: str = "bad_request") -> None:
            _require(ok, 400, name, message)

        _require(engine == SDXL_ENGINE, 404, "not_found",
                 f"The specified engine (ID {engine}) was not found.")  # fmt: skip
        check("application/json" in ex.headers.get("content-type", ""),
              "content-type: must be application/json")  # fmt: skip
        body = ex.body
        check(isinstance(body, dict), "body: must be a JSON object")
        prompts = body.get("text_prompts")
        check(isinstance(prompts, list) and prompts, "text_prompts: cannot be empty")
        for i, item in enumerate(prompts):
            text = item.get("text") if isinstance(item, dict) else None
            check(isinstance(text, str) and text.strip(), f"text_prompts[{i}].text: is required")
            check(len(text) <= 2000, f"text_prompts[{i}].text: must be at most 2000 characters")
            weight = item.get("weight", 1)
            check(isinstance(weight, int | float), f"text_prompts[{i}].weight: must be a number")
        positive = [p["text"] for p in prompts if p.get("weight", 1) > 0]
        check(positive, "text_prompts: at least one prompt must have a positive weight")
        values = {}
        for key, low, high, default in cls.RANGES:
            value = values[key] = body.get(key, default)
            number = _integer(value) or (key == "cfg_scale" and isinstance(value, float))
            check(number and low <= value <= high, f"{key}: must be between {low} and {high}")
        w, h = body.get("width", 1024), body.get("height", 1024)
        allowed = ", ".join(f"{a}x{b}" for a, b in SDXL_SIZES)
        check((w, h) in SDXL_SIZES, f"For the {engine} engine the allowed dimensions are "
              f"{allowed}, but we received {w}x{h}", "invalid_sdxl_v1_dimensions")  # fmt: skip
        style = body.get("style_preset", "photographic")
        check(style in STYLE_PRESETS, f"style_preset: must be one of {STYLE_PRESETS}")
        return _Job(positive[0], w, h, values["samples"], values["seed"] or _seed(positive[0]), {})

    @staticmethod
    def look(sc: Scenario) -> str:
        return {"CONTENT_FILTERED": "blurred", "ERROR": "black"}.get(sc.finish_reason, "photo")

    @staticmethod
    def success(job: _Job, images: list[bytes], sc: Scenario) -> _Reply:
        artifacts = [{"base64": _b64(data), "seed": job.seed + i, "finishReason": sc.finish_reason}
                     for i, data in enumerate(images)]  # fmt: skip
        return _json(200, {"artifacts": artifacts})


class _A1111:
    name = "automatic1111"
    OOM = (
        "CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 11.72 GiB "
        "of which 1.19 GiB is free. Of the allocated memory 9.02 GiB is allocated by PyTorch."
    )
    # A local A1111 has no credits, permissions or rate limits: these are a proxy's (or a
    # hosted A1111's) answers, in A1111's format; a server error is the classic OOM.
    FAILURES: ClassVar[dict[str, tuple[Any, ...]]] = {
        "forbidden": (403, "Forbidden"),
        "no_credits": (402, "Payment Required"),
        "rate_limited": (429, "Too Many Requests"),
        "server_error": (500, "", "OutOfMemoryError", OOM),
    }
    TYPES: ClassVar[dict[str, type]] = {  # of StableDiffusionTxt2ImgProcessingAPI's fields
        "prompt": str, "negative_prompt": str, "seed": int, "steps": int, "width": int,
        "height": int, "batch_size": int, "n_iter": int, "cfg_scale": float,
    }  # fmt: skip
    DEFAULTS: ClassVar[dict[str, Any]] = {  # echoed in "parameters", as A1111 does
        "prompt": "", "negative_prompt": "", "seed": -1, "sampler_name": None, "batch_size": 1,
        "n_iter": 1, "steps": 50, "cfg_scale": 7.0, "width": 512, "height": 512,
        "override_settings": None, "sampler_index": "Euler", "send_images": True,
        "save_images": False,
    }  # fmt: skip

    @staticmethod
    def error(status: int, detail: Any, name: str = "HTTPException", errors: str = "") -> _Reply:
        """FastAPI's validation errors, else A1111's api_middleware handle_exception."""
        if isinstance(detail, list):
            return _json(status, {"detail": detail})
        return _json(status, {"error": name, "detail": detail, "body": "",
                              "errors": errors or f"{status}: {detail}"})  # fmt: skip

    @staticmethod
    def authorize(fake: FakeImageServer, ex: Exchange, refuse: bool = False) -> None:
        _require(not refuse, 401, "Not authenticated")  # A1111 started with --api-auth

    @classmethod
    def parse(cls, fake: FakeImageServer, ex: Exchange, engine: str) -> _Job:
        body = ex.body
        _require(isinstance(body, dict), 422, [{"loc": ["body"], "msg": "value is not a valid "
                                                "dict", "type": "type_error.dict"}])  # fmt: skip
        params = cls.DEFAULTS | {k: v for k, v in body.items() if v is not None}
        problems = []
        for key, kind in cls.TYPES.items():
            try:  # pydantic v1's lenient coercion ("20" is 20 steps)
                if kind is str and not isinstance(params[key], str):
                    raise TypeError
                params[key] = kind(params[key])
            except (TypeError, ValueError):
                kind_name = kind.__name__.replace("int", "integer")
                problems.append({"loc": ["body", key], "msg": f"value is not a valid {kind_name}",
                                 "type": f"type_error.{kind_name}"})  # fmt: skip
        _require(not problems, 422, problems)
        # SD works on 8-pixel latents: 990x316 comes back as 984x312.
        w, h = (min(4096, max(64, v // 8 * 8)) for v in (params["width"], params["height"]))
        count = max(1, params["batch_size"]) * max(1, params["n_iter"])
        seed = params["seed"] if params["seed"] != -1 else _seed(params["prompt"])
        return _Job(params["prompt"], w, h, count, seed, params)

    @staticmethod
    def look(sc: Scenario) -> str:
        return "black" if sc.finish_reason == "CONTENT_FILTERED" else "photo"

    @classmethod
    def success(cls, job: _Job, images: list[bytes], sc: Scenario) -> _Reply:
        _require(sc.finish_reason != "ERROR", *cls.FAILURES["server_error"])
        p, (model, short) = job.params, A1111_MODEL
        seeds = [job.seed + i for i in range(job.count)]
        sampler = p["sampler_name"] or p["sampler_index"]
        infotexts = [
            f"{job.prompt}\nNegative prompt: {p['negative_prompt']}\nSteps: {p['steps']}, "
            f"Sampler: {sampler}, CFG scale: {p['cfg_scale']:g}, Seed: {seed}, "
            f"Size: {job.width}x{job.height}, Model hash: {short}, Model: {model}, "
            f"Version: {A1111_VERSION}"
            for seed in seeds
        ]
        info = {  # Processed.js(), the fields a client may read
            "prompt": job.prompt, "all_prompts": [job.prompt] * job.count,
            "negative_prompt": p["negative_prompt"], "seed": job.seed, "all_seeds": seeds,
            "width": job.width, "height": job.height, "sampler_name": sampler,
            "cfg_scale": p["cfg_scale"], "steps": p["steps"], "batch_size": p["batch_size"],
            "sd_model_name": model, "sd_model_hash": short, "infotexts": infotexts,
            "version": A1111_VERSION,
        }  # fmt: skip
        sent = [_b64(data) for data in images] if p["send_images"] else []
        return _json(200, {"images": sent, "parameters": p, "info": json.dumps(info)})


class _OpenAI:
    name = "openai"
    FAILURES: ClassVar[dict[str, tuple[Any, ...]]] = {
        "forbidden": (403, "You are not allowed to use this model.", "invalid_request_error"),
        "no_credits": (429, "You exceeded your current quota, please check your plan and "
                       "billing details.", "insufficient_quota", "insufficient_quota"),
        "rate_limited": (429, "Rate limit reached for images per minute. Please try again "
                         "later.", "requests", "rate_limit_exceeded"),
        "server_error": (500, "The server had an error while processing your request. Sorry "
                         "about that!", "server_error"),
    }  # fmt: skip

    @staticmethod
    def error(status: int, message: str, kind: str = "invalid_request_error",
              code: str | None = None, param: str | None = None) -> _Reply:  # fmt: skip
        return _json(status, {"error": {"message": message, "type": kind, "param": param,
                                        "code": code}})  # fmt: skip

    @staticmethod
    def authorize(fake: FakeImageServer, ex: Exchange, refuse: bool = False) -> None:
        if fake.openai_api_key is None and not refuse:
            return
        key = _bearer(ex)
        _require(key is not None, 401, "You didn't provide an API key. You need to provide your "
                 "API key in an Authorization header using Bearer auth (i.e. Authorization: "
                 "Bearer YOUR_KEY).")  # fmt: skip
        _require(key == fake.openai_api_key and not refuse, 401,
                 f"Incorrect API key provided: {_mask(key or '')}.", "invalid_request_error",
                 "invalid_api_key")  # fmt: skip

    @staticmethod
    def parse(fake: FakeImageServer, ex: Exchange, engine: str) -> _Job:
        def check(ok: object, message: str, param: str | None = None, code: str = "") -> None:
            _require(ok, 400, message, "invalid_request_error", code or "invalid_value", param)

        body = ex.body
        check(isinstance(body, dict), "We could not parse the JSON body of your request.", None,
              "invalid_json")  # fmt: skip
        prompt = body.get("prompt")
        check(isinstance(prompt, str) and prompt.strip(), "Missing required parameter: 'prompt'.",
              "prompt", "missing_required_parameter")  # fmt: skip
        model = body.get("model") or fake.openai_models[0]  # LocalAI's default
        _require(model in fake.openai_models, 404, f"The model `{model}` does not exist or you do not have "
                 "access to it.", "invalid_request_error", "model_not_found")  # fmt: skip
        size = body.get("size") or "512x512"  # LocalAI's default
        match = re.fullmatch(r"(\d{2,4})x(\d{2,4})", str(size))
        w, h = (int(match[1]), int(match[2])) if match else (0, 0)
        check(64 <= w <= 2048 and 64 <= h <= 2048, f"Invalid value for 'size': {size!r}.", "size")
        n = body.get("n") or 1
        check(_integer(n) and 1 <= n <= 10, f"Invalid 'n': {n!r}, expected 1 to 10.", "n")
        fmt = body.get("response_format")
        check(fmt == "b64_json", f"Invalid value: {fmt!r}. The fake image server answers "
              "'b64_json' only.", "response_format")  # fmt: skip
        return _Job(prompt, w, h, n, _seed(prompt), {})

    @staticmethod
    def look(sc: Scenario) -> str:
        return "photo"

    @classmethod
    def success(cls, job: _Job, images: list[bytes], sc: Scenario) -> _Reply:
        _require(sc.finish_reason != "CONTENT_FILTERED", 400, "Your request was rejected as a "
                 "result of our safety system. Your prompt may contain text that is not allowed "
                 "by our safety system.", "invalid_request_error", "content_policy_violation")  # fmt: skip
        _require(sc.finish_reason != "ERROR", *cls.FAILURES["server_error"])
        data = [{"index": i, "b64_json": _b64(image)} for i, image in enumerate(images)]
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}  # LocalAI's
        return _json(200, {"created": int(time.time()), "id": str(uuid.uuid4()), "data": data,
                           "usage": usage})  # fmt: skip


_API = type[_Stability] | type[_A1111] | type[_OpenAI]
_STABILITY_PATH = re.compile(r"/v1/generation/([^/]+)/text-to-image")
_PATHS: dict[str, _API] = {"/sdapi/v1/txt2img": _A1111, "/v1/images/generations": _OpenAI}


# --------------------------------------------------------------------------------------------
# The server


class FakeImageServer(ThreadedServer):
    """Fake Stability AI, AUTOMATIC1111 and OpenAI-compatible image servers on 127.0.0.1.

    `scenario` is a preset name, a Scenario, or a sequence: consecutive generation requests (of
    any API) take them in order, then the last one answers all the next ones."""

    label = "fake image server"
    presets = PRESETS

    def __init__(
        self,
        scenario: str | Scenario | Sequence[str | Scenario] = "ok",
        *,
        seconds_per_image: float = 0.05,
        api_key: str = "sk-test",
        openai_api_key: str | None = None,
        openai_models: Sequence[str] = OPENAI_MODELS,
        **server: Any,
    ) -> None:
        """`server`: host, port, record, log_level, access_log (see ThreadedServer)."""
        super().__init__(scenario, **server)
        self.seconds_per_image = seconds_per_image
        self.api_key = api_key
        """Stability's valid key (always required, as by the real API)."""
        self.openai_api_key = openai_api_key
        """None: the OpenAI-compatible API needs no key (LocalAI's default)."""
        self.openai_models = tuple(openai_models)

    @property
    def generations(self) -> list[Any]:
        """The generation requests (of any API), in order."""
        return [r for r in self.requests if r.api is not None]

    async def handle(self, ex: Exchange) -> None:
        engine = _STABILITY_PATH.fullmatch(ex.path)
        api = _Stability if engine else _PATHS.get(ex.path)
        if api is None:
            return await ex.respond(404, b"Not Found", "text/plain; charset=utf-8")
        if ex.method != "POST":
            return await ex.respond(405, b"Method Not Allowed", "text/plain; charset=utf-8")
        sc = self.next_scenario()
        ex.record.api, ex.record.scenario = api.name, sc.name
        try:
            reply = await self._answer(ex, api, engine[1] if engine else "", sc)
        except _Refused as exc:
            reply = api.error(*exc.args)
        if reply is not None:  # else a hang ended, a reset, or the server stops
            await ex.respond(*reply)
        return None

    async def _answer(self, ex: Exchange, api: _API, engine: str, sc: Scenario) -> _Reply | None:
        if sc.action == "reset":
            await ex.drop()
            return None
        if sc.action == "hang":
            await ex.wait(None)  # until the client leaves or the server stops
            return None
        if sc.error is not None:
            if sc.delay and not await ex.sleep(sc.delay):
                return None
            if sc.error == "bad_gateway":  # a reverse proxy's page, whatever the API
                return 502, BAD_GATEWAY_HTML, "text/html"
            api.authorize(self, ex, refuse=sc.error == "unauthorized")
            raise _Refused(*api.FAILURES[sc.error])
        api.authorize(self, ex)
        job = api.parse(self, ex, engine)
        ex.record.prompt = job.prompt
        with self._busy():
            delay = sc.delay if sc.delay is not None else self.seconds_per_image * job.count
            started = time.monotonic()  # drawing is part of the latency, not added to it
            args = (job.prompt, job.width, job.height, api.look(sc))
            png = await asyncio.to_thread(_render, *args)
            if not await ex.sleep(delay - (time.monotonic() - started)):
                return None
        image = {"png": png, "html": NOT_AN_IMAGE, "truncated": png[: len(png) // 2]}[sc.payload]
        return api.success(job, [image] * job.count, sc)


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_images",
        description="Fake Stability AI / AUTOMATIC1111 / OpenAI-compatible image servers.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=8188, help="0 picks a free port")
    add("--scenario", default="ok", help="a preset, or several separated by commas (the last "
        f"one stays); presets: {', '.join(PRESETS)}")  # fmt: skip
    add("--seconds-per-image", type=float, default=4.0)
    add("--api-key", default="sk-test", help="Stability's valid key")
    add("--openai-api-key", default=None, help="require this key (default: none)")
    add("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    try:
        scenarios = [scenario(name.strip()) for name in args.scenario.split(",")]
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    fake = FakeImageServer(
        scenarios, host=args.host, port=args.port, seconds_per_image=args.seconds_per_image,
        api_key=args.api_key, openai_api_key=args.openai_api_key, record=False,
        log_level="warning" if args.quiet else "info", access_log=not args.quiet,
    )  # fmt: skip
    return serve_until_signal(fake, lambda: [
        f"  scenario: {args.scenario}, {args.seconds_per_image:g} s per image",
        f"  Stability AI:  IMAGE_PROVIDER=stability STABILITY_API_HOST={fake.url} "
        f"STABILITY_API_KEY={fake.api_key}",
        f"  AUTOMATIC1111: IMAGE_PROVIDER=automatic1111 SD_WEBUI_URL={fake.url}",
        f"  OpenAI-compatible: IMAGE_PROVIDER=openai OPENAI_IMAGES_URL={fake.url}/v1",
        f'Switch scenario: curl -d \'{{"scenario": "no_credits"}}\' {fake.url}/_fake/scenario',
    ])  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
