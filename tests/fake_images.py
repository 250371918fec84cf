"""Faithful fake image-generation servers: real HTTP on 127.0.0.1 for tests, benchmarks and
GPU-less development.

One small hand-written ASGI app, served by uvicorn in a background thread with its own event
loop, answers three APIs at once (their paths do not collide), following
/work/shared/reference/image-apis.md and the servers' sources:

- Stability AI v1 (SDXL): `POST /v1/generation/{engine}/text-to-image` (Bearer key; JSON, or
  raw bytes for `Accept: image/png`), `GET /v1/user/balance`, `GET /v1/engines/list`.
- AUTOMATIC1111 / Forge: `POST /sdapi/v1/txt2img`, `GET /sdapi/v1/sd-models|options|samplers`;
  FastAPI's 422 for bad bodies, A1111's `{"error", "detail", "body", "errors"}` otherwise.
- OpenAI-compatible (LocalAI, stable-diffusion.cpp): `POST /v1/images/generations`, `b64_json`
  or `url` (files then served under `/generated-images/`, as LocalAI does), `GET /v1/models`.

Pictures are real PNGs of the requested size, drawn cheaply and deterministically from the
prompt (a glass in the colour the prompt names, on a bar) and carrying the prompt's SHA-256:
`png_prompt_digest(png) == prompt_digest(prompt)` tells which prompt made an image.

Use from tests::

    with FakeImageServer(seconds_per_image=0.05) as fake:   # or fake.start() / fake.stop()
        fake.set_scenario("rate_limited", "ok")   # 1st generation 429, then ok from then on
        httpx.post(fake.url + "/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image", ...)
        fake.generations[-1].body                 # what the app sent

From a shell::

    python -m tests.fake_images --port 8188 --kind stability --seconds-per-image 8
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import colorsys
import contextlib
import dataclasses
import functools
import hashlib
import io
import itertools
import json
import logging
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import uvicorn
from PIL import Image, ImageDraw, ImageFilter, PngImagePlugin

from tests.fake_server import ThreadedServer

__all__ = [
    "A1111_MODELS",
    "A1111_SAMPLERS",
    "ERRORS",
    "KINDS",
    "OPENAI_MODELS",
    "PRESETS",
    "SDXL_SIZES",
    "STABILITY_ENGINES",
    "FakeImageServer",
    "RecordedRequest",
    "Scenario",
    "png_prompt_digest",
    "prompt_digest",
    "render_png",
    "scenario",
]


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


KINDS = ("stability", "automatic1111", "openai")  # the app's IMAGE_PROVIDER names
SDXL_ENGINE = "stable-diffusion-xl-1024-v1-0"
STABILITY_ENGINES = {SDXL_ENGINE: "Stable Diffusion XL v1.0", "stable-diffusion-v1-6": "SD v1.6"}
SDXL_SIZES = ((1024, 1024), (1152, 896), (1216, 832), (1344, 768), (1536, 640), (640, 1536),
              (768, 1344), (832, 1216), (896, 1152))  # fmt: skip
CREDITS_PER_IMAGE = 0.9  # Stability SDXL at <= 30 steps, per the reference
STYLE_PRESETS = _names(
    "3d-model analog-film anime cinematic comic-book digital-art enhance fantasy-art isometric "
    "line-art low-poly modeling-compound neon-punk origami photographic pixel-art tile-texture"
)
STABILITY_SAMPLERS = _names(
    "DDIM DDPM K_DPMPP_2M K_DPMPP_2S_ANCESTRAL K_DPM_2 K_DPM_2_ANCESTRAL K_EULER "
    "K_EULER_ANCESTRAL K_HEUN K_LMS"
)
A1111_VERSION = "v1.10.1"
A1111_MODELS = (("sd_xl_base_1.0", "31e35c80fc"), ("juggernautXL_v9", "c9e3e68f89"))
A1111_SAMPLERS = ("DPM++ 2M", "DPM++ SDE", "Euler a", "Euler", "LMS", "Heun", "DDIM", "UniPC")
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


def prompt_digest(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


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
def render_png(prompt: str, width: int, height: int, look: str = "photo", pad_to: int = 0) -> bytes:
    """PNG bytes (cached): look is "photo", "blurred" (content filtered) or "black". `pad_to`
    pads the file with a private ancillary chunk (decoders skip it) up to that many bytes, for
    benchmarks that want real SDXL sizes (~1.5 MB) on the wire without paying for noise."""
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt_sha256", prompt_digest(prompt))
    info.add_itxt("prompt", prompt[:2000])
    info.add_text("Software", "barapp fake image server")
    out = io.BytesIO()
    _draw(prompt, width, height, look).save(out, "PNG", pnginfo=info, compress_level=1)
    data = out.getvalue()
    if len(data) + 12 < pad_to:
        chunk = b"fkPd" + os.urandom(pad_to - len(data) - 12)
        chunk = struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", zlib.crc32(chunk))
        data = data[:-12] + chunk + data[-12:]  # before IEND
    return data


_RENDERING = threading.Lock()


def _render(prompt: str, width: int, height: int, look: str, pad_to: int) -> bytes:
    # One drawing at a time: simultaneous requests for one prompt then share the cached PNG
    # instead of each drawing it (CPU-bound anyway).
    with _RENDERING:
        return render_png(prompt, width, height, look, pad_to)


def png_prompt_digest(data: bytes) -> str | None:
    """The prompt digest a fake PNG carries (None for anything else)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return getattr(img, "text", {}).get("prompt_sha256")
    except (OSError, SyntaxError, ValueError):
        return None


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
    """How the fake answers one generation request (GET endpoints ignore scenarios). A
    scenario's failure takes precedence over the request's own validation."""

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
    status: int | None = None
    """Replace the status of whatever the answer is."""
    body: bytes | str | dict[str, Any] | list[Any] | None = None
    """Replace the body of the answer (a dict/list is sent as JSON)."""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    """Extra headers, e.g. (("Retry-After", "10"),): none of the real APIs documents one."""

    def replace(self, **changes: Any) -> Scenario:
        return dataclasses.replace(self, **changes)


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
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ValueError(f"unknown scenario {spec!r}; presets: {', '.join(PRESETS)}")
        spec = PRESETS[spec]
    return spec.replace(**changes) if changes else spec


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-case names."""
    raw_body: bytes
    body: Any
    """The parsed JSON body (None when empty or not JSON)."""
    received_at: float = field(default_factory=time.time)
    api: str | None = None
    """One of KINDS for a generation request, else None."""
    scenario: str | None = None
    prompt: str | None = None
    """The prompt the picture was drawn from (valid generation requests)."""
    status: int | None = None
    """The status sent (None while none was, or when the connection was dropped)."""


# --------------------------------------------------------------------------------------------
# The three APIs: validation, success and errors, each in its own format


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, value: Any, headers: tuple[tuple[str, str], ...] = ()) -> _Reply:
    return _Reply(status, json.dumps(value, separators=(",", ":")).encode(), headers=headers)


class _Refused(Exception):
    """The server refuses the request; the args are those of the API's error()."""


def _require(ok: object, *error: Any) -> None:
    if not ok:
        raise _Refused(*error)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _mask(key: str) -> str:
    return key[:4] + "*" * 10 + key[-4:] if len(key) > 8 else "*" * len(key)


def _bearer(req: _Req) -> str | None:
    value = req.headers.get("authorization")
    return None if value is None else value.removeprefix("Bearer ").strip()


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class _Job:
    """A valid generation request."""

    prompt: str
    width: int
    height: int
    count: int
    seed: int
    options: dict[str, Any]


def _seed(prompt: str) -> int:  # for "random" seeds: stable per prompt
    return int(prompt_digest(prompt)[:8], 16)


class _Stability:
    name = "stability"
    NO_CREDITS = (
        "You lack sufficient credits to make this request.  Please purchase more credits at "
        "https://platform.stability.ai/account/credits and try again."
    )
    FAILURES: ClassVar[dict[str, tuple[Any, ...]]] = {
        "forbidden": (403, "permission_denied", "You do not have access to this resource"),
        "no_credits": (402, "payment_required", NO_CREDITS),
        "rate_limited": (429, "rate_limit_exceeded", "You have exceeded the rate limit"),
        "server_error": (500, "server_error", "An unexpected server error has occurred"),
    }
    RANGES = (("samples", 1, 10, 1), ("steps", 10, 50, 30), ("cfg_scale", 0, 35, 7),
              ("seed", 0, 4294967295, 0))  # fmt: skip

    def __init__(self, fake: FakeImageServer) -> None:
        self.fake = fake

    @staticmethod
    def error(status: int, name: str, message: str) -> _Reply:
        body: dict[str, Any] = {"id": uuid.uuid4().hex, "name": name, "message": message}
        if name == "payment_required":  # the reference's (unconfirmed) capture has "errors"
            body["errors"] = [message]
        return _json(status, body)

    def authorize(self, req: _Req, refuse: bool = False) -> None:
        key = _bearer(req)
        _require(key is not None, 401, "unauthorized", "missing authorization header")
        _require(key == self.fake.api_key and not refuse, 401, "unauthorized",
                 f"Incorrect API key provided: {_mask(key or '')}. You can find your API key at "
                 "https://platform.stability.ai/account/keys")  # fmt: skip

    def parse(self, req: _Req, engine: str = "") -> _Job:
        def check(ok: object, message: str, name: str = "bad_request") -> None:
            _require(ok, 400, name, message)

        _require(engine in STABILITY_ENGINES, 404, "not_found",
                 f"The specified engine (ID {engine}) was not found.")  # fmt: skip
        ctype = req.headers.get("content-type", "")
        check("application/json" in ctype, "content-type: must be application/json")
        body = req.body
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
        for key, low, high, default in self.RANGES:
            value = values[key] = body.get(key, default)
            number = isinstance(value, float) if key == "cfg_scale" else False
            check(_integer(value) or number, f"{key}: must be a number")
            check(low <= value <= high, f"{key}: must be between {low} and {high}")
        sdxl = engine == SDXL_ENGINE
        w, h = body.get("width", 1024 if sdxl else 512), body.get("height", 1024 if sdxl else 512)
        check(_integer(w) and _integer(h), "width, height: must be integers")
        if sdxl:
            allowed = ", ".join(f"{a}x{b}" for a, b in SDXL_SIZES)
            check((w, h) in SDXL_SIZES, f"For the {engine} engine the allowed dimensions are "
                  f"{allowed}, but we received {w}x{h}", "invalid_sdxl_v1_dimensions")  # fmt: skip
        else:
            check(w % 64 == h % 64 == 0 and min(w, h) >= 320 and max(w, h) <= 1536,
                  "width, height: must be multiples of 64 from 320 to 1536",
                  "invalid_height_or_width")  # fmt: skip
        for key, choices in (("style_preset", STYLE_PRESETS), ("sampler", STABILITY_SAMPLERS)):
            check(body.get(key, choices[0]) in choices, f"{key}: must be one of {choices}")
        count = values["samples"]
        _require(self.fake.credits >= count * CREDITS_PER_IMAGE, *self.FAILURES["no_credits"])
        accept = req.headers.get("accept", "")
        png = "image/png" in accept and "application/json" not in accept
        return _Job(positive[0], w, h, count, values["seed"] or _seed(positive[0]), {"png": png})

    @staticmethod
    def look(sc: Scenario) -> str:
        return {"CONTENT_FILTERED": "blurred", "ERROR": "black"}.get(sc.finish_reason, "photo")

    def success(self, req: _Req, job: _Job, images: list[bytes], sc: Scenario) -> _Reply:
        self.fake.credits = round(self.fake.credits - job.count * CREDITS_PER_IMAGE, 4)
        if job.options["png"]:  # the first image's bytes, its metadata in headers
            ctype = "text/html" if sc.payload == "html" else "image/png"
            headers = (("Finish-Reason", sc.finish_reason), ("Seed", str(job.seed)))
            return _Reply(200, images[0], ctype, headers)
        artifacts = [{"base64": _b64(data), "seed": job.seed + i, "finishReason": sc.finish_reason}
                     for i, data in enumerate(images)]  # fmt: skip
        return _json(200, {"artifacts": artifacts})


# pydantic v1 types of the fields of A1111's StableDiffusionTxt2ImgProcessingAPI that matter.
_A1111_TYPES = {
    name: kind
    for kind, names in (
        ("int", "seed subseed batch_size n_iter steps width height"),
        ("float", "subseed_strength cfg_scale denoising_strength"),
        ("str", "prompt negative_prompt sampler_name sampler_index scheduler"),
        ("bool", "restore_faces tiling enable_hr send_images save_images"),
        ("dict", "override_settings"),
        ("list", "styles"),
    )
    for name in names.split()
}
_PYDANTIC_ERRORS = {
    "int": ("value is not a valid integer", "type_error.integer"),
    "float": ("value is not a valid float", "type_error.float"),
    "str": ("str type expected", "type_error.str"),
    "bool": ("value could not be parsed to a boolean", "type_error.bool"),
    "dict": ("value is not a valid dict", "type_error.dict"),
    "list": ("value is not a valid list", "type_error.list"),
}
_BOOLS = {"0": False, "off": False, "false": False, "no": False, "1": True, "on": True,
          "true": True, "yes": True}  # fmt: skip


def _pydantic_v1(kind: str, value: Any) -> Any:
    """pydantic v1's lenient coercion of one field; ValueError(msg, type) when it fails."""
    with contextlib.suppress(KeyError, TypeError, ValueError):
        if kind in ("int", "float") and isinstance(value, int | float | str):
            return int(value) if kind == "int" else float(value)
        if kind == "str" and isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        if kind == "bool" and isinstance(value, bool | int | str):
            return _BOOLS[str(value).lower()]
        if isinstance(value, {"dict": dict, "list": list}.get(kind, ())):
            return value
    raise ValueError(*_PYDANTIC_ERRORS[kind])


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
    DEFAULTS: ClassVar[dict[str, Any]] = {  # echoed in "parameters", as A1111 does
        "prompt": "", "negative_prompt": "", "styles": None, "seed": -1, "subseed": -1,
        "subseed_strength": 0.0, "sampler_name": None, "scheduler": None, "batch_size": 1,
        "n_iter": 1, "steps": 50, "cfg_scale": 7.0, "width": 512, "height": 512,
        "override_settings": None, "sampler_index": "Euler", "send_images": True,
        "save_images": False, "alwayson_scripts": {},
    }  # fmt: skip

    def __init__(self, fake: FakeImageServer) -> None:
        self.fake = fake

    @staticmethod
    def error(status: int, detail: Any, name: str = "HTTPException", errors: str = "") -> _Reply:
        """FastAPI's validation errors, else A1111's api_middleware handle_exception (which
        drops the exception's headers: its 401 has no WWW-Authenticate)."""
        if isinstance(detail, list):
            return _json(status, {"detail": detail})
        return _json(status, {"error": name, "detail": detail, "body": "",
                              "errors": errors or f"{status}: {detail}"})  # fmt: skip

    def authorize(self, req: _Req, refuse: bool = False) -> None:
        """HTTP Basic, as with `--api-auth user:password`."""
        value = req.headers.get("authorization", "")
        if self.fake.a1111_auth is None and not refuse:
            return
        _require(value.startswith("Basic ") or refuse, 401, "Not authenticated")
        given = ""
        with contextlib.suppress(ValueError):
            given = base64.b64decode(value[6:]).decode()
        _require(given == ":".join(self.fake.a1111_auth or ()) and not refuse,
                 401, "Incorrect username or password")  # fmt: skip

    def parse(self, req: _Req) -> _Job:
        ctype = req.headers.get("content-type", "")
        if req.json_error is not None and (not ctype or "json" in ctype):
            e = req.json_error
            ctx = {"msg": e.msg, "doc": e.doc, "pos": e.pos, "lineno": e.lineno, "colno": e.colno}
            raise _Refused(422, [{"loc": ["body", e.pos], "msg": str(e),
                                  "type": "value_error.jsondecode", "ctx": ctx}])  # fmt: skip
        _require(req.raw, 422, [{"loc": ["body"], "msg": "field required",
                                 "type": "value_error.missing"}])  # fmt: skip
        body = req.body if not ctype or "json" in ctype else None  # else FastAPI reads bytes
        _require(isinstance(body, dict), 422, [{"loc": ["body"], "msg": "value is not a valid dict",
                                                "type": "type_error.dict"}])  # fmt: skip
        params, problems = dict(self.DEFAULTS), []
        for key, value in body.items():
            if value is None:  # Optional fields: None means the default
                continue
            try:
                params[key] = (
                    _pydantic_v1(_A1111_TYPES[key], value) if key in _A1111_TYPES else value
                )
            except ValueError as exc:
                problems.append({"loc": ["body", key], "msg": exc.args[0], "type": exc.args[1]})
        _require(not problems, 422, problems)
        sampler = params["sampler_name"] or params["sampler_index"]
        _require(sampler.lower() in {s.lower() for s in A1111_SAMPLERS}, 404, "Sampler not found")
        # SD works on 8-pixel latents: 990x316 comes back as 984x312.
        w, h = (min(4096, max(64, v // 8 * 8)) for v in (params["width"], params["height"]))
        count = max(1, params["batch_size"]) * max(1, params["n_iter"])
        seed = params["seed"] if params["seed"] != -1 else _seed(params["prompt"])
        return _Job(params["prompt"], w, h, count, seed, params)

    @staticmethod
    def look(sc: Scenario) -> str:
        return "black" if sc.finish_reason == "CONTENT_FILTERED" else "photo"

    def success(self, req: _Req, job: _Job, images: list[bytes], sc: Scenario) -> _Reply:
        if sc.finish_reason == "ERROR":
            raise _Refused(*self.FAILURES["server_error"])
        p, n = job.options, job.count
        model, short = self.fake._a1111_model(p.get("override_settings"))
        sampler, seeds = p["sampler_name"] or p["sampler_index"], [job.seed + i for i in range(n)]
        infotexts = [
            f"{job.prompt}\nNegative prompt: {p['negative_prompt']}\nSteps: {p['steps']}, "
            f"Sampler: {sampler}, CFG scale: {p['cfg_scale']:g}, Seed: {seed}, "
            f"Size: {job.width}x{job.height}, Model hash: {short}, Model: {model}, "
            f"Version: {A1111_VERSION}"
            for seed in seeds
        ]
        info = {  # Processed.js(), the fields a client may read
            "prompt": job.prompt, "all_prompts": [job.prompt] * n,
            "negative_prompt": p["negative_prompt"], "seed": job.seed, "all_seeds": seeds,
            "subseed": job.seed + 1, "all_subseeds": [s + 1 for s in seeds], "width": job.width,
            "height": job.height, "sampler_name": sampler, "cfg_scale": p["cfg_scale"],
            "steps": p["steps"], "batch_size": p["batch_size"], "sd_model_name": model,
            "sd_model_hash": short, "infotexts": infotexts, "styles": p["styles"] or [],
            "job_timestamp": time.strftime("%Y%m%d%H%M%S"), "version": A1111_VERSION,
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

    def __init__(self, fake: FakeImageServer) -> None:
        self.fake = fake

    @staticmethod
    def error(status: int, message: str, kind: str = "invalid_request_error",
              code: str | None = None, param: str | None = None) -> _Reply:  # fmt: skip
        return _json(status, {"error": {"message": message, "type": kind, "param": param,
                                        "code": code}})  # fmt: skip

    def authorize(self, req: _Req, refuse: bool = False) -> None:
        if self.fake.openai_api_key is None and not refuse:
            return
        key = _bearer(req)
        _require(key is not None, 401, "You didn't provide an API key. You need to provide your "
                 "API key in an Authorization header using Bearer auth (i.e. Authorization: "
                 "Bearer YOUR_KEY).")  # fmt: skip
        _require(key == self.fake.openai_api_key and not refuse, 401,
                 f"Incorrect API key provided: {_mask(key or '')}.", "invalid_request_error",
                 "invalid_api_key")  # fmt: skip

    def parse(self, req: _Req) -> _Job:
        def check(ok: object, message: str, param: str | None = None, code: str = "") -> None:
            _require(ok, 400, message, "invalid_request_error", code or "invalid_value", param)

        body = req.body
        check(isinstance(body, dict), "We could not parse the JSON body of your request.", None,
              "invalid_json")  # fmt: skip
        prompt = body.get("prompt")
        check(isinstance(prompt, str) and prompt.strip(), "Missing required parameter: 'prompt'.",
              "prompt", "missing_required_parameter")  # fmt: skip
        model = body.get("model") or OPENAI_MODELS[0]  # LocalAI's default
        _require(model in self.fake.openai_models, 404, f"The model `{model}` does not exist or "
                 "you do not have access to it.", "invalid_request_error", "model_not_found")  # fmt: skip
        size = body.get("size") or "512x512"  # LocalAI's default
        match = re.fullmatch(r"(\d{2,4})x(\d{2,4})", str(size))
        w, h = (int(match[1]), int(match[2])) if match else (0, 0)
        check(64 <= w <= 2048 and 64 <= h <= 2048, f"Invalid value for 'size': {size!r}.", "size")
        n = body.get("n") or 1
        check(_integer(n) and 1 <= n <= 10, f"Invalid 'n': {n!r}, expected 1 to 10.", "n")
        fmt = body.get("response_format") or "url"
        check(fmt in ("url", "b64_json"), f"Invalid value: {fmt!r}. Supported values are: "
              "'url' and 'b64_json'.", "response_format")  # fmt: skip
        return _Job(prompt, w, h, n, _seed(prompt), {"format": fmt})

    @staticmethod
    def look(sc: Scenario) -> str:
        return "photo"

    def success(self, req: _Req, job: _Job, images: list[bytes], sc: Scenario) -> _Reply:
        _require(sc.finish_reason != "CONTENT_FILTERED", 400, "Your request was rejected as a "
                 "result of our safety system. Your prompt may contain text that is not allowed "
                 "by our safety system.", "invalid_request_error", "content_policy_violation")  # fmt: skip
        _require(sc.finish_reason != "ERROR", *self.FAILURES["server_error"])
        data: list[dict[str, Any]] = []
        for i, image in enumerate(images):
            if job.options["format"] == "b64_json":
                data.append({"index": i, "b64_json": _b64(image)})
                continue
            # LocalAI keeps a file and links it on the host the client called.
            name = f"b64{next(self.fake._names):010d}.png"
            self.fake.files[name] = image
            host = req.headers.get("host", self.fake.host)
            data.append({"index": i, "url": f"http://{host}/generated-images/{name}"})
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}  # LocalAI's
        return _json(200, {"created": int(time.time()), "id": str(uuid.uuid4()), "data": data,
                           "usage": usage})  # fmt: skip


# --------------------------------------------------------------------------------------------
# The ASGI app

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
_API = _Stability | _A1111 | _OpenAI
_STABILITY_PATH = re.compile(r"/v1/generation/([^/]+)/text-to-image")
_GENERATE = {"/sdapi/v1/txt2img": "automatic1111", "/v1/images/generations": "openai"}
_GETS = {  # path -> the API that serves it (and checks its auth)
    "/v1/user/balance": "stability",
    "/v1/engines/list": "stability",
    "/sdapi/v1/sd-models": "automatic1111",
    "/sdapi/v1/options": "automatic1111",
    "/sdapi/v1/samplers": "automatic1111",
    "/v1/models": "openai",
}


class _Req:
    """One request in flight."""

    def __init__(self, scope: dict[str, Any], raw: bytes, receive: Receive, send: Send) -> None:
        self.method, self.path, self.raw = scope["method"], scope["path"], raw
        self.headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
        }
        self.receive, self.send = receive, send
        self.body: Any = None
        self.json_error: json.JSONDecodeError | None = None
        try:
            self.body = json.loads(raw) if raw else None
        except json.JSONDecodeError as exc:
            self.json_error = exc
        except ValueError:  # not UTF-8
            self.json_error = json.JSONDecodeError("Invalid UTF-8", "", 0)
        self.record = RecordedRequest(self.method, self.path, self.headers, raw, self.body)
        self.abort = asyncio.Event()  # the client left, or the server stops
        self.gone = False


class _App:
    def __init__(self, fake: FakeImageServer) -> None:
        self.fake = fake
        self.apis: dict[str, _API] = {
            "stability": _Stability(fake),
            "automatic1111": _A1111(fake),
            "openai": _OpenAI(fake),
        }
        self.inflight: set[_Req] = set()
        self.slots: asyncio.Semaphore | None = None  # created in the server's loop

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        req = _Req(scope, b"".join(chunks), receive, send)
        self.fake._record(req.record)
        path, engine = req.path, _STABILITY_PATH.fullmatch(req.path)
        kind, method = None, ""
        if engine or path in _GENERATE:
            kind, method = ("stability" if engine else _GENERATE[path]), "POST"
        elif path in _GETS or path.startswith("/generated-images/"):
            kind, method = _GETS.get(path, "openai"), "GET"
        if path == "/_fake/scenario":
            await self._send(req, self._control(req))
        elif kind not in self.fake.kinds:
            await self._send(req, _Reply(404, b"Not Found", "text/plain; charset=utf-8"))
        elif req.method != method:
            await self._send(req, _Reply(405, b"Method Not Allowed", "text/plain; charset=utf-8"))
        elif method == "GET":
            await self._send(req, self._get(req, self.apis[kind]))
        else:
            await self.generate(req, self.apis[kind], {"engine": engine[1]} if engine else {})

    def _get(self, req: _Req, api: _API) -> _Reply:
        if req.path.startswith("/generated-images/"):  # served without auth, like LocalAI
            data = self.fake.files.get(req.path.removeprefix("/generated-images/"))
            return _Reply(200, data, "image/png") if data else _Reply(404, b"", "text/plain")
        try:
            api.authorize(req)
        except _Refused as exc:
            return api.error(*exc.args)
        fake, path = self.fake, req.path
        if path == "/v1/user/balance":
            return _json(200, {"credits": fake.credits})
        if path == "/v1/engines/list":
            engines = [{"id": k, "name": v, "description": v, "type": "PICTURE"}
                       for k, v in STABILITY_ENGINES.items()]  # fmt: skip
            return _json(200, engines)
        if path == "/sdapi/v1/sd-models":
            return _json(200, [{"title": f"{name}.safetensors [{short}]", "model_name": name,
                                "hash": short, "filename": f"/models/{name}.safetensors",
                                "config": None} for name, short in A1111_MODELS])  # fmt: skip
        if path == "/sdapi/v1/options":
            model, short = fake._a1111_model(None)
            return _json(200, {"sd_model_checkpoint": f"{model}.safetensors [{short}]",
                               "samples_format": "png", "sd_checkpoint_hash": short})  # fmt: skip
        if path == "/sdapi/v1/samplers":
            return _json(200, [{"name": s, "aliases": [], "options": {}} for s in A1111_SAMPLERS])
        return _json(200, {"object": "list",
                           "data": [{"id": m, "object": "model"} for m in fake.openai_models]})  # fmt: skip

    def _control(self, req: _Req) -> _Reply:
        """GET: the state; POST {"scenario": name or [names], **changes}: switch scenarios."""
        if req.method == "POST":
            body = dict(req.body) if isinstance(req.body, dict) else {}
            names = body.pop("scenario", "ok")
            try:
                self.fake.set_scenario(*([names] if isinstance(names, str) else names), **body)
            except (TypeError, ValueError) as exc:
                return _json(400, {"error": str(exc)})
        return _json(200, self.fake._describe())

    # --- generation ------------------------------------------------------------------------

    async def generate(self, req: _Req, api: _API, route: dict[str, str]) -> None:
        sc = self.fake._next_scenario()
        req.record.api, req.record.scenario = api.name, sc.name
        self.inflight.add(req)
        watcher = asyncio.create_task(self._watch(req))
        try:
            try:
                reply = await self._answer(req, api, route, sc)
            except _Refused as exc:
                reply = api.error(*exc.args)
            if reply is None:  # hang ended, reset, or the server stops
                if not req.gone:
                    await self._drop(req)
                return
            if sc.status is not None or sc.body is not None or sc.headers or sc.content_type:
                reply = self._override(reply, sc)
            await self._send(req, reply)
        finally:
            watcher.cancel()
            self.inflight.discard(req)

    async def _answer(
        self, req: _Req, api: _API, route: dict[str, str], sc: Scenario
    ) -> _Reply | None:
        if sc.action == "reset" or (sc.action == "hang" and not await self._until(req, None)):
            return None
        if sc.error is not None:
            if sc.delay and not await self._until(req, asyncio.sleep(sc.delay)):
                return None
            if sc.error == "bad_gateway":  # a reverse proxy's page, whatever the API
                return _Reply(502, BAD_GATEWAY_HTML, "text/html")
            if sc.error == "unauthorized":
                api.authorize(req, refuse=True)
            raise _Refused(*api.FAILURES[sc.error])
        api.authorize(req)
        job = api.parse(req, **route)
        req.record.prompt = job.prompt
        if self.slots is not None and not await self._until(req, self.slots.acquire()):
            return None
        self.fake._started()
        try:
            delay = sc.delay if sc.delay is not None else self.fake.seconds_per_image * job.count
            started = time.monotonic()  # drawing is part of the latency, not added to it
            args = (job.prompt, job.width, job.height, api.look(sc), self.fake.image_bytes)
            png = await asyncio.to_thread(_render, *args)
            if not await self._until(req, asyncio.sleep(delay - time.monotonic() + started)):
                return None
            cut = png[: len(png) // 2]
            image = {"png": png, "html": NOT_AN_IMAGE, "truncated": cut}[sc.payload]
            self.fake.generated += job.count
            return api.success(req, job, [image] * job.count, sc)
        finally:
            self.fake._ended()
            if self.slots is not None:
                self.slots.release()

    @staticmethod
    def _override(reply: _Reply, sc: Scenario) -> _Reply:
        body, ctype = reply.body, sc.content_type or reply.content_type
        if isinstance(sc.body, dict | list):
            body, ctype = json.dumps(sc.body).encode(), sc.content_type or "application/json"
        elif sc.body is not None:
            body = sc.body.encode() if isinstance(sc.body, str) else sc.body
        return _Reply(sc.status or reply.status, body, ctype, reply.headers + sc.headers)

    @staticmethod
    async def _until(req: _Req, work: Awaitable[Any] | None) -> bool:
        """Await `work` (None: nothing, for ever) unless the client leaves or the server stops
        first; True when the work completed."""
        if work is None:
            await req.abort.wait()
            return False
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(req.abort.wait())
        await asyncio.wait((task, stop), return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if task.done():
            return True
        task.cancel()
        return False

    @staticmethod
    async def _watch(req: _Req) -> None:
        while (await req.receive())["type"] != "http.disconnect":
            pass
        req.gone = True
        req.abort.set()

    async def _drop(self, req: _Req) -> None:
        """Close the connection without a response, as a crashed server or a proxy would."""
        transport = getattr(getattr(req.send, "__self__", None), "transport", None)
        if transport is None:
            raise ConnectionAbortedError("the fake image server drops the connection")
        transport.abort()
        # Let uvicorn see connection_lost first, so that it neither logs nor answers a 500.
        for _ in range(100):
            if req.gone:
                break
            await asyncio.sleep(0.01)

    @staticmethod
    async def _send(req: _Req, reply: _Reply) -> None:
        req.record.status = reply.status
        headers = [
            (b"content-type", reply.content_type.encode()),
            (b"content-length", str(len(reply.body)).encode()),
            *((k.lower().encode(), v.encode("latin-1")) for k, v in reply.headers),
        ]
        await req.send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await req.send({"type": "http.response.body", "body": reply.body})

    def begin_shutdown(self) -> None:
        for req in list(self.inflight):
            req.abort.set()


# --------------------------------------------------------------------------------------------
# The server


class FakeImageServer(ThreadedServer):
    """Fake Stability AI, AUTOMATIC1111 and OpenAI-compatible image servers on 127.0.0.1.

    `scenario` is a preset name, a Scenario, or a sequence: consecutive generation requests (of
    any API) take them in order, then the last one answers all the next ones. `kinds` limits
    the APIs served (the others' paths are 404). `max_concurrent` (None: unlimited) makes
    further generations wait for a slot, as a one-GPU A1111 (1) does.
    """

    label = "fake image server"
    backlog = 2048

    def __init__(
        self,
        scenario: str | Scenario | Sequence[str | Scenario] = "ok",
        *,
        kinds: Sequence[str] = KINDS,
        host: str = "127.0.0.1",
        port: int = 0,
        seconds_per_image: float = 0.05,
        api_key: str = "sk-test",
        openai_api_key: str | None = None,
        a1111_auth: tuple[str, str] | None = None,
        credits: float = 1000.0,
        openai_models: Sequence[str] = OPENAI_MODELS,
        max_concurrent: int | None = None,
        image_bytes: int = 0,
        record: bool = True,
        log_level: str = "warning",
        access_log: bool = False,
    ) -> None:
        if set(kinds) - set(KINDS):
            raise ValueError(f"unknown kinds {sorted(set(kinds) - set(KINDS))}; known: {KINDS}")
        self.kinds = tuple(kinds)
        self.bind_host, self.port = host, port
        self.seconds_per_image = seconds_per_image
        self.api_key = api_key
        """Stability's valid key (always required, as by the real API)."""
        self.openai_api_key = openai_api_key
        """None: the OpenAI-compatible API needs no key (LocalAI's default)."""
        self.a1111_auth = a1111_auth
        """(user, password) for HTTP Basic, like A1111's --api-auth; None: open."""
        self.credits = credits
        """Stability credits left: an image costs 0.9; short of that, 402 payment_required."""
        self.openai_models = tuple(openai_models)
        self.max_concurrent = max_concurrent
        self.image_bytes = image_bytes
        """Pad each PNG to this size (0: no padding; a real SDXL 1024x1024 PNG is ~1.5 MB)."""
        self.record = record
        self.log_level, self.access_log = log_level, access_log
        self.requests: list[RecordedRequest] = []
        self.files: dict[str, bytes] = {}
        """Pictures served under /generated-images/ (OpenAI-compatible `url` answers)."""
        self.active = 0
        """Generations in progress (holding a slot)."""
        self.max_active = 0
        self.generated = 0
        """Images drawn."""
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._queue: deque[Scenario] = deque()
        self._standing = PRESETS["ok"]
        self.set_scenario(*([scenario] if isinstance(scenario, str | Scenario) else scenario))
        self._app = _App(self)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT: a STABILITY_API_HOST, and A1111's base URL."""
        return f"http://{self.bind_host}:{self.port}"

    @property
    def openai_url(self) -> str:
        """The OpenAI-compatible base URL (with /v1, as OpenAI clients expect)."""
        return self.url + "/v1"

    @property
    def host(self) -> str:
        return f"{self.bind_host}:{self.port}"

    # --- scenarios -------------------------------------------------------------------------

    @property
    def scenario(self) -> Scenario:
        """The scenario answering when nothing is queued."""
        return self._standing

    def set_scenario(self, *scenarios: str | Scenario, **changes: Any) -> None:
        """Answer the next generations with these in order; the last one stays. Keyword
        arguments replace fields of every one (e.g. delay=0.3)."""
        if not scenarios:
            raise ValueError("set_scenario needs at least one scenario")
        resolved = [scenario(s, **changes) for s in scenarios]
        with self._lock:
            self._queue = deque(resolved[:-1])
            self._standing = resolved[-1]

    def _next_scenario(self) -> Scenario:
        with self._lock:
            return self._queue.popleft() if self._queue else self._standing

    def _describe(self) -> dict[str, Any]:
        with self._lock:
            queued, standing = [s.name for s in self._queue], self._standing
        return {"queued": queued, "scenario": standing.name, "delay": standing.delay,
                "seconds_per_image": self.seconds_per_image, "active": self.active,
                "max_active": self.max_active, "generated": self.generated,
                "credits": self.credits}  # fmt: skip

    def _a1111_model(self, override: Any) -> tuple[str, str]:
        wanted = override.get("sd_model_checkpoint") if isinstance(override, dict) else None
        return next((m for m in A1111_MODELS if str(wanted).startswith(m[0])), A1111_MODELS[0])

    # --- records ---------------------------------------------------------------------------

    def _record(self, record: RecordedRequest) -> None:
        if self.record:
            self.requests.append(record)

    @property
    def generations(self) -> list[RecordedRequest]:
        """The generation requests (of any API), in order."""
        return [r for r in self.requests if r.api is not None]

    def clear(self) -> None:
        """Forget recorded requests, files and counters (not the scenario or credits)."""
        self.requests.clear()
        self.files.clear()
        self.max_active, self.generated = self.active, 0

    def reset(self, scenario: str | Scenario = "ok", credits: float = 1000.0) -> None:
        """Fresh state between tests: records cleared, scenario set, credits refilled."""
        self.clear()
        self.set_scenario(scenario)
        self.credits = credits

    def _started(self) -> None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)

    def _ended(self) -> None:
        self.active -= 1

    # --- lifecycle -------------------------------------------------------------------------

    def _make_app(self) -> _App:
        return _App(self)

    def _prepare_loop(self) -> None:
        if self.max_concurrent is not None:
            self._app.slots = asyncio.Semaphore(self.max_concurrent)


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
    add("--kind", default="all", help=f"APIs served, comma-separated: all, {', '.join(KINDS)}")
    add("--scenario", default="ok", help="a preset, or several separated by commas (the last "
        f"one stays); presets: {', '.join(PRESETS)}")  # fmt: skip
    add("--seconds-per-image", type=float, default=4.0)
    add("--delay", type=float, default=None, help="fixed seconds per request instead")
    add("--api-key", default="sk-test", help="Stability's valid key")
    add("--openai-api-key", default=None, help="require this key (default: none)")
    add("--api-auth", default=None, help="A1111 HTTP Basic auth, user:password")
    add("--credits", type=float, default=1000.0, help="Stability credits")
    add("--max-concurrent", type=int, default=None, help="1 for a one-GPU server")
    add("--image-bytes", type=int, default=0, help="pad PNGs to this size (real: ~1500000)")
    add("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    kinds = KINDS if args.kind == "all" else tuple(k.strip() for k in args.kind.split(","))
    changes = {} if args.delay is None else {"delay": args.delay}
    user, _, password = (args.api_auth or "").partition(":")
    try:
        fake = FakeImageServer(
            [scenario(name.strip(), **changes) for name in args.scenario.split(",")],
            kinds=kinds, host=args.host, port=args.port,
            seconds_per_image=args.seconds_per_image, api_key=args.api_key,
            openai_api_key=args.openai_api_key, a1111_auth=(user, password) if user else None,
            credits=args.credits, max_concurrent=args.max_concurrent,
            image_bytes=args.image_bytes, record=False,
            log_level="warning" if args.quiet else "info", access_log=not args.quiet,
        )  # fmt: skip
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        fake.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Fake image server listening on {fake.url}  ({', '.join(kinds)})", flush=True)
    print(f"  scenario: {args.scenario}, {args.seconds_per_image:g} s per image")
    if "stability" in kinds:
        print(f"  Stability AI:  IMAGE_PROVIDER=stability STABILITY_API_HOST={fake.url} "
              f"STABILITY_API_KEY={fake.api_key}")  # fmt: skip
    if "automatic1111" in kinds:
        print(f"  AUTOMATIC1111: base URL {fake.url}  (POST /sdapi/v1/txt2img)")
    if "openai" in kinds:
        print(f"  OpenAI-compatible: base URL {fake.openai_url}  (POST /images/generations)")
    print(f'Switch scenario: curl -d \'{{"scenario": "slow"}}\' {fake.url}/_fake/scenario')
    print("Ctrl-C stops.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(0.5)
    fake.stop()
    print("Fake image server stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
