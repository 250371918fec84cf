"""Pictures of the drinks from an image service: SDXL through Stability AI's v1 API, a local
AUTOMATIC1111 / Forge, or an OpenAI-compatible server (LocalAI, stable-diffusion.cpp).

`Painter.paint()` asks the configured service with bounded retries, checks and stores what
comes back, and always answers with the cocktail's image columns: `ready` with the files, or
`failed` / `filtered` with a reason the pages explain. It never raises for a service's
failure: the drink is kept whatever the image service does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from barapp.pictures import media
from barapp.settings import Settings
from barapp.store.statuses import ImageStatus
from barapp.store.statuses import PictureReason as Reason

log = logging.getLogger("barapp.pictures")

RETRIED = {Reason.BUSY, Reason.SERVER_ERROR, Reason.TIMEOUT, Reason.UNREACHABLE}

PROVIDER_NAMES = {
    "stability": "Stability AI (SDXL)",
    "automatic1111": "AUTOMATIC1111",
    "openai": "OpenAI-compatible server",
}
NEGATIVE_PROMPT = (
    "text, letters, watermark, logo, people, hands, blurry, low quality, deformed glass, "
    "extra glasses, cartoon"
)
STYLE = (
    "Professional cocktail photography, one drink centred on a bar counter, soft warm bar "
    "lighting, shallow depth of field, realistic."
)


def failed(reason: Reason, detail: str) -> dict[str, str]:
    """The image columns of a picture that could not be made."""
    status = ImageStatus.FILTERED if reason == Reason.FILTERED else ImageStatus.FAILED
    return {
        "image_status": status,
        "image_file": "",
        "image_reason": reason,
        "image_detail": detail[:2000],
    }


class PictureFailure(Exception):
    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Request:
    prompt: str
    negative: str
    width: int
    height: int
    seed: int


# A service answers with the picture's bytes and the model that drew it ("" if unsaid).
Provider = Callable[[httpx.AsyncClient, Settings, Request], Awaitable[tuple[bytes, str]]]


def full_prompt(image_prompt: str) -> str:
    return f"{image_prompt.strip()} {STYLE}"[:2000]


class Painter:
    """The bar's image service: one HTTP client for every picture, and the retry policy."""

    # Waits before each retry (seconds), with jitter; tests shorten them.
    backoff = (2.0, 6.0, 15.0)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.provider = settings.effective_image_provider
        self._client: httpx.AsyncClient | None = None

    @property
    def enabled(self) -> bool:
        return self.provider in PROVIDERS

    @property
    def model(self) -> str:
        return {
            "stability": self.settings.stability_engine,
            "openai": self.settings.openai_images_model,
        }.get(self.provider, "")

    async def paint(self, image_prompt: str) -> dict[str, str]:
        """The image columns of a cocktail whose picture was asked for `image_prompt`."""
        columns = {"image_provider": self.provider, "image_model": self.model}
        try:
            data, model = await self.draw(image_prompt)
            columns["image_model"] = model or self.model
            stored = await asyncio.to_thread(media.store, self.settings.media_dir, data)
        except PictureFailure as failure:
            log.warning("picture failed: %s", failure)
            return {**columns, **failed(failure.reason, failure.detail)}
        except media.NotAnImage as exc:
            return {**columns, **failed(Reason.NOT_IMAGE, str(exc))}
        except Exception as exc:  # a bug must not cost the drink: it gets the illustration
            log.exception("picture crashed")
            return {**columns, **failed(Reason.INTERNAL, type(exc).__name__)}
        ready = {"image_status": ImageStatus.READY, "image_reason": "", "image_detail": ""}
        return {**columns, **ready, "image_file": stored.file}

    async def draw(self, image_prompt: str) -> tuple[bytes, str]:
        """The picture's bytes as the service sent them, and its model. Raises
        PictureFailure."""
        width, height = (int(n) for n in self.settings.image_size.split("x"))
        request = Request(
            full_prompt(image_prompt), NEGATIVE_PROMPT, width, height, random.randrange(2**31)
        )
        provider = PROVIDERS[self.provider]
        retries = self.settings.image_retries
        for attempt in range(retries + 1):
            try:
                async with asyncio.timeout(self.settings.image_timeout):
                    return await provider(self.client, self.settings, request)
            except TimeoutError:
                failure = PictureFailure(
                    Reason.TIMEOUT, f"no picture after {self.settings.image_timeout:g} s"
                )
            except httpx.TimeoutException as exc:
                failure = PictureFailure(Reason.TIMEOUT, type(exc).__name__)
            except httpx.TransportError as exc:
                failure = PictureFailure(Reason.UNREACHABLE, str(exc) or type(exc).__name__)
            except PictureFailure as exc:
                failure = exc
            if failure.reason not in RETRIED or attempt == retries:
                raise failure
            wait = self.backoff[min(attempt, len(self.backoff) - 1)]
            log.info("picture attempt %d: %s; retrying in %.0f s", attempt + 1, failure, wait)
            await asyncio.sleep(wait * random.uniform(0.8, 1.2))
        raise AssertionError("unreachable")

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # The read timeout is a silence limit; the whole picture is bounded by
            # IMAGE_TIMEOUT above.
            timeout = httpx.Timeout(self.settings.image_timeout, connect=5.0)
            self._client = httpx.AsyncClient(timeout=timeout)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


# The services --------------------------------------------------------------------------


async def stability(
    client: httpx.AsyncClient, settings: Settings, req: Request
) -> tuple[bytes, str]:
    host = settings.stability_api_host.rstrip("/")
    response = await client.post(
        f"{host}/v1/generation/{settings.stability_engine}/text-to-image",
        headers={
            "Authorization": f"Bearer {settings.stability_api_key}",
            "Accept": "application/json",
        },
        json={
            "text_prompts": [
                {"text": req.prompt, "weight": 1},
                {"text": req.negative, "weight": -1},
            ],
            "cfg_scale": 7,
            "width": req.width,
            "height": req.height,
            "samples": 1,
            "steps": 30,
            "seed": req.seed,
            "style_preset": "photographic",
        },
    )
    body = _json_or_fail(response)
    artifacts = body.get("artifacts") if isinstance(body, dict) else None
    if not artifacts or not isinstance(artifacts[0], dict):
        raise PictureFailure(Reason.NOT_IMAGE, "the answer has no artifacts")
    artifact = artifacts[0]
    finish = artifact.get("finishReason", "SUCCESS")
    if finish == "CONTENT_FILTERED":
        raise PictureFailure(Reason.FILTERED, "Stability's content filter blurred the picture")
    if finish != "SUCCESS":
        raise PictureFailure(Reason.SERVER_ERROR, f"finishReason {finish}")
    return _b64(artifact.get("base64")), settings.stability_engine


async def automatic1111(
    client: httpx.AsyncClient, settings: Settings, req: Request
) -> tuple[bytes, str]:
    response = await client.post(
        f"{settings.sd_webui_url.rstrip('/')}/sdapi/v1/txt2img",
        json={
            "prompt": req.prompt,
            "negative_prompt": req.negative,
            "steps": 30,
            "cfg_scale": 7,
            "width": req.width,
            "height": req.height,
            "seed": req.seed,
        },
    )
    body = _json_or_fail(response)
    images = body.get("images") if isinstance(body, dict) else None
    if not images:
        raise PictureFailure(Reason.NOT_IMAGE, "the answer has no images")
    return _b64(images[0]), _a1111_model(body.get("info"))


async def openai(client: httpx.AsyncClient, settings: Settings, req: Request) -> tuple[bytes, str]:
    key = settings.openai_images_api_key
    response = await client.post(
        f"{settings.openai_images_url.rstrip('/')}/images/generations",
        headers={"Authorization": f"Bearer {key}"} if key else {},
        json={
            "model": settings.openai_images_model,
            "prompt": req.prompt,
            "size": f"{req.width}x{req.height}",
            "n": 1,
            "response_format": "b64_json",
        },
    )
    body = _json_or_fail(response)
    data = body.get("data") if isinstance(body, dict) else None
    if not data or not isinstance(data[0], dict):
        raise PictureFailure(Reason.NOT_IMAGE, "the answer has no data")
    return _b64(data[0].get("b64_json")), settings.openai_images_model


PROVIDERS: dict[str, Provider] = {
    "stability": stability,
    "automatic1111": automatic1111,
    "openai": openai,
}


# Answers ---------------------------------------------------------------------------------


def _json_or_fail(response: httpx.Response) -> Any:
    """The JSON body of a success; any other answer becomes the PictureFailure it means."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if response.is_success:
        if body is None:
            kind = response.headers.get("content-type", "?")
            raise PictureFailure(Reason.NOT_IMAGE, f"the answer is not JSON ({kind})")
        return body
    raise _failure(response.status_code, body, response.text)


def _failure(status: int, body: Any, text: str) -> PictureFailure:
    message = _message(body) or text[:200].strip() or f"HTTP {status}"
    code = _code(body)
    if "moderation" in code or "content_policy" in code or "content_filter" in code:
        return PictureFailure(Reason.FILTERED, message)
    if status == 402 or "credit" in code or "quota" in code or "payment" in code:
        return PictureFailure(Reason.NO_CREDITS, message)
    if status in (401, 403):
        return PictureFailure(Reason.BAD_KEY, message)
    if status == 404:
        return PictureFailure(Reason.NOT_FOUND, message)
    if status == 429:
        return PictureFailure(Reason.BUSY, message)
    if status >= 500:
        return PictureFailure(Reason.SERVER_ERROR, f"{status}: {message}")
    return PictureFailure(Reason.BAD_REQUEST, f"{status}: {message}")


def _message(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    inner = body.get("error")
    if isinstance(inner, dict):  # OpenAI: {"error": {"message", "type", "code"}}
        return str(inner.get("message") or "")
    for key in ("message", "errors", "detail", "error"):
        value = body.get(key)
        if value:
            return str(value[0] if isinstance(value, list) and value else value)[:500]
    return ""


def _code(body: Any) -> str:
    """The machine-readable kind of an error, lower-cased: Stability's `name`, OpenAI's
    `code` / `type`."""
    if not isinstance(body, dict):
        return ""
    inner = body.get("error")
    parts = [body.get("name")]
    if isinstance(inner, dict):
        parts += [inner.get("code"), inner.get("type")]
    return " ".join(str(p).lower() for p in parts if p)


def _a1111_model(info: Any) -> str:
    """The checkpoint AUTOMATIC1111 drew with: its `info` is a JSON text."""
    try:
        model = json.loads(info).get("sd_model_name") if isinstance(info, str) else None
    except (json.JSONDecodeError, AttributeError):
        return ""
    return str(model or "")[:100]


def _b64(value: Any) -> bytes:
    if not isinstance(value, str) or not value:
        raise PictureFailure(Reason.NOT_IMAGE, "no picture in the answer")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PictureFailure(Reason.NOT_IMAGE, "the picture is not valid base64") from None
