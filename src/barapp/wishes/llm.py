"""Talking to Ollama through the official client: the models on offer, and one streamed answer
with explicit timeouts, every failure turned into an `LLMFailure` with a reason the guest's
page can explain."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import ollama

from barapp.settings import Settings
from barapp.store.statuses import FailureReason as Reason
from barapp.wishes.prompt import SCHEMA


class LLMFailure(Exception):
    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Stats:
    """Ollama's final chunk: token counts and its own durations (seconds)."""

    done_reason: str = ""
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    load_seconds: float | None = None
    eval_seconds: float | None = None


def client(settings: Settings, read_timeout: float | None = None) -> ollama.AsyncClient:
    # The client has no timeout at all by default. The read timeout is the longest silence
    # between two bytes: before the first token that is the model loading. httpx's default
    # pool (100 connections) would make wishes past the 100th wait for a free connection.
    timeout = httpx.Timeout(
        connect=5.0,
        read=read_timeout or settings.ollama_first_token_timeout,
        write=30.0,
        pool=5.0,
    )
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=20)
    transport = LineBreaksEscaped(httpx.AsyncHTTPTransport(limits=limits))
    return ollama.AsyncClient(host=settings.ollama_base_url, timeout=timeout, transport=transport)


# Line breaks to `str.splitlines` that JSON may hold raw inside a string, as UTF-8, and the
# escape that means the same character. Go's encoder escapes U+2028/9 but not U+0085.
_RAW_BREAKS = (
    (b"\xc2\x85", b"\\u0085"),
    (b"\xe2\x80\xa8", b"\\u2028"),
    (b"\xe2\x80\xa9", b"\\u2029"),
)


class LineBreaksEscaped(httpx.AsyncBaseTransport):
    """Ollama's NDJSON with U+0085, U+2028 and U+2029 escaped inside its strings.

    The official client cuts the stream with httpx's `aiter_lines`, which splits lines where
    `str.splitlines` does: a model that writes U+0085 (Ollama sends it raw) cut a line in two
    and the client failed on half a JSON object. Outside strings JSON is ASCII, so the bytes
    of these characters only occur inside strings, where the escape is the same text."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Escaped(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Escaped(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self.stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        held = b""
        async for chunk in self.stream:
            chunk = held + chunk
            # A character cut at the chunk's end waits for its other bytes.
            keep = (
                2 if chunk.endswith(b"\xe2\x80") else 1 if chunk[-1:] in (b"\xc2", b"\xe2") else 0
            )
            chunk, held = (chunk[:-keep], chunk[-keep:]) if keep else (chunk, b"")
            for raw, escaped in _RAW_BREAKS:
                chunk = chunk.replace(raw, escaped)
            if chunk:
                yield chunk
        if held:
            yield held

    async def aclose(self) -> None:
        await self.stream.aclose()


class Ollama:
    """One bar's connection to Ollama: clients made once (an httpx client costs milliseconds
    to build) and the model list cached briefly (the wish page and every wish ask for it)."""

    MODELS_TTL = 5.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._chat: ollama.AsyncClient | None = None
        self._list: ollama.AsyncClient | None = None
        self._models: tuple[float, list[str]] | None = None

    @property
    def chat_client(self) -> ollama.AsyncClient:
        if self._chat is None:
            self._chat = client(self.settings)
        return self._chat

    async def models(self) -> list[str]:
        """Models Ollama has, restricted to OLLAMA_MODELS when set. Raises LLMFailure."""
        now = time.monotonic()
        if self._models and now - self._models[0] < self.MODELS_TTL:
            return self._models[1]
        if self._list is None:
            self._list = client(self.settings, read_timeout=5.0)
        try:
            listing = await self._list.list()
        except (ollama.ResponseError, ConnectionError, httpx.TransportError) as exc:
            self._models = None
            raise _failure(exc, first=True) from exc
        names = sorted(str(m.model) for m in listing.models if m.model)
        if self.settings.ollama_models:
            names = [n for n in self.settings.ollama_models if n in names]
        self._models = (now, names)
        return names

    async def close(self) -> None:
        for each in (self._chat, self._list):
            if each is not None:
                await each.close()  # type: ignore[no-untyped-call]
        self._chat = self._list = None


async def warm_up(settings: Settings) -> None:
    """Ask Ollama to load the default model now (a chat with no messages only loads it)."""
    await client(settings).chat(
        model=settings.ollama_default_model, messages=[], keep_alive=settings.ollama_keep_alive
    )


# The smallest context an Ollama gives when none is asked (2048 tokens before Ollama 0.6,
# 4096 since: asking a newer one for 4096 is asking for its default, no reload), and a
# pessimistic count of characters per token for the prompts barapp writes (French, names).
DEFAULT_CONTEXT = 2048
CHARACTERS_PER_TOKEN = 3


def context_for(messages: list[dict[str, str]], num_predict: int) -> dict[str, int]:
    """`num_ctx` for a prompt too long for Ollama's default context, or nothing. Past it,
    Ollama drops the prompt's start without a word (the system prompt, the shelf's list of a
    large bar). The size is rounded up to a multiple of the default, so a bar's wishes ask for
    the same one: a new `num_ctx` makes Ollama load the model again."""
    prompt = sum(len(m.get("content", "")) for m in messages) // CHARACTERS_PER_TOKEN
    needed = prompt + num_predict
    if needed <= DEFAULT_CONTEXT:
        return {}
    return {"num_ctx": -(-needed // DEFAULT_CONTEXT) * DEFAULT_CONTEXT}


async def stream_answer(
    connection: Ollama,
    model: str,
    messages: list[dict[str, str]],
    stats: Stats,
    sampling: dict[str, float] | None = None,
    schema: dict[str, Any] = SCHEMA,
) -> AsyncGenerator[str, None]:
    """The answer's text fragments as Ollama writes them; `stats` is filled at the end.
    `sampling` adds to Ollama's options (temperature, top_p, repeat_penalty...)."""
    settings = connection.settings
    first = True
    try:
        chunks = await connection.chat_client.chat(
            model=model,
            messages=messages,
            stream=True,
            format=schema,
            think=False,
            options={
                "num_predict": settings.ollama_num_predict,
                **context_for(messages, settings.ollama_num_predict),
                **(sampling or {}),
            },
            keep_alive=settings.ollama_keep_alive,
        )
        # Before the first token the HTTP read timeout (model load) applies; after it, a
        # shorter silence means the model or the connection is stuck.
        with StallWatch(settings.ollama_stall_timeout) as watch:
            async for chunk in chunks:
                first = False
                watch.beat()
                if chunk.message and chunk.message.content:
                    yield chunk.message.content
                if chunk.done:
                    _fill(stats, chunk)
                    break
    except TimeoutError:
        raise LLMFailure(
            Reason.STALLED, f"no token for {settings.ollama_stall_timeout:g} s"
        ) from None
    except (ollama.ResponseError, ConnectionError, httpx.TransportError) as exc:
        raise _failure(exc, first) from exc
    if stats.done_reason == "length":
        raise LLMFailure(Reason.TRUNCATED, f"stopped at num_predict={settings.ollama_num_predict}")


class StallWatch:
    """Raises TimeoutError in the watched block when `beat()` has not been called for
    `seconds` (counted from the first beat). A beat only reads the clock; the timer wakes once
    per `seconds`. Per token, `asyncio.wait_for` made a task (a third of the CPU at 100
    streams) and `Timeout.reschedule` moved a timer (8% at 300 streams)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.loop = asyncio.get_running_loop()
        self.last = 0.0
        self.task: asyncio.Task[Any] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.expired = False

    def __enter__(self) -> StallWatch:
        self.task = asyncio.current_task()
        return self

    def beat(self) -> None:
        self.last = self.loop.time()
        if self.timer is None:
            self.timer = self.loop.call_at(self.last + self.seconds, self._check)

    def _check(self) -> None:
        due = self.last + self.seconds
        if self.loop.time() < due:
            self.timer = self.loop.call_at(due, self._check)
        elif self.task is not None:
            self.expired = True
            self.task.cancel()

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        if self.timer is not None:
            self.timer.cancel()
        # As asyncio.timeout does: only our own cancellation becomes a timeout.
        expired = self.expired and kind is asyncio.CancelledError and self.task is not None
        if expired and self.task is not None and self.task.uncancel() == 0:
            raise TimeoutError


def _fill(stats: Stats, chunk: Any) -> None:
    def seconds(ns: int | None) -> float | None:
        return ns / 1e9 if ns is not None else None

    stats.done_reason = chunk.done_reason or ""
    stats.prompt_tokens = chunk.prompt_eval_count
    stats.output_tokens = chunk.eval_count
    stats.load_seconds = seconds(chunk.load_duration)
    stats.eval_seconds = seconds(chunk.eval_duration)


def _failure(exc: BaseException, first: bool) -> LLMFailure:
    if isinstance(exc, ollama.ResponseError):
        status = exc.status_code
        if status == 404:
            return LLMFailure(Reason.MODEL_NOT_FOUND, exc.error)
        if status in (429, 503):
            return LLMFailure(Reason.BUSY, exc.error)
        if status == -1:  # an {"error": ...} line after the stream began
            return LLMFailure(Reason.STREAM_ERROR, exc.error)
        return LLMFailure(Reason.OLLAMA_ERROR, f"{status}: {exc.error}")
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return LLMFailure(
            Reason.FIRST_TOKEN_TIMEOUT if first else Reason.STALLED,
            type(exc).__name__,
        )
    if isinstance(exc, ConnectionError | httpx.ConnectError | httpx.ConnectTimeout):
        return LLMFailure(Reason.UNREACHABLE, str(exc) or type(exc).__name__)
    return LLMFailure(Reason.CONNECTION_LOST, type(exc).__name__)
