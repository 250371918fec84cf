"""A faithful fake Ollama: a real HTTP server on 127.0.0.1 for tests, benchmarks and GPU-less
development.

It is a small hand-written ASGI app served by uvicorn in a background thread (its own event
loop), so the real `ollama.AsyncClient` and httpx talk to it over TCP, and a thousand slow
streams cost a thousand sleeping coroutines. What it says follows Ollama's own source
(server/routes.go, api/types.go) and /work/shared/reference/ollama-api.md:

- `/api/chat` streams `application/x-ndjson` with chunked transfer, one Go-encoded JSON object
  per line (Go field order, `omitempty`, `<>&` escaped as `\\u003c`..., RFC3339Nano UTC times),
  flushed as produced, paced by a time to first token and a token rate; then a final chunk with
  `done_reason` and nanosecond metrics measured from the pacing actually used.
- Errors as Ollama sends them: a status with `{"error": ...}` before streaming, a last
  `{"error": ...}` line with HTTP 200 once streaming began.
- `/api/version`, `/api/tags`, `/api/show`, `/api/ps`, `GET /`; load-only (`"messages": []`)
  and unload (`keep_alive: 0`) requests; `think` checked against the model's capabilities;
  `options.num_predict` honoured (`done_reason: "length"`); thinking models stream
  `message.thinking` first unless the request says `think: false`.

Use from tests::

    with FakeOllama(scenario="ok") as fake:            # or fake.start() / fake.stop()
        client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(10))
        fake.set_scenario("invalid_json", "ok")         # 1st chat invalid, then ok from then on
        ...
        fake.chat_requests[-1].body["format"]           # what the app sent

From a shell (no GPU needed)::

    python -m tests.fake_ollama --port 11434 --scenario ok --tokens-per-second 40 --ttft 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import math
import random
import re
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from tests.fake_server import ThreadedServer

__all__ = [
    "DEFAULT_MODELS",
    "ERR_BUSY",
    "ERR_RUNNER_STOPPED",
    "OLLAMA_VERSION",
    "PRESETS",
    "FakeModel",
    "FakeOllama",
    "RecordedRequest",
    "Scenario",
    "cocktail_document",
    "go_json",
    "looks_french",
    "off_topic_document",
    "render_content",
    "scenario",
    "tokenize",
]

OLLAMA_VERSION = "0.12.6"

# --------------------------------------------------------------------------------------------
# Ollama's own error texts (server/routes.go, server/sched.go, llm/server.go)

ERR_BUSY = "server busy, please try again.  maximum pending requests exceeded"
ERR_RUNNER_STOPPED = (
    "model runner has unexpectedly stopped, this may be due to resource limitations or an "
    "internal error, check ollama server logs for details"
)
ERR_MODEL_REQUIRED = "model is required"
ERR_MISSING_BODY = "missing request body"
DEFAULT_ERRORS: dict[int, str] = {
    400: ERR_MODEL_REQUIRED,
    429: "too many requests, please try again later",
    499: "request canceled",
    500: ERR_RUNNER_STOPPED,
    503: ERR_BUSY,
}


def go_quote(text: str) -> str:
    """Go's %q for ordinary names (a JSON string literal is the same for printable text)."""
    return json.dumps(text, ensure_ascii=False)


def not_found_error(model: str) -> str:
    """The text of /api/chat and /api/show for a model that is not pulled."""
    return f"model '{model}' not found"


def not_found_try_pulling(model: str) -> str:
    """The scheduler's variant (handleScheduleError) of the same 404."""
    return f"model {go_quote(model)} not found, try pulling it first"


def no_thinking_error(model: str) -> str:
    return f"{go_quote(model)} does not support thinking"


# --------------------------------------------------------------------------------------------
# Go's encoding/json, as Ollama writes every response

_GO_HTML_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_json(value: Any) -> str:
    """`json.Marshal` output: compact, UTF-8 as is, `<`, `>`, `&`, U+2028/9 escaped. (Those
    characters only ever occur inside strings, so translating the whole text is exact.)"""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_GO_HTML_ESCAPES)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "replace")


@functools.lru_cache(maxsize=8)
def _second_prefix(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def go_time(ns: int | None = None) -> str:
    """`time.Now().UTC()` marshalled by Go: RFC3339Nano, trailing zeros of the fraction trimmed."""
    second, frac = divmod(time.time_ns() if ns is None else ns, 1_000_000_000)
    text = _second_prefix(second)
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def go_time_from(seconds: float) -> str:
    return go_time(int(seconds * 1_000_000_000))


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_keep_alive(value: Any) -> float | None:
    """Seconds (math.inf = forever) of a `keep_alive` as api.Duration reads it; None = default.
    Raises ValueError with Go's message for a bad string."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"time: invalid duration {go_quote(str(value).lower())}")
    if isinstance(value, int | float):
        return math.inf if value < 0 else float(value)
    text = str(value).strip()
    with contextlib.suppress(ValueError):
        number = float(text)
        return math.inf if number < 0 else number
    sign, body = (-1.0, text[1:]) if text[:1] == "-" else (1.0, text.lstrip("+"))
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body) or not body:
        raise ValueError(f"time: invalid duration {go_quote(text)}")
    return math.inf if sign < 0 else total


# --------------------------------------------------------------------------------------------
# Models


@dataclass(frozen=True)
class FakeModel:
    """A model the fake has "pulled". `FakeModel.of("qwen3:8b")` guesses the rest from the name."""

    name: str
    family: str = "llama"
    parameter_size: str = "8.0B"
    quantization_level: str = "Q4_K_M"
    capabilities: tuple[str, ...] = ("completion", "tools")
    size: int = 4_920_753_328
    context_length: int = 131072
    modified_at: str = "2025-09-18T14:03:27.512634871+02:00"
    digest: str = ""

    def __post_init__(self) -> None:
        if ":" not in self.name.rsplit("/", 1)[-1]:
            object.__setattr__(self, "name", self.name + ":latest")
        if not self.digest:
            object.__setattr__(self, "digest", hashlib.sha256(self.name.encode()).hexdigest())

    @property
    def thinks(self) -> bool:
        return "thinking" in self.capabilities

    @classmethod
    def of(cls, spec: str | FakeModel) -> FakeModel:
        if isinstance(spec, FakeModel):
            return spec
        if spec in KNOWN_MODELS:
            return KNOWN_MODELS[spec]
        base, _, tag = spec.partition(":")
        size = re.match(r"(\d+(?:\.\d+)?)b", tag or "")
        params = f"{float(size.group(1)):.1f}B" if size else "8.0B"
        family, caps = "llama", ("completion", "tools")
        if base.startswith(("qwen3", "deepseek-r1", "gpt-oss", "magistral")):
            family, caps = base.split("-")[0].split(".")[0], ("completion", "tools", "thinking")
        elif base.startswith("gemma"):
            family, caps = base.split(".")[0], ("completion", "vision")
        elif base.startswith("qwen"):
            family = "qwen2"
        return cls(name=spec, family=family, parameter_size=params, capabilities=caps)

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }


KNOWN_MODELS: dict[str, FakeModel] = {
    m.name: m
    for m in (
        FakeModel("llama3.1:8b"),
        FakeModel(
            "qwen3:8b",
            family="qwen3",
            parameter_size="8.2B",
            capabilities=("completion", "tools", "thinking"),
            size=5_225_388_164,
            context_length=40960,
            modified_at="2025-08-02T09:41:12.088102513+02:00",
        ),
        FakeModel(
            "mistral:7b",
            parameter_size="7.2B",
            size=4_372_824_384,
            context_length=32768,
            modified_at="2025-06-11T19:05:55.7013306+02:00",
        ),
        FakeModel(
            "gemma3:4b",
            family="gemma3",
            parameter_size="4.3B",
            capabilities=("completion", "vision"),
            size=3_338_801_804,
            modified_at="2025-05-30T11:20:48.33150934+02:00",
        ),
    )
}
DEFAULT_MODELS: tuple[str, ...] = ("llama3.1:8b", "qwen3:8b", "mistral:7b")


# --------------------------------------------------------------------------------------------
# What the "model" writes

_FRENCH_WORDS = frozenset(
    re.split(
        r"\s+",
        "je j un une avec pour sans le la les des du de et au aux quelque chose plaît veux "
        "voudrais aimerais envie frais fraîche sucré amer boisson soir moi très peu pas",
    )
)


def looks_french(text: str) -> bool:
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    hits = sum(word in _FRENCH_WORDS for word in words)
    return hits >= 2 or (hits >= 1 and bool(re.search(r"[éèêàùç]", text.lower())))


def last_user_message(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def cocktail_document(french: bool = False) -> dict[str, Any]:
    """The default answer, in the app's schema and property order."""
    if french:
        return {
            "kind": "cocktail",
            "message": "",
            "name": "Jardin de Minuit",
            "description": (
                "Un gin sour floral et herbacé, relevé de basilic frais et d'un soupçon de "
                'violette. Sec, vif et un brin "mystérieux", comme une promenade nocturne '
                "au jardin."
            ),
            "glass": "Coupe",
            "garnish": "Feuille de basilic & zeste de citron",
            "image_prompt": (
                "A pale violet gin sour in a chilled coupe glass, garnished with a basil leaf "
                "and a lemon twist, on a dark marble bar lit by candlelight"
            ),
            "alcoholic": True,
            "ingredients": [
                {"name": "Gin", "amount": 5, "unit": "cl", "note": ""},
                {"name": "Crème de violette", "amount": 1.5, "unit": "cl", "note": ""},
                {"name": "Jus de citron", "amount": 2, "unit": "cl", "note": "fraîchement pressé"},
                {
                    "name": "Basilic",
                    "amount": 6,
                    "unit": "feuilles",
                    "note": "plus une pour décorer",
                },
                {"name": "Bitter à l'orange", "amount": 2, "unit": "dash", "note": ""},
            ],
            "steps": [
                "Écraser délicatement le basilic dans le shaker.",
                "Ajouter le gin, la crème de violette, le jus de citron et le bitter, remplir "
                "de glace et secouer 10 secondes.",
                "Filtrer deux fois dans une coupe glacée et décorer d'une feuille de basilic "
                "et d'un zeste de citron.",
            ],
            "music": {"title": "Clair de lune", "artist": "Claude Debussy"},
        }
    return {
        "kind": "cocktail",
        "message": "",
        "name": "Jardin de Minuit",
        "description": (
            "A floral, herbaceous gin sour lifted by fresh basil and a whisper of violet. "
            'Crisp, dry and a little "mysterious", like a walk through a garden at night.'
        ),
        "glass": "Coupe",
        "garnish": "Basil leaf & lemon twist",
        "image_prompt": (
            "A pale violet gin sour in a chilled coupe glass, garnished with a basil leaf and "
            "a lemon twist, on a dark marble bar lit by candlelight"
        ),
        "alcoholic": True,
        "ingredients": [
            {"name": "Gin", "amount": 5, "unit": "cl", "note": ""},
            {"name": "Crème de violette", "amount": 1.5, "unit": "cl", "note": ""},
            {"name": "Lemon juice", "amount": 2, "unit": "cl", "note": "freshly squeezed"},
            {"name": "Basil", "amount": 6, "unit": "leaves", "note": "plus one to garnish"},
            {"name": "Orange bitters", "amount": 2, "unit": "dash", "note": ""},
        ],
        "steps": [
            "Gently muddle the basil leaves in the shaker.",
            "Add the gin, crème de violette, lemon juice and bitters, fill with ice and shake "
            "hard for 10 seconds.",
            "Double strain into a chilled coupe and garnish with a basil leaf and a lemon twist.",
        ],
        "music": {"title": "Midnight City", "artist": "M83"},
    }


def off_topic_document(french: bool = False) -> dict[str, Any]:
    message = (
        "Ici, je ne prépare que des cocktails : dites-moi une saveur, une humeur ou un alcool "
        "qui vous plaît et je vous en invente un !"
        if french
        else "I only mix drinks here: tell me a flavour, a mood or a spirit you like and I'll "
        "invent a cocktail for you!"
    )
    return {
        "kind": "off_topic",
        "message": message,
        "name": "",
        "description": "",
        "glass": "",
        "garnish": "",
        "image_prompt": "",
        "alcoholic": False,
        "ingredients": [],
        "steps": [],
        "music": {"title": "", "artist": ""},
    }


def _order_like_schema(value: Any, schema: Any) -> Any:
    """A grammar-constrained model writes properties in the schema's order."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        props = schema["properties"]
        ordered = {k: _order_like_schema(value[k], props[k]) for k in props if k in value}
        ordered.update({k: v for k, v in value.items() if k not in ordered})
        return ordered
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_order_like_schema(item, schema["items"]) for item in value]
    return value


def dump_document(doc: Any, schema: Any = None) -> str:
    """Lightly spaced JSON, as llama-family models write under a JSON grammar. One accent is
    written as a `\\u00e8` escape, as small models sometimes do (valid JSON either way)."""
    text = json.dumps(_order_like_schema(doc, schema), ensure_ascii=False)
    return text.replace("è", "\\u00e8", 1)


def _default_content(body: dict[str, Any]) -> Any:
    return cocktail_document(looks_french(last_user_message(body)))


def _off_topic_content(body: dict[str, Any]) -> Any:
    return off_topic_document(looks_french(last_user_message(body)))


def _schema_violation_content(body: dict[str, Any]) -> Any:
    doc = cocktail_document(looks_french(last_user_message(body)))
    del doc["glass"]
    doc["ingredients"][0].pop("unit")
    return doc


INVALID_JSON_CONTENT = (
    "Here is your cocktail!\n\n```json\n"
    + json.dumps(cocktail_document(), ensure_ascii=False, indent=2)
    + "\n```\n\nEnjoy your drink!"
)

DEFAULT_THINKING = (
    "The guest wants something fresh. A gin sour base works; basil adds a green note and a "
    "little crème de violette gives colour without too much sugar. Keep it dry and balanced."
)

Content = str | dict[str, Any] | list[Any] | Callable[[dict[str, Any]], Any] | None


def render_content(content: Content, body: dict[str, Any]) -> str:
    """The exact text a scenario's content produces for a request body."""
    if content is None:
        content = _default_content
    if callable(content):
        content = content(body)
    if isinstance(content, str):
        return content
    return dump_document(content, body.get("format"))


# --------------------------------------------------------------------------------------------
# Tokens

_ATOM = re.compile(
    r"\\u[0-9a-fA-F]{4}|\\.|\s?[^\W\d_]+|\d{1,3}|\s?[^\w\s\\]+|\n+|[^\S\n]+|.", re.DOTALL
)


@functools.lru_cache(maxsize=256)
def tokenize(text: str, seed: int = 0) -> tuple[str, ...]:
    """Token-sized fragments whose concatenation is `text`: words with their leading space,
    long words cut in 2-5 character pieces, punctuation runs in 1-3 characters, `\\uXXXX`
    escapes cut after `\\u00` and `\\"` escapes sometimes cut after the backslash."""
    rng = random.Random(seed)
    tokens: list[str] = []
    for match in _ATOM.finditer(text):
        atom = match.group()
        if atom[0] == "\\" and len(atom) == 6:
            tokens += [atom[:4], atom[4:]]
        elif atom[0] == "\\" and len(atom) == 2:
            if rng.random() < 0.5:
                tokens += ["\\", atom[1]]
            else:
                tokens.append(atom)
        elif len(atom) > 8 and atom.strip().isalpha():
            cut = 0
            while cut < len(atom):
                step = rng.randint(2, 5)
                tokens.append(atom[cut : cut + step])
                cut += step
        elif len(atom) > 1 and not atom.strip().isalnum() and not atom.isspace():
            cut = 0
            while cut < len(atom):
                step = rng.randint(1, 3)
                tokens.append(atom[cut : cut + step])
                cut += step
        else:
            tokens.append(atom)
    return tuple(tokens)


@functools.lru_cache(maxsize=256)
def _encoded(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(go_json(t) for t in tokens)


def _prompt_tokens(body: dict[str, Any]) -> int:
    chars = sum(
        len(str(m.get("content") or "")) + 16
        for m in body.get("messages") or []
        if isinstance(m, dict)
    )
    if isinstance(body.get("format"), dict):
        chars += len(json.dumps(body["format"])) // 2
    return max(1, chars // 4)


# --------------------------------------------------------------------------------------------
# Scenarios


@dataclass(frozen=True)
class Scenario:
    """How the fake answers a chat request. Token counts are counts of streamed chunks
    (thinking chunks included)."""

    name: str = "custom"
    content: Content = None
    """The text to stream: None = the default cocktail (French if the wish looks French),
    a str verbatim, a dict/list dumped as lightly spaced JSON in the request schema's
    property order, or a callable(request_body) returning one of those."""
    thinking: str | None = DEFAULT_THINKING
    """Streamed as message.thinking first when the model thinks and the request does not
    say think: false."""
    ttft: float = 0.02
    """Seconds from request to first token once the model is loaded (prompt evaluation)."""
    tokens_per_second: float = 2000.0
    load_time: float = 0.0
    """Extra seconds before the first token when the model is not loaded (cold start)."""
    status: int | None = None
    """Answer at once with this HTTP status and {"error": ...} (404, 400, 429, 500, 503...)."""
    error: str | None = None
    """Error text for status / error_after_tokens (default: Ollama's text for the case)."""
    error_after_tokens: int | None = None
    """After N chunks, send a last line {"error": ...} with HTTP 200 (0: a 500 before any)."""
    reset_after_tokens: int | None = None
    """After N chunks, drop the TCP connection without finishing the chunked body."""
    stall_after_tokens: int | None = None
    """After N chunks, send nothing more; hold the connection until the client leaves."""
    max_tokens: int | None = None
    """Stop after N chunks with done_reason "length" (what num_predict does)."""
    done_reason: str = "stop"
    """"length" without max_tokens truncates at 60% of the content."""
    seed: int = 0
    """Seed of the tokenizer (which fragments the content is cut into)."""

    def replace(self, **changes: Any) -> Scenario:
        return dataclasses.replace(self, **changes)


PRESETS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("ok"),
        Scenario("realistic", ttft=0.5, tokens_per_second=40.0, load_time=2.0),
        Scenario("slow", ttft=3.0, tokens_per_second=12.0, load_time=8.0),
        Scenario("not_found", status=404),
        Scenario("bad_request", status=400),
        Scenario("rate_limited", status=429),
        Scenario("internal_error", status=500),
        Scenario("busy", status=503),
        Scenario("error_mid_stream", error_after_tokens=20),
        Scenario("reset", reset_after_tokens=20),
        Scenario("stall", stall_after_tokens=20),
        Scenario("invalid_json", content=INVALID_JSON_CONTENT),
        Scenario("schema_violation", content=_schema_violation_content),
        Scenario("length", max_tokens=60),
        Scenario("off_topic", content=_off_topic_content),
    )
}


def scenario(spec: str | Scenario, **changes: Any) -> Scenario:
    """A preset by name (or a Scenario), with fields replaced."""
    if isinstance(spec, Scenario):
        base = spec
    else:
        try:
            base = PRESETS[spec]
        except KeyError:
            raise ValueError(f"unknown scenario {spec!r}; presets: {', '.join(PRESETS)}") from None
    return base.replace(**changes) if changes else base


# --------------------------------------------------------------------------------------------
# Recording


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any
    """The parsed JSON body (None when empty or not JSON)."""
    received_at: float = field(default_factory=time.time)
    scenario: str | None = None
    """Name of the scenario that answered (chat requests)."""
    content: str | None = None
    """The full content the fake generated for this chat request (before any cut)."""
    status: int | None = None
    """The HTTP status sent (None while none was, or if the connection was dropped first)."""


# --------------------------------------------------------------------------------------------
# The ASGI app

Send = Callable[[dict[str, Any]], Any]
Receive = Callable[[], Any]

_JSON = b"application/json; charset=utf-8"
_NOT_IMPLEMENTED = frozenset(
    {
        "/api/generate",
        "/api/embed",
        "/api/embeddings",
        "/api/pull",
        "/api/push",
        "/api/create",
        "/api/copy",
        "/api/delete",
    }
)


class _Send:
    """uvicorn's `send`, noting the status in the record as the response starts, and knowing
    the connection's transport (to drop it the way a killed server does)."""

    __slots__ = ("record", "send", "transport")

    def __init__(self, send: Send, record: RecordedRequest) -> None:
        self.send = send
        self.record = record
        cycle = getattr(send, "__self__", None)  # uvicorn's RequestResponseCycle
        self.transport = getattr(cycle, "transport", None)

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.record.status = message["status"]
        await self.send(message)


class _Request:
    """State of one in-flight chat request."""

    __slots__ = ("abort", "send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.abort = asyncio.Event()
        self.started = False


class _App:
    def __init__(self, fake: FakeOllama) -> None:
        self.fake = fake
        self.stopping = False
        self.inflight: set[_Request] = set()
        self.loaded: dict[str, float] = {}  # model name -> monotonic expiry
        self.slots: asyncio.Semaphore | None = None
        self.waiting = 0

    # --- plumbing ------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        method, path = scope["method"], scope["path"]
        body: Any = None
        with contextlib.suppress(ValueError):
            body = json.loads(raw) if raw else None
        record = RecordedRequest(
            method=method,
            path=path,
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            raw_body=raw,
            body=body,
        )
        self.fake._record(record)
        await self.route(method, path, raw, body, record, receive, _Send(send, record))

    async def route(
        self,
        method: str,
        path: str,
        raw: bytes,
        body: Any,
        record: RecordedRequest,
        receive: Receive,
        send: Send,
    ) -> None:
        head = method == "HEAD"
        get = method in ("GET", "HEAD")
        if path == "/" and get:
            await self.respond(send, 200, b"Ollama is running", b"text/plain; charset=utf-8", head)
        elif path == "/api/version" and get:
            await self.json(send, 200, {"version": self.fake.version}, head)
        elif path == "/api/tags" and get:
            await self.json(send, 200, self.tags(), head)
        elif path == "/api/ps" and method == "GET":
            await self.json(send, 200, self.ps())
        elif path == "/api/show" and method == "POST":
            await self.show(raw, body, send)
        elif path == "/api/chat" and method == "POST":
            await self.chat(raw, body, record, receive, send)
        elif path == "/_fake/scenario" and method == "POST":
            await self.control(body, send)
        elif path == "/_fake/scenario" and method == "GET":
            await self.json(send, 200, self.fake._describe())
        elif path in _NOT_IMPLEMENTED and method in ("POST", "DELETE"):
            await self.json(send, 501, {"error": f"{path} is not implemented by the fake"})
        elif path in ("/", "/api/version", "/api/tags", "/api/ps", "/api/show", "/api/chat"):
            await self.respond(send, 405, b"405 method not allowed", b"text/plain")
        else:
            await self.respond(send, 404, b"404 page not found", b"text/plain")

    async def respond(
        self, send: Send, status: int, data: bytes, ctype: bytes, head: bool = False
    ) -> None:
        headers = [(b"content-type", ctype), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else data})

    async def json(
        self, send: Send, status: int, value: Any, head: bool = False, ctype: bytes = _JSON
    ) -> None:
        await self.respond(send, status, _utf8(go_json(value)), ctype, head)

    async def error(
        self, send: Send, status: int, message: str, record: RecordedRequest | None = None
    ) -> None:
        if record is not None:
            record.status = status
        await self.json(send, status, {"error": message})

    # --- model endpoints -----------------------------------------------------------------

    def tags(self) -> dict[str, Any]:
        models = sorted(self.fake.models.values(), key=lambda m: m.modified_at, reverse=True)
        return {
            "models": [
                {
                    "name": m.name,
                    "model": m.name,
                    "modified_at": m.modified_at,
                    "size": m.size,
                    "digest": m.digest,
                    "details": m.details(),
                }
                for m in models
            ]
        }

    def ps(self) -> dict[str, Any]:
        now = time.monotonic()
        rows = []
        for name, expires in list(self.loaded.items()):
            if expires <= now:
                del self.loaded[name]
                continue
            model = self.fake.models[name]
            left = min(expires - now, 300 * 365 * 86400.0)
            rows.append(
                (
                    left,
                    {
                        "name": model.name,
                        "model": model.name,
                        "size": model.size + 1_200_000_000,
                        "digest": model.digest,
                        "details": model.details(),
                        "expires_at": go_time_from(time.time() + left),
                        "size_vram": model.size + 1_200_000_000,
                        "context_length": 4096,
                    },
                )
            )
        rows.sort(key=lambda row: row[0], reverse=True)
        return {"models": [row for _, row in rows]}

    async def show(self, raw: bytes, body: Any, send: Send) -> None:
        if not raw:
            return await self.error(send, 400, ERR_MISSING_BODY)
        if not isinstance(body, dict):
            return await self.error(send, 400, "invalid character looking for beginning of value")
        name = body.get("model") or body.get("name")
        if not name or not isinstance(name, str):
            return await self.error(send, 400, ERR_MODEL_REQUIRED)
        model = self.fake.find_model(name)
        if model is None:
            return await self.error(send, 404, not_found_error(name))
        arch = model.family
        await self.json(
            send,
            200,
            {
                "license": "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT (fake)",
                "modelfile": f'# Modelfile generated by "ollama show"\nFROM {model.name}\n',
                "parameters": 'stop                           "<|start_header_id|>"\n'
                'stop                           "<|end_header_id|>"\n'
                'stop                           "<|eot_id|>"',
                "template": "{{ .Prompt }}",
                "details": model.details(),
                "model_info": {
                    "general.architecture": arch,
                    "general.file_type": 15,
                    "general.parameter_count": int(float(model.parameter_size[:-1]) * 1e9),
                    "general.quantization_version": 2,
                    f"{arch}.block_count": 32,
                    f"{arch}.context_length": model.context_length,
                    f"{arch}.embedding_length": 4096,
                },
                "tensors": [],
                "capabilities": list(model.capabilities),
                "modified_at": model.modified_at,
            },
        )
        return None

    async def control(self, body: Any, send: Send) -> None:
        """POST /_fake/scenario {"scenario": "busy"} or {"scenarios": ["invalid_json", "ok"]},
        optional "tokens_per_second", "ttft", "load_time": to drive a fake in another process."""
        if not isinstance(body, dict):
            return await self.error(send, 400, "expected a JSON object")
        names = body.get("scenarios") or [body.get("scenario") or "ok"]
        try:
            changes = {
                k: float(body[k]) for k in ("tokens_per_second", "ttft", "load_time") if k in body
            }
            self.fake.set_scenario(*(scenario(n, **changes) for n in names))
        except (TypeError, ValueError) as exc:
            return await self.error(send, 400, str(exc))
        await self.json(send, 200, self.fake._describe())
        return None

    # --- chat ----------------------------------------------------------------------------

    async def chat(
        self,
        raw: bytes,
        body: Any,
        record: RecordedRequest,
        receive: Receive,
        send: Send,
    ) -> None:
        if not raw:
            return await self.error(send, 400, ERR_MISSING_BODY, record)
        if not isinstance(body, dict):
            return await self.error(
                send, 400, "invalid character looking for beginning of value", record
            )
        name = body.get("model")
        messages = body.get("messages") or []
        load_only = not messages
        sc = self.fake._next_scenario(consume=not load_only)
        record.scenario = sc.name
        name_text = name if isinstance(name, str) else ""
        if sc.status is not None:
            text = sc.error or (
                not_found_error(name_text) if sc.status == 404 else DEFAULT_ERRORS.get(sc.status)
            )
            return await self.error(send, sc.status, text or f"status {sc.status}", record)
        if not name_text:
            return await self.error(send, 400, ERR_MODEL_REQUIRED, record)
        model = self.fake.find_model(name_text)
        if model is None:
            return await self.error(send, 404, not_found_error(name_text), record)
        try:
            keep_alive = parse_keep_alive(body.get("keep_alive"))
        except ValueError as exc:
            return await self.error(send, 400, str(exc), record)
        if load_only and keep_alive == 0:
            self.loaded.pop(model.name, None)
            return await self.json(send, 200, self._bare(name_text, "unload"))
        think = body.get("think")
        if think not in (None, False, "") and not model.thinks:
            return await self.error(send, 400, no_thinking_error(name_text), record)

        request = _Request(send)
        self.inflight.add(request)
        watcher = asyncio.create_task(self._watch(receive, request.abort))
        slot = False
        try:
            start_ns = time.perf_counter_ns()
            if self.slots is not None:
                if self.waiting >= self.fake.max_queue:
                    return await self.error(send, 503, ERR_BUSY, record)
                self.waiting += 1
                try:
                    await self.slots.acquire()
                    slot = True
                finally:
                    self.waiting -= 1
                if request.abort.is_set():
                    return await self._abandon(request, receive)
            cold = self.loaded.get(model.name, 0.0) <= time.monotonic()
            self._keep_loaded(model.name, None)  # loading counts as loaded for /api/ps
            if cold and sc.load_time > 0 and not await self._pause(request, sc.load_time):
                return await self._abandon(request, receive)
            loaded_ns = time.perf_counter_ns()
            if load_only:
                self._keep_loaded(model.name, keep_alive)
                return await self.json(send, 200, self._bare(name_text, "load"))
            self.fake._generation_started()
            try:
                await self._generate(
                    request, receive, body, record, sc, model, name_text, start_ns, loaded_ns
                )
            finally:
                self.fake._generation_ended()
            self._keep_loaded(model.name, keep_alive)
        finally:
            if slot and self.slots is not None:
                self.slots.release()
            self.inflight.discard(request)
            watcher.cancel()
        return None

    def _keep_loaded(self, name: str, keep_alive: float | None) -> None:
        seconds = 300.0 if keep_alive is None else keep_alive
        if seconds == 0:
            self.loaded.pop(name, None)
        else:
            self.loaded[name] = time.monotonic() + min(seconds, 1e10)

    @staticmethod
    def _bare(model: str, done_reason: str) -> dict[str, Any]:
        return {
            "model": model,
            "created_at": go_time(),
            "message": {"role": "assistant", "content": ""},
            "done_reason": done_reason,
            "done": True,
        }

    @staticmethod
    async def _watch(receive: Receive, abort: asyncio.Event) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        abort.set()

    async def _pause(self, request: _Request, seconds: float) -> bool:
        """Sleep; False if the client left or the server is stopping."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(request.abort.wait(), seconds)
        return not request.abort.is_set()

    async def _abandon(self, request: _Request, receive: Receive) -> None:
        """The client left, or the server stops: then drop the connection like a killed
        Ollama (no status line if none was sent yet, no end of the chunked body)."""
        if self.stopping:
            await self._drop(request.send, request.abort)

    async def _drop(self, send: Send, disconnected: asyncio.Event) -> None:
        transport = getattr(send, "transport", None)
        if transport is None:
            raise ConnectionAbortedError("fake Ollama drops the connection")
        transport.abort()
        # Let uvicorn see connection_lost, so that it neither logs nor answers a 500.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(disconnected.wait(), 1.0)
        for _ in range(3):
            await asyncio.sleep(0)

    async def _generate(
        self,
        request: _Request,
        receive: Receive,
        body: dict[str, Any],
        record: RecordedRequest,
        sc: Scenario,
        model: FakeModel,
        name: str,
        start_ns: int,
        loaded_ns: int,
    ) -> None:
        content = render_content(sc.content, body)
        record.content = content
        think = body.get("think")
        thinking = sc.thinking if model.thinks and think not in (False, "") else None
        think_tokens = tokenize(thinking, sc.seed + 1) if thinking else ()
        tokens = tokenize(content, sc.seed)
        # One plan of chunks: thinking fragments first, then content fragments.
        plan_count = len(think_tokens) + len(tokens)
        limit, done_reason = plan_count, sc.done_reason
        if sc.max_tokens is not None and sc.max_tokens < limit:
            limit, done_reason = sc.max_tokens, "length"
        elif done_reason == "length":
            limit = max(1, int(plan_count * 0.6))
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        num_predict = options.get("num_predict")
        if isinstance(num_predict, int | float) and 0 < num_predict < limit:
            limit, done_reason = int(num_predict), "length"
        event, event_at = None, limit
        for kind, at in (
            ("error", sc.error_after_tokens),
            ("reset", sc.reset_after_tokens),
            ("stall", sc.stall_after_tokens),
        ):
            if at is not None and at <= event_at and (event is None or at < event_at):
                event, event_at = kind, max(0, at)
        stream = body.get("stream") is not False

        if not await self._pause(request, sc.ttft):
            return await self._abandon(request, receive)
        first_ns = time.perf_counter_ns()
        rate = max(sc.tokens_per_second, 1e-6)
        prefix = '{"model":' + go_json(name) + ',"created_at":"'
        enc_think = _encoded(think_tokens)
        enc_content = _encoded(tokens)
        n_think = len(think_tokens)

        def line(i: int, stamp: str) -> str:
            if i < n_think:
                message = '","message":{"role":"assistant","content":"","thinking":' + enc_think[i]
            else:
                message = '","message":{"role":"assistant","content":' + enc_content[i - n_think]
            return prefix + stamp + message + '},"done":false}\n'

        # Each token is written (and flushed) when due. When the loop runs late, all tokens due
        # go in one write, so pacing holds under load; min_write_interval coalesces on purpose.
        sent = 0
        loop = asyncio.get_running_loop()
        t_first = last_write = loop.time()
        gap = self.fake.min_write_interval
        while sent < event_at:
            if request.abort.is_set():
                return await self._abandon(request, receive)
            now = loop.time()
            due = min(event_at, int((now - t_first) * rate) + 1)
            if due > sent and (gap <= 0 or now - last_write >= gap or sent == 0):
                if stream:
                    stamp = go_time()
                    data = "".join([line(i, stamp) for i in range(sent, due)])
                    await self._chunk(request, data)
                sent, last_write = due, now
                continue
            wake = t_first + sent / rate
            if gap > 0:
                wake = max(wake, last_write + gap)
            await asyncio.sleep(wake - now)

        if event is None:
            # The end-of-sequence token takes one more step, then the summary line.
            await asyncio.sleep(max(0.0, t_first + sent / rate - loop.time()))
            if request.abort.is_set():
                return await self._abandon(request, receive)
        end_ns = time.perf_counter_ns()
        if event == "error":
            text = sc.error or ERR_RUNNER_STOPPED
            if stream and request.started:
                await self._chunk(request, go_json({"error": text}) + "\n", last=True)
            else:
                ctype = b"application/json" if stream else _JSON
                await self.json(request.send, 500, {"error": text}, ctype=ctype)
            return None
        if event == "reset":
            return await self._drop(request.send, request.abort)
        if event == "stall":
            await request.abort.wait()
            return await self._abandon(request, receive)

        think_sent = min(sent, n_think)
        final: dict[str, Any] = {
            "model": name,
            "created_at": go_time(),
            "message": {"role": "assistant", "content": ""},
            "done_reason": done_reason,
            "done": True,
            "total_duration": end_ns - start_ns,
            "load_duration": max(1, loaded_ns - start_ns),
            "prompt_eval_count": _prompt_tokens(body),
            "prompt_eval_duration": max(1, first_ns - loaded_ns),
            "eval_count": sent,
            "eval_duration": max(1, end_ns - first_ns),
        }
        if stream:
            await self._chunk(request, go_json(final) + "\n", last=True)
        else:
            final["message"] = {
                "role": "assistant",
                "content": "".join(tokens[: sent - think_sent]),
            }
            if think_sent:
                final["message"]["thinking"] = "".join(think_tokens[:think_sent])
            await self.json(request.send, 200, final)
        return None

    async def _chunk(self, request: _Request, data: str, last: bool = False) -> None:
        if not request.started:
            request.started = True
            await request.send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/x-ndjson")],
                }
            )
        await request.send(
            {"type": "http.response.body", "body": _utf8(data), "more_body": not last}
        )

    def begin_shutdown(self) -> None:
        self.stopping = True
        for request in list(self.inflight):
            request.abort.set()


# --------------------------------------------------------------------------------------------
# The server


class FakeOllama(ThreadedServer):
    """A fake Ollama on 127.0.0.1, served by uvicorn in a background thread.

    `scenario` is a preset name, a Scenario, or a sequence of them: a sequence answers
    consecutive chat requests in order and its last scenario then answers all the next ones.
    Load-only requests (`"messages": []`) never consume a queued scenario; they use the
    standing one (only its `status` and `load_time` matter to them).
    `num_parallel` (None = unlimited) makes requests beyond it wait, like OLLAMA_NUM_PARALLEL,
    and a request that would make more than `max_queue` wait gets Ollama's 503.
    """

    label = "fake Ollama"
    backlog = 4096

    def __init__(
        self,
        scenario: str | Scenario | Sequence[str | Scenario] = "ok",
        models: Iterable[str | FakeModel] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        version: str = OLLAMA_VERSION,
        num_parallel: int | None = None,
        max_queue: int = 512,
        record: bool = True,
        min_write_interval: float = 0.0,
        log_level: str = "warning",
        access_log: bool = False,
    ) -> None:
        self.models: dict[str, FakeModel] = {}
        for spec in DEFAULT_MODELS if models is None else models:
            model = FakeModel.of(spec)
            self.models[model.name] = model
        self.bind_host = host
        self.port = port
        self.version = version
        self.num_parallel = num_parallel
        self.max_queue = max_queue
        self.record = record
        self.min_write_interval = min_write_interval
        """Seconds between two writes of one stream (0: each token is written when due).
        A benchmark of 1000+ streams may set e.g. 0.1 to spare CPU; lines stay one per token."""
        self.log_level = log_level
        self.access_log = access_log
        self.requests: list[RecordedRequest] = []
        self.active = 0
        """Chat generations in progress now."""
        self.max_active = 0
        """The most chat generations in progress at once."""
        self._lock = threading.Lock()
        self._queue: deque[Scenario] = deque()
        self._standing = PRESETS["ok"]
        self.set_scenario(*([scenario] if isinstance(scenario, str | Scenario) else scenario))
        self._app = _App(self)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = None

    # --- addresses -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT (also a valid OLLAMA_HOST)."""
        return f"http://{self.bind_host}:{self.port}"

    @property
    def host(self) -> str:
        """127.0.0.1:PORT, the OLLAMA_HOST form without a scheme."""
        return f"{self.bind_host}:{self.port}"

    # --- scenarios -----------------------------------------------------------------------

    @property
    def scenario(self) -> Scenario:
        """The scenario answering when nothing is queued."""
        return self._standing

    @scenario.setter
    def scenario(self, value: str | Scenario) -> None:
        self.set_scenario(value)

    def set_scenario(self, *scenarios: str | Scenario, **changes: Any) -> None:
        """Answer the next chat requests with these scenarios in order; the last one stays.
        Keyword arguments replace fields of every one (e.g. tokens_per_second=30)."""
        if not scenarios:
            raise ValueError("set_scenario needs at least one scenario")
        resolved = [scenario(s, **changes) for s in scenarios]
        with self._lock:
            self._queue = deque(resolved[:-1])
            self._standing = resolved[-1]

    def _next_scenario(self, consume: bool) -> Scenario:
        with self._lock:
            if consume and self._queue:
                return self._queue.popleft()
            return self._standing

    def _describe(self) -> dict[str, Any]:
        with self._lock:
            queued = [s.name for s in self._queue]
            standing = self._standing
        return {
            "queued": queued,
            "scenario": standing.name,
            "tokens_per_second": standing.tokens_per_second,
            "ttft": standing.ttft,
            "load_time": standing.load_time,
        }

    # --- models --------------------------------------------------------------------------

    def find_model(self, name: str) -> FakeModel | None:
        """Ollama's lookup: a missing tag means :latest, case does not matter."""
        wanted = name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"
        wanted = wanted.removeprefix("registry.ollama.ai/library/").casefold()
        for key, model in self.models.items():
            if key.casefold() == wanted:
                return model
        return None

    def add_model(self, spec: str | FakeModel) -> FakeModel:
        model = FakeModel.of(spec)
        self.models[model.name] = model
        return model

    def unload_all(self) -> None:
        """Forget loaded models (the next request pays the scenario's load_time)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._app.loaded.clear)
        else:
            self._app.loaded.clear()

    # --- records -------------------------------------------------------------------------

    def _record(self, record: RecordedRequest) -> None:
        if self.record:
            self.requests.append(record)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/api/chat"]

    @property
    def last_chat(self) -> RecordedRequest:
        chats = self.chat_requests
        if not chats:
            raise LookupError("no /api/chat request was received")
        return chats[-1]

    def clear(self) -> None:
        """Forget recorded requests and counters (not the scenario)."""
        self.requests.clear()
        self.max_active = self.active

    def reset(self, scenario: str | Scenario = "ok") -> None:
        """Back to a fresh state: recorded requests cleared, scenario set, models unloaded."""
        self.clear()
        self.set_scenario(scenario)
        self.unload_all()

    def _generation_started(self) -> None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)

    def _generation_ended(self) -> None:
        self.active -= 1

    # --- lifecycle -----------------------------------------------------------------------

    def _make_app(self) -> _App:
        return _App(self)

    def _prepare_loop(self) -> None:
        if self.num_parallel is not None:
            self._app.slots = asyncio.Semaphore(self.num_parallel)


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_ollama",
        description="A fake Ollama server (no GPU): streams invented cocktails like Ollama does.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434, help="0 picks a free port")
    parser.add_argument(
        "--scenario",
        default="realistic",
        help="a preset, or several separated by commas for consecutive chats (the last one "
        f"stays); presets: {', '.join(PRESETS)}",
    )
    parser.add_argument("--tokens-per-second", type=float, default=None)
    parser.add_argument("--ttft", type=float, default=None, help="seconds to first token")
    parser.add_argument("--load-time", type=float, default=None, help="cold model load, seconds")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated")
    parser.add_argument("--num-parallel", type=int, default=None, help="like OLLAMA_NUM_PARALLEL")
    parser.add_argument("--max-queue", type=int, default=512, help="like OLLAMA_MAX_QUEUE")
    parser.add_argument(
        "--min-write-interval",
        type=float,
        default=0.0,
        help="seconds between writes of one stream (coalesces tokens; spares CPU under load)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)

    changes = {
        k: v
        for k, v in (
            ("tokens_per_second", args.tokens_per_second),
            ("ttft", args.ttft),
            ("load_time", args.load_time),
        )
        if v is not None
    }
    try:
        scenarios = [scenario(name.strip(), **changes) for name in args.scenario.split(",")]
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    fake = FakeOllama(
        scenarios,
        [m.strip() for m in args.models.split(",") if m.strip()],
        host=args.host,
        port=args.port,
        num_parallel=args.num_parallel,
        max_queue=args.max_queue,
        record=False,
        min_write_interval=args.min_write_interval,
        log_level="warning" if args.quiet else "info",
        access_log=not args.quiet,
    )
    try:
        fake.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    last = scenarios[-1]
    print(f"Fake Ollama {fake.version} listening on {fake.url}", flush=True)
    print(
        f"  scenario: {args.scenario}  ({last.tokens_per_second:g} tokens/s, "
        f"ttft {last.ttft:g} s, cold load {last.load_time:g} s)"
    )
    print(f"  models:   {', '.join(fake.models)}")
    print(f"Point barapp at it:  export OLLAMA_HOST={fake.url}   (or OLLAMA_HOST= in .env)")
    print(f'Switch scenario:     curl -d \'{{"scenario": "busy"}}\' {fake.url}/_fake/scenario')
    print("Ctrl-C stops.", flush=True)

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stop.is_set():
        stop.wait(0.5)
    fake.stop()
    print("Fake Ollama stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
