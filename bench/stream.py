"""Live-stream benchmark: what barapp adds between Ollama's tokens and the guest's SSE events.

    python bench/stream.py [--quick] [--sizes 100,500,1000] [--wishes 30]
                           [--write-interval 0] [--no-gzip]

Everything goes through real HTTP on 127.0.0.1: one `barapp serve` process (one uvicorn
worker, SQLite in a temporary folder), the fake Ollama of tests/fake_ollama.py in ANOTHER
process (so its CPU is not the app's), and this process as the guests: POST /generate with
`HX-Request: true`, then the SSE stream named in the answer's `sse-connect`. The three share the
machine's cores, which the output says. Each wish's answer is the fake's house cocktail,
named after the wish (as a model names each drink), written one token per write as Ollama does
(unless --write-interval coalesces the fake's writes).

How a delay is measured. The fake process is this very script (`--serve-fake PORT`): it runs
`FakeOllama` and records, for every chat stream (keyed by the wish, which is unique per
request), the CLOCK_MONOTONIC time of every write and how many tokens had been written by then
(the time is taken just before the write, so the fake's own send cost counts against the app).
CLOCK_MONOTONIC is one clock for every process of the machine. The SSE clients are bare
`asyncio.Protocol`s that only stamp each read with the same clock and keep the bytes; the
HTTP framing, gzip and SSE parsing are done after the run, so the client adds as little as
possible to the shared CPU. For each field-update event (`name`, `description`, `glass`,
`garnish`, `ingredients`, `steps`, `music`) the benchmark knows which token made it possible:
it feeds the fake's exact tokens (same content, same tokenizer) to the app's own parser
(`barapp.wishes.jsonstream`) with the app's own rules (`STREAMED_FIELDS`, `LISTS`), so the
k-th character of a field, the n-th ingredient or the music is tied to the first token after
which the app could know it. Its delay = arrival at the SSE client - the fake's write of that
token. This is measured against what the fake actually wrote, not against its schedule: when
the loaded machine makes the fake late, that lateness is not charged to the app (it is shown
apart, as "fake late"). The delay includes the app's deliberate text coalescing (at most
30 ms per stream). Events whose token was written before the SSE request was sent (a replay of
the log, not a relay) are left out and counted. Field texts are checked against the document.

(a) Time to first visible token, sequential: POST /generate -> first `name` event at the SSE
client, minus the fake's own time from request to that same token read by the raw
`ollama.AsyncClient` (same request as the app's; one client reused), interleaved with the app's
runs. Overhead median = median(app) - median(raw); overhead p99 = p99(app) - median(raw).
(b) N concurrent generations at 30 tokens/s, each with its SSE client (guests arrive 32 at a
time: POST, then the SSE GET; "overlap" says how many streams the fake really served at once,
which the app's own admission speed may keep below N): p50/p99/max added delay
over every field-update event of every stream, and the app's peak RSS (VmHWM, reset through
/proc/PID/clear_refs when the app is ready; a fresh app process and database per N, so one N's
leftovers do not weigh on the next). OLLAMA_CONCURRENCY and OLLAMA_MAX_QUEUE are set to N; where
settings.py caps them below N, the app is started by a small launcher that only widens that
cap (said in the output), then runs `barapp serve` as usual.
(c) One generation at the fake's full speed (a long but valid cocktail, about 18k tokens):
tokens of the document per second seen by the SSE client, from the first field-update event to
the last, versus the raw `ollama.AsyncClient` on the same token span (tokens, not events: the app
coalesces text per 30 ms). Median of a few interleaved rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import dataclasses
import html
import importlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import ollama

from barapp.settings import Settings
from barapp.wishes import prompt
from barapp.wishes.events import LISTS, STREAMED_FIELDS
from barapp.wishes.jsonstream import JSONStream, StringDelta, ValueDone

ROOT = Path(__file__).resolve().parent.parent
MODEL = "llama3.1:8b"
BAR_NAME = "barapp"
NUM_PREDICT = 32_000  # the long document of (c) must not be cut
LONG = "bench_long"
NAMED = "bench_named"
FIELD_EVENTS = (*STREAMED_FIELDS, *LISTS, "music")
SSE_LINK = re.compile(r'sse-connect="/generations/([0-9a-f-]{36})/events"')

TARGET_TTFT_OVERHEAD_MS = 15.0
TARGET_DELAY_P99_MS = 100.0
TARGET_RSS_MB = 300.0
TARGET_RATIO = 0.8
TARGET_N = 1000

# (a): a fast model, so that 30 sequential wishes take seconds.
A_TTFT, A_RATE, A_WARMUP = 0.1, 1000.0, 3
# (b): 30 tokens/s each, a short prompt evaluation.
B_TTFT, B_RATE, B_RAMP = 0.2, 30.0, 32
# (c): as fast as the fake can write.
C_RATE, C_ROUNDS = 1e7, 3


# --- The fake's side (runs in its own process) -----------------------------------------------


def fake_module() -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("tests.fake_ollama")


def named_document(wish: str) -> dict[str, Any]:
    """The fake's house cocktail, named after the wish ("bench b500 17: ..." -> "Midnight
    Garden b500 17"), as a model names each drink: a thousand drinks of one name would make
    the app's slug search scan every earlier one."""
    doc: dict[str, Any] = fake_module().cocktail_document()
    doc["name"] += " " + wish.split(":")[0].removeprefix("bench ")
    return doc


def long_document() -> dict[str, Any]:
    """A valid cocktail near the record's limits: a 3.9k-character description, 40 steps."""
    doc: dict[str, Any] = fake_module().cocktail_document()
    base = doc["description"] + " "
    doc["description"] = (base * (3900 // len(base) + 1))[:3900].rstrip()
    filler = " ".join(doc["steps"]) + " "
    doc["steps"] = [
        f"Step {i + 1}. " + (filler * (1800 // len(filler) + 1))[:1800].rstrip() for i in range(40)
    ]
    return doc


def serve_fake(port: int) -> None:
    """The fake Ollama, instrumented: every write of a chat stream is recorded (time, tokens
    written so far), keyed by the wish; GET /_bench/emits hands the records over and forgets
    them; POST /_bench/config {"min_write_interval": s} changes the fake's write coalescing."""
    fo = fake_module()
    fo.PRESETS[LONG] = fo.Scenario(LONG, content=lambda body: long_document())
    fo.PRESETS[NAMED] = fo.Scenario(
        NAMED, content=lambda body: named_document(fo.last_user_message(body))
    )
    streams: dict[str, dict[str, Any]] = {}
    current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
        "bench_stream", default=None
    )

    class BenchFake(fo.FakeOllama):
        async def _stream(self, ex: Any, sc: Any, body: Any, *rest: Any) -> None:
            info = {"t0": time.monotonic(), "ttft": sc.ttft, "rate": sc.tokens_per_second}
            info["writes"] = []
            streams[fo.last_user_message(body)] = info
            current.set(info)  # this request's task only
            await super()._stream(ex, sc, body, *rest)

        async def _write(self, ex: Any, data: str, last: bool = False) -> None:
            info = current.get()
            now = time.monotonic()
            await super()._write(ex, data, last)
            if info is not None and not last:
                writes = info["writes"]
                writes.append((now, (writes[-1][1] if writes else 0) + data.count("\n")))

        async def handle(self, ex: Any) -> None:
            if ex.path == "/_bench/emits":
                payload = {"streams": dict(streams), "max_active": self.max_active}
                streams.clear()
                self.max_active = self.active
                return await ex.respond(200, json.dumps(payload).encode())
            if ex.path == "/_bench/config" and ex.method == "POST":
                self.min_write_interval = float(ex.body["min_write_interval"])
                return await ex.respond(200, b"{}")
            return await super().handle(ex)

    fake = BenchFake("ok", port=port, record=False, log_level="warning")
    fake.start()
    print(f"fake Ollama on {fake.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(0.5)
    fake.stop()


# --- Processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def raise_open_files(wanted: int = 65_536) -> int:
    """Enough descriptors for N SSE clients here, N upstream streams in the app and the fake;
    children inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise LookupError(key)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=15)

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def spawn(name: str, command: list[str], env: dict[str, str], cwd: Path, port: int) -> Proc:
    log_path = cwd / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    return Proc(name, popen, port, log_path)


def wait_ready(proc: Proc, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(proc.url + path, timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} was not ready in {timeout:g} s:\n{proc.log_tail()}")


def start_fake(workdir: Path) -> Proc:
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-fake", str(port)]
    proc = spawn("fake-ollama", command, dict(os.environ), workdir, port)
    try:
        wait_ready(proc, "/api/version")
    except BaseException:
        proc.stop()
        raise
    return proc


def settings_cap() -> int:
    """The smallest upper bound settings.py puts on OLLAMA_CONCURRENCY / OLLAMA_MAX_QUEUE."""
    caps = [
        f.metadata["max"]
        for f in dataclasses.fields(Settings)
        if f.name in ("ollama_concurrency", "ollama_max_queue")
    ]
    return int(min(caps))


# Run as `python -c LAUNCHER N serve ...`: widen the two caps to N, then `barapp serve`.
LAUNCHER = """\
import dataclasses, sys, types
from barapp.settings import Settings
wanted = int(sys.argv.pop(1))
for f in dataclasses.fields(Settings):
    if f.name in ("ollama_concurrency", "ollama_max_queue") and f.metadata["max"] < wanted:
        f.metadata = types.MappingProxyType({**f.metadata, "max": wanted})
from barapp.cli import main
main(sys.argv[1:])
"""


def start_app(root: Path, label: str, fake: Proc, concurrency: int) -> tuple[Proc, bool]:
    """A fresh `barapp serve` with its own SQLite database; (process, cap widened?)."""
    workdir = root / f"app-{label}"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "OLLAMA_MODELS"}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        SECRET_KEY="bench-secret-key-not-for-production",
        MEDIA_DIR=str(workdir / "media"),
        OLLAMA_HOST=fake.url,
        OLLAMA_DEFAULT_MODEL=MODEL,
        OLLAMA_CONCURRENCY=str(concurrency),
        OLLAMA_MAX_QUEUE=str(concurrency),
        OLLAMA_NUM_PREDICT=str(NUM_PREDICT),
        IMAGE_GEN_ENABLED="false",
        # Every wish comes from one address: the guests' hourly quotas would refuse them.
        GUEST_WISHES_PER_HOUR="0",
        IP_WISHES_PER_HOUR="0",
        DEFAULT_LANGUAGE="en",
        BAR_NAME=BAR_NAME,
    )
    port = free_port()
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    widened = concurrency > settings_cap()
    if widened:
        command = [sys.executable, "-c", LAUNCHER, str(concurrency), *serve]
    else:
        command = [sys.executable, "-m", "barapp", *serve]
    proc = spawn("app", command, env, workdir, port)
    try:
        wait_ready(proc, "/healthz")
    except BaseException:
        proc.stop()
        raise
    return proc, widened


async def fake_control(client: httpx.AsyncClient, fake: Proc, path: str, body: Any) -> Any:
    response = await client.post(fake.url + path, json=body)
    response.raise_for_status()
    return response.json()


async def set_fake(
    client: httpx.AsyncClient, fake: Proc, scenario: str, ttft: float, rate: float, gap: float
) -> None:
    await fake_control(
        client,
        fake,
        "/_fake/scenario",
        {"scenario": scenario, "ttft": ttft, "tokens_per_second": rate},
    )
    await fake_control(client, fake, "/_bench/config", {"min_write_interval": gap})


async def take_emits(client: httpx.AsyncClient, fake: Proc) -> dict[str, Any]:
    response = await client.get(fake.url + "/_bench/emits", timeout=120)
    response.raise_for_status()
    emits: dict[str, Any] = response.json()
    return emits


# --- What the document makes visible, token by token ------------------------------------------


class Visibility:
    """For each token index k: how much of each field the app can show once it has tokens
    0..k (characters of a streamed text, ingredients or steps complete, music), computed with
    the app's own parser and rules."""

    def __init__(self, tokens: tuple[str, ...]) -> None:
        parser = JSONStream()
        counts = dict.fromkeys(FIELD_EVENTS, 0)
        self.texts: dict[str, list[str]] = {name: [] for name in STREAMED_FIELDS}
        self.cum: dict[str, list[int]] = {name: [] for name in FIELD_EVENTS}
        self.tokens = tokens
        for token in tokens:
            for event in parser.feed(token):
                path = event.path
                if isinstance(event, StringDelta) and len(path) == 1 and path[0] in STREAMED_FIELDS:
                    counts[str(path[0])] += len(event.text)
                    self.texts[str(path[0])].append(event.text)
                elif isinstance(event, ValueDone) and len(path) == 2 and path[0] in LISTS:
                    counts[str(path[0])] += 1
                elif isinstance(event, ValueDone) and path == ("music",):
                    counts["music"] += 1
            for name, count in counts.items():
                self.cum[name].append(count)
        parser.close()
        self.first_name_token = self.token_for("name", 1)

    def token_for(self, name: str, count: int) -> int:
        """The first token after which `count` units of field `name` are known."""
        k = bisect_left(self.cum[name], count)
        if k >= len(self.tokens):
            raise ValueError(f"the SSE stream shows more of {name!r} than the document has")
        return k

    def text(self, name: str) -> str:
        return "".join(self.texts[name])


_visibility: dict[tuple[str, ...], Visibility] = {}


def visibility_for(wish: str, content: Any = None) -> Visibility:
    """What the fake streams for this wish (as its `render_content` and `tokenize` make it);
    by default the named document of the NAMED scenario."""
    fo = fake_module()
    content = named_document(wish) if content is None else content
    body = {"messages": prompt.messages(wish, BAR_NAME), "format": prompt.SCHEMA}
    tokens = fo.tokenize(fo.render_content(content, body), 0)
    if tokens not in _visibility:
        _visibility[tokens] = Visibility(tokens)
    return _visibility[tokens]


# --- The SSE client ---------------------------------------------------------------------------


@dataclass
class SSEEvent:
    at: float
    name: str
    data: str
    id: str


class Wire:
    """One HTTP/1.1 response, fed as it was read: head, chunked framing, gzip, SSE events. Each
    event is stamped with the time of the read that completed it."""

    def __init__(self) -> None:
        self.buf = b""
        self.status = 0
        self.headers: dict[str, str] = {}
        self.head_at: float | None = None
        self.chunked = False
        self.gunzip: Any = None
        self.left = 0  # payload bytes left in the current chunk
        self.skip = 0  # CRLF bytes after a chunk
        self.complete = False
        self.text = b""
        self.events: list[SSEEvent] = []

    def feed(self, at: float, data: bytes) -> None:
        self.buf += data
        if self.head_at is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buf[:end].decode("latin-1").split("\r\n")
            self.status = int(lines[0].split()[1])
            for line in lines[1:]:
                key, _, value = line.partition(":")
                self.headers[key.strip().lower()] = value.strip()
            self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
            if self.headers.get("content-encoding", "").lower() == "gzip":
                self.gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self.head_at = at
            self.buf = self.buf[end + 4 :]
        body = self._dechunk() if self.chunked else self._take_all()
        if self.gunzip is not None:
            body = self.gunzip.decompress(body)
        self._sse(at, body)

    def _take_all(self) -> bytes:
        body, self.buf = self.buf, b""
        return body

    def _dechunk(self) -> bytes:
        out = []
        buf = self.buf
        while buf and not self.complete:
            if self.skip:
                n = min(self.skip, len(buf))
                buf, self.skip = buf[n:], self.skip - n
            elif self.left:
                piece = buf[: self.left]
                out.append(piece)
                buf, self.left = buf[len(piece) :], self.left - len(piece)
                if not self.left:
                    self.skip = 2
            else:
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                size = int(buf[:end].split(b";")[0], 16)
                buf = buf[end + 2 :]
                if size == 0:
                    self.complete = True
                    buf = b""
                self.left = size
        self.buf = buf
        return b"".join(out)

    def _sse(self, at: float, body: bytes) -> None:
        text = self.text + body
        held = b""
        if text.endswith(b"\r"):
            text, held = text[:-1], b"\r"
        blocks = text.replace(b"\r\n", b"\n").split(b"\n\n")
        self.text = blocks.pop() + held
        for block in blocks:
            name, data, ident, seen = "message", [], "", False
            for line in block.decode("utf-8").split("\n"):
                if not line or line.startswith(":"):
                    continue
                key, _, value = line.partition(":")
                value = value.removeprefix(" ")
                seen = True
                if key == "event":
                    name = value
                elif key == "data":
                    data.append(value)
                elif key == "id":
                    ident = value
            if seen:
                self.events.append(SSEEvent(at, name, "\n".join(data), ident))


class SSEClient(asyncio.Protocol):
    """A bare SSE reader: stamps and keeps each read, nothing else (parsed after the run)."""

    def __init__(self, request: bytes, closed: asyncio.Future[None]) -> None:
        self.request = request
        self.closed = closed
        self.reads: list[tuple[float, bytes]] = []
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.sent_at = time.monotonic()
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.reads.append((time.monotonic(), data))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def wire(self) -> Wire:
        wire = Wire()
        for at, data in self.reads:
            wire.feed(at, data)
        return wire


async def open_sse(port: int, gen_id: str, gzip: bool) -> SSEClient:
    """GET /generations/ID/events like a browser's EventSource (which sends Accept-Encoding);
    `Connection: close` lets the end of the response show as the end of the connection."""
    request = (
        f"GET /generations/{gen_id}/events HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Accept: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n"
        + ("Accept-Encoding: gzip, deflate\r\n" if gzip else "")
        + "Connection: close\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(lambda: SSEClient(request, closed), "127.0.0.1", port), 30
    )
    return protocol


CSRF_IN_PAGE = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')


async def post_wish(client: httpx.AsyncClient, wish: str) -> str:
    if "x-csrf-token" not in client.headers:
        # As a browser: the wish page gives the session cookie and its CSRF token.
        page = await client.get("/generate")
        found = CSRF_IN_PAGE.search(page.text)
        if not found:
            raise RuntimeError("GET /generate: no CSRF token in the page")
        client.headers["x-csrf-token"] = found.group(1)
    response = await client.post(
        "/generate", data={"wish": wish, "model": MODEL}, headers={"HX-Request": "true"}
    )
    if response.status_code != 200:
        raise RuntimeError(f"POST /generate: HTTP {response.status_code}")
    found = SSE_LINK.search(response.text)
    if not found:
        raise RuntimeError("POST /generate: no sse-connect in the answer")
    return found.group(1)


# --- One stream, checked and measured -----------------------------------------------------------


@dataclass
class StreamOutcome:
    ok: bool = False  # reached `end` with a saved cocktail, every field text as in the document
    problem: str = ""
    delays: list[float] = field(default_factory=list)  # seconds, per field-update event
    replayed: int = 0
    field_events: list[tuple[float, int]] = field(default_factory=list)  # (arrival, token)
    events: list[SSEEvent] = field(default_factory=list)


def examine(client: SSEClient, vis: Visibility, writes: list[list[float]] | None) -> StreamOutcome:
    """Parse what the client read, tie each field update to its token, check the texts."""
    out = StreamOutcome()
    wire = client.wire()
    out.events = wire.events
    if wire.status != 200:
        out.problem = f"HTTP {wire.status or 'no answer'}"
        return out
    cums = [int(w[1]) for w in writes] if writes else []
    counts = dict.fromkeys(FIELD_EVENTS, 0)
    texts: dict[str, list[str]] = {name: [] for name in STREAMED_FIELDS}
    try:
        for event in wire.events:
            if event.name not in counts:
                continue
            if event.name in texts:
                piece = html.unescape(event.data)
                texts[event.name].append(piece)
                counts[event.name] += len(piece)
            else:
                counts[event.name] += 1
            k = vis.token_for(event.name, counts[event.name])
            out.field_events.append((event.at, k))
            if writes is not None:
                w = bisect_right(cums, k)
                if w >= len(writes):
                    raise ValueError("an event needs a token the fake never wrote")
                emitted = writes[w][0]
                if emitted < client.sent_at:
                    out.replayed += 1
                else:
                    out.delays.append(event.at - emitted)
    except ValueError as exc:
        out.problem = str(exc)
        return out
    names = [e.name for e in wire.events]
    if "end" not in names:
        out.problem = "no end event"
    elif not any(e.name == "result" and "result-done" in e.data for e in wire.events):
        out.problem = "the generation did not end with a cocktail"
    elif any("".join(texts[n]) != vis.text(n) for n in texts):
        out.problem = "a streamed text differs from the document"
    else:
        out.ok = True
    return out


# --- (a) time to first visible token ------------------------------------------------------------


def raw_client(fake: Proc) -> ollama.AsyncClient:
    return ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(60.0))


async def raw_stream(client: ollama.AsyncClient, wish: str) -> tuple[float, list[float]]:
    """The app's request, read by the bare official client: (start, arrival of each token)."""
    start = time.monotonic()
    chunks = await client.chat(
        model=MODEL,
        messages=prompt.messages(wish, BAR_NAME),
        stream=True,
        format=prompt.SCHEMA,
        think=False,
        options={"num_predict": NUM_PREDICT, "temperature": 0.8},
        keep_alive="30m",
    )
    arrivals = []
    async for chunk in chunks:
        if chunk.message and chunk.message.content:
            arrivals.append(time.monotonic())
        if chunk.done:
            break
    return start, arrivals


@dataclass
class TTFTResult:
    app_ms: list[float]
    raw_ms: list[float]
    failures: int
    raw_first_ms: list[float] = field(default_factory=list)  # the raw client's first token
    # Where the app's time goes (medians, ms): POST answered; the chat request reaches the fake;
    # the fake writes the name's token (its own ttft and pacing); that token's SSE event arrives.
    post_ms: float = float("nan")
    upstream_ms: float = float("nan")
    fake_ms: float = float("nan")
    relay_ms: float = float("nan")

    @property
    def overhead_median(self) -> float:
        return statistics.median(self.app_ms) - statistics.median(self.raw_ms)

    @property
    def overhead_p99(self) -> float:
        return percentile(self.app_ms, 99) - statistics.median(self.raw_ms)


async def measure_ttft(app: Proc, fake: Proc, wishes: int, gzip: bool) -> TTFTResult:
    app_ms: list[float] = []
    raw_ms: list[float] = []
    timings: list[tuple[str, float, float, float]] = []  # wish, start, POST answered, name
    raw_first: list[float] = []
    failures = 0
    async with httpx.AsyncClient(base_url=app.url, timeout=60) as http:
        await set_fake(http, fake, NAMED, A_TTFT, A_RATE, 0.0)
        raw = raw_client(fake)
        for i in range(A_WARMUP + wishes):
            wish = f"bench a {i}: something fresh with gin"
            vis = visibility_for(wish)
            start = time.monotonic()
            gen_id = await post_wish(http, wish)
            answered = time.monotonic()
            sse = await open_sse(app.port, gen_id, gzip)
            try:
                await asyncio.wait_for(asyncio.shield(sse.closed), 30)
            except TimeoutError:
                sse.abort()
            outcome = examine(sse, vis, None)
            names = [e for e in outcome.events if e.name == "name"]
            # The same document (its name comes from the text before the colon).
            raw_start, arrivals = await raw_stream(raw, wish + " raw")
            if i < A_WARMUP:
                continue
            if not outcome.ok or not names:
                failures += 1
                continue
            app_ms.append((names[0].at - start) * 1000)
            raw_ms.append((arrivals[vis.first_name_token] - raw_start) * 1000)
            raw_first.append((arrivals[0] - raw_start) * 1000)
            timings.append((wish, start, answered, names[0].at))
        streams = (await take_emits(http, fake))["streams"]
    result = TTFTResult(app_ms, raw_ms, failures, raw_first)
    parts: list[list[float]] = [[], [], [], []]
    for wish, start, answered, name_at in timings:
        info = streams.get(wish)
        if not info:
            continue
        k = visibility_for(wish).first_name_token
        cums = [int(w[1]) for w in info["writes"]]
        written = info["writes"][bisect_right(cums, k)][0]
        for part, value in zip(
            parts,
            (answered - start, info["t0"] - start, written - info["t0"], name_at - written),
            strict=True,
        ):
            part.append(value * 1000)
    if parts[0]:
        medians = [statistics.median(part) for part in parts]
        result.post_ms, result.upstream_ms, result.fake_ms, result.relay_ms = medians
    return result


# --- (b) N concurrent generations ----------------------------------------------------------------


@dataclass
class ConcurrentResult:
    n: int
    started: int
    ok: int
    problems: dict[str, int]
    delays_ms: list[float]
    replayed: int
    fake_late_ms: list[float]
    max_overlap: int
    ramp_s: float
    wall_s: float
    rss_mb: float
    rss_start_mb: float
    cpu: dict[str, float]  # share of one core during the run
    post_ms: list[float]
    peak_since: str
    widened: bool
    gap: float

    @property
    def p99(self) -> float:
        return percentile(self.delays_ms, 99) if self.delays_ms else float("nan")

    @property
    def meets(self) -> bool:
        return (
            self.ok == self.n and self.p99 <= TARGET_DELAY_P99_MS and self.rss_mb <= TARGET_RSS_MB
        )


def fake_lateness(info: dict[str, Any]) -> list[float]:
    """Per token: the fake's write minus its own schedule (t0 + ttft + k / rate), in ms."""
    out = []
    sent = 0
    due0 = info["t0"] + info["ttft"]
    for at, total in info["writes"]:
        out.extend((at - (due0 + k / info["rate"])) * 1000 for k in range(sent, int(total)))
        sent = int(total)
    return out


def max_overlap(streams: dict[str, Any]) -> int:
    marks = []
    for info in streams.values():
        if info["writes"]:
            marks += [(info["t0"], 1), (info["writes"][-1][0], -1)]
    best = level = 0
    for _, step in sorted(marks):
        level += step
        best = max(best, level)
    return best


async def measure_concurrent(
    root: Path, fake: Proc, n: int, gap: float, gzip: bool, deadline: float
) -> ConcurrentResult:
    app, widened = start_app(root, f"n{n}", fake, n)
    try:
        return await _concurrent(app, fake, n, gap, gzip, deadline, widened)
    finally:
        app.stop()


async def _concurrent(
    app: Proc, fake: Proc, n: int, gap: float, gzip: bool, deadline: float, widened: bool
) -> ConcurrentResult:
    limits = httpx.Limits(max_connections=B_RAMP, max_keepalive_connections=B_RAMP)
    async with httpx.AsyncClient(base_url=app.url, timeout=60, limits=limits) as http:
        await set_fake(http, fake, NAMED, B_TTFT, B_RATE, gap)
        # One wish first: templates compiled, the fake's model "loaded".
        warm = await open_sse(app.port, await post_wish(http, "bench warm-up: gin"), gzip)
        await asyncio.wait_for(asyncio.shield(warm.closed), 60)
        await take_emits(http, fake)
        try:
            Path(f"/proc/{app.pid}/clear_refs").write_text("5")  # peak RSS from here
            peak_since = "ready"
        except OSError:
            peak_since = "start"
        rss_start = status_kb(app.pid, "VmRSS") / 1024
        cpu0 = {"app": cpu_seconds(app.pid), "fake": cpu_seconds(fake.pid)}
        cpu0["bench"] = own_cpu_seconds()
        gate = asyncio.Semaphore(B_RAMP)
        clients: dict[str, SSEClient] = {}
        errors: dict[str, int] = {}
        post_ms: list[float] = []
        ramp_end = 0.0

        async def guest(i: int) -> None:
            nonlocal ramp_end
            wish = f"bench b{n} {i}: something fresh with gin"
            try:
                async with gate:
                    posted = time.monotonic()
                    gen_id = await post_wish(http, wish)
                    post_ms.append((time.monotonic() - posted) * 1000)
                    clients[wish] = await open_sse(app.port, gen_id, gzip)
                    ramp_end = time.monotonic()
                await asyncio.shield(clients[wish].closed)
            except (OSError, RuntimeError, TimeoutError, httpx.HTTPError) as exc:
                key = str(exc).split("\n")[0][:60] or type(exc).__name__
                errors[key] = errors.get(key, 0) + 1

        start = time.monotonic()
        tasks = [asyncio.create_task(guest(i)) for i in range(n)]
        _, pending = await asyncio.wait(tasks, timeout=deadline)
        wall = time.monotonic() - start
        for task in pending:
            task.cancel()
        for client in clients.values():
            client.abort()
        await asyncio.gather(*tasks, return_exceptions=True)
        cpu = {
            "app": cpu_seconds(app.pid) - cpu0["app"],
            "fake": cpu_seconds(fake.pid) - cpu0["fake"],
            "bench": own_cpu_seconds() - cpu0["bench"],
        }
        rss = status_kb(app.pid, "VmHWM") / 1024
        emits = await take_emits(http, fake)

    streams = emits["streams"]
    delays: list[float] = []
    late: list[float] = []
    replayed = ok = 0
    problems = dict(errors)
    if pending:
        problems[f"unfinished after {deadline:g} s"] = len(pending)
    for wish, client in clients.items():
        info = streams.get(wish)
        vis = visibility_for(wish)
        outcome = examine(client, vis, info["writes"] if info else [])
        delays += [d * 1000 for d in outcome.delays]
        replayed += outcome.replayed
        if info:
            late += fake_lateness(info)
        if outcome.ok:
            ok += 1
        elif outcome.problem:
            problems[outcome.problem] = problems.get(outcome.problem, 0) + 1
    return ConcurrentResult(
        n=n,
        started=len(clients),
        ok=ok,
        problems=problems,
        delays_ms=delays,
        replayed=replayed,
        fake_late_ms=late,
        max_overlap=max_overlap(streams),
        ramp_s=ramp_end - start if ramp_end else float("nan"),
        wall_s=wall,
        rss_mb=rss,
        rss_start_mb=rss_start,
        cpu={k: v / wall for k, v in cpu.items()},
        post_ms=post_ms,
        peak_since=peak_since,
        widened=widened,
        gap=gap,
    )


# --- (c) full speed -------------------------------------------------------------------------------


@dataclass
class ThroughputResult:
    tokens: int
    chars: int
    app_tps: list[float]
    raw_tps: list[float]
    app_events: int
    failures: int

    @property
    def ratio(self) -> float:
        if not self.app_tps or not self.raw_tps:
            return float("nan")
        return statistics.median(self.app_tps) / statistics.median(self.raw_tps)


async def measure_throughput(app: Proc, fake: Proc, rounds: int, gzip: bool) -> ThroughputResult:
    doc = long_document()
    app_tps: list[float] = []
    raw_tps: list[float] = []
    failures = events = 0
    vis = visibility_for("bench c", doc)
    async with httpx.AsyncClient(base_url=app.url, timeout=60) as http:
        await set_fake(http, fake, LONG, 0.05, C_RATE, 0.0)
        raw = raw_client(fake)
        for i in range(rounds + 1):  # the first round warms up
            wish = f"bench c {i}: something fresh with gin"
            vis = visibility_for(wish, doc)
            sse = await open_sse(app.port, await post_wish(http, wish), gzip)
            try:
                await asyncio.wait_for(asyncio.shield(sse.closed), 120)
            except TimeoutError:
                sse.abort()
            outcome = examine(sse, vis, None)
            _, arrivals = await raw_stream(raw, wish + " raw")
            if i == 0:
                continue
            if not outcome.ok or len(outcome.field_events) < 2 or len(arrivals) != len(vis.tokens):
                failures += 1
                continue
            (t1, k1), (t2, k2) = outcome.field_events[0], outcome.field_events[-1]
            app_tps.append((k2 - k1) / (t2 - t1))
            raw_tps.append((k2 - k1) / (arrivals[k2] - arrivals[k1]))
            events = len(outcome.events)
        await set_fake(http, fake, NAMED, A_TTFT, A_RATE, 0.0)
        await take_emits(http, fake)
    chars = sum(len(t) for t in vis.tokens)
    return ThroughputResult(len(vis.tokens), chars, app_tps, raw_tps, events, failures)


# --- Report ---------------------------------------------------------------------------------------


def percentile(values: list[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(
    ttft: TTFTResult | None,
    runs: list[ConcurrentResult],
    throughput: ThroughputResult | None,
    gzip: bool,
) -> list[str]:
    """Print the tables; return the targets missed."""
    cores = os.cpu_count() or 0
    print()
    print("== barapp live stream, measured over HTTP against the fake Ollama ==")
    print(
        f"machine: {cores} CPU cores shared by the app (one uvicorn process), the fake Ollama "
        "(another process) and this client process: their CPU use competes, see the CPU columns."
    )
    print(
        f"SSE clients: bare asyncio readers, Accept-Encoding: {'gzip' if gzip else 'none'} "
        "(a browser's EventSource sends gzip)."
    )
    missed = []
    rows: list[tuple[str, str, str, bool]] = []
    if ttft is not None:
        print()
        print(
            f"(a) time to first visible token, {len(ttft.app_ms)} sequential wishes "
            f"(fake: ttft {A_TTFT * 1000:.0f} ms, {A_RATE:g} tokens/s; the first `name` text "
            f"needs token #{visibility_for('bench a 0').first_name_token + 1})"
        )
        if ttft.app_ms:
            app_med, app_p99 = statistics.median(ttft.app_ms), percentile(ttft.app_ms, 99)
            raw_med, raw_p99 = statistics.median(ttft.raw_ms), percentile(ttft.raw_ms, 99)
            print(
                f"    app: POST /generate -> first `name` SSE event  median {app_med:7.1f} ms  "
                f"p99 {app_p99:7.1f} ms"
            )
            print(
                f"    raw ollama.AsyncClient -> the same token         median {raw_med:7.1f} ms  "
                f"p99 {raw_p99:7.1f} ms  (its first token: median "
                f"{statistics.median(ttft.raw_first_ms):.1f} ms)"
            )
            print(
                f"    overhead                                        median "
                f"{ttft.overhead_median:7.1f} ms  p99 {ttft.overhead_p99:7.1f} ms"
            )
            print(
                f"    where the app's time goes (medians): POST answered {ttft.post_ms:.1f} ms; "
                f"chat request reaches the fake at {ttft.upstream_ms:.1f} ms; the fake writes the "
                f"name's token {ttft.fake_ms:.1f} ms later; its SSE event arrives "
                f"{ttft.relay_ms:.1f} ms after that write"
            )
            ok = ttft.overhead_median <= TARGET_TTFT_OVERHEAD_MS and not ttft.failures
            rows.append(
                (
                    "(a) TTFT overhead, median",
                    f"<= {TARGET_TTFT_OVERHEAD_MS:g} ms",
                    f"{ttft.overhead_median:.1f} ms",
                    ok,
                )
            )
        if ttft.failures:
            print(f"    {ttft.failures} wishes failed")
    if runs:
        print()
        print(
            f"(b) N concurrent generations, {B_RATE:g} tokens/s each "
            f"(ttft {B_TTFT * 1000:.0f} ms), one SSE client each; "
            "delay = SSE arrival - the fake's write of the token"
        )
        print(
            "       N  ok/N       events  p50 ms  p99 ms  max ms  fake late p99  overlap  "
            "ramp s  wall s  peak RSS  app CPU  fake CPU  client CPU"
        )
        for r in runs:
            p50 = percentile(r.delays_ms, 50) if r.delays_ms else float("nan")
            peak = max(r.delays_ms) if r.delays_ms else float("nan")
            late = percentile(r.fake_late_ms, 99) if r.fake_late_ms else float("nan")
            print(
                f"    {r.n:>4}  {r.ok:>4}/{r.n:<4}  {len(r.delays_ms):>7}  {p50:6.1f}  "
                f"{r.p99:6.1f}  {peak:6.0f}  {late:10.0f} ms  {r.max_overlap:>7}  "
                f"{r.ramp_s:6.1f}  {r.wall_s:6.1f}  {r.rss_mb:5.0f} MB  "
                f"{r.cpu['app']:6.0%}  {r.cpu['fake']:7.0%}  {r.cpu['bench']:9.0%}"
            )
        for r in runs:
            notes = []
            if r.problems:
                notes.append(
                    "problems: " + ", ".join(f"{k} x{v}" for k, v in sorted(r.problems.items()))
                )
            if r.replayed:
                notes.append(f"{r.replayed} events replayed (token written before the SSE GET)")
            if r.widened:
                notes.append(
                    f"OLLAMA_CONCURRENCY/OLLAMA_MAX_QUEUE={r.n}: settings.py caps them at "
                    f"{settings_cap()}, the launcher widened the cap for this run"
                )
            notes.append(f"RSS when ready {r.rss_start_mb:.0f} MB (peak since {r.peak_since})")
            if r.post_ms:
                notes.append(
                    f"POST /generate median {statistics.median(r.post_ms):.0f} ms, "
                    f"p99 {percentile(r.post_ms, 99):.0f} ms ({B_RAMP} at a time)"
                )
            if r.gap:
                notes.append(
                    f"fake min_write_interval {r.gap * 1000:g} ms (tokens reach the app in "
                    "batches: fewer, larger reads than a real Ollama's one write per token)"
                )
            print(f"    N={r.n}: " + "; ".join(notes))
        print(
            "    CPU = share of one core over the run's wall time; 'overlap' = most chat streams "
            "the fake served at once; 'fake late' = the fake's writes behind its own schedule "
            "(not charged to the app)."
        )
        for r in runs:
            rows.append(
                (
                    f"(b) N={r.n}: p99 added delay",
                    f"<= {TARGET_DELAY_P99_MS:g} ms",
                    f"{r.p99:.1f} ms ({r.ok}/{r.n} complete)",
                    r.p99 <= TARGET_DELAY_P99_MS and r.ok == r.n,
                )
            )
            rows.append(
                (
                    f"(b) N={r.n}: peak RSS",
                    f"<= {TARGET_RSS_MB:g} MB",
                    f"{r.rss_mb:.0f} MB",
                    r.rss_mb <= TARGET_RSS_MB,
                )
            )
    if throughput is not None:
        t = throughput
        print()
        print(
            f"(c) one generation at the fake's full speed: {t.tokens} tokens, {t.chars} "
            f"characters (a 3.9k-character description, 40 long steps), median of "
            f"{len(t.app_tps)} rounds"
        )
        if t.app_tps:
            app_tps, raw_tps = statistics.median(t.app_tps), statistics.median(t.raw_tps)
            per_char = t.chars / t.tokens
            print(
                f"    app, seen by an SSE client ({t.app_events} events): {app_tps:9.0f} tokens/s "
                f"(~{app_tps * per_char:,.0f} characters/s)"
            )
            print(
                f"    raw ollama.AsyncClient, same tokens:     {raw_tps:9.0f} tokens/s "
                f"(~{raw_tps * per_char:,.0f} characters/s)"
            )
            print(f"    ratio app/raw: {t.ratio:.2f}")
            rows.append(
                (
                    "(c) full-speed relay / raw",
                    f">= {TARGET_RATIO:g}",
                    f"{t.ratio:.2f}",
                    t.ratio >= TARGET_RATIO and not t.failures,
                )
            )
        if t.failures:
            print(f"    {t.failures} rounds failed")
    print()
    print("== targets ==")
    for label, target, measured, ok in rows:
        print(f"    {label:<32} {target:<12} {measured:<26} {verdict(ok)}")
        if not ok:
            missed.append(label)
    if runs and max(r.n for r in runs) < TARGET_N:
        print(f"    (the {TARGET_N}-stream target was not run: --quick or --sizes)")
    return missed


# --- Main -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="barapp-stream-"))
    try:
        yield root
    finally:
        if keep:
            print(f"logs and databases kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


async def run(args: argparse.Namespace, root: Path) -> list[str]:
    fake = start_fake(root)
    ttft = throughput = None
    runs: list[ConcurrentResult] = []
    try:
        if args.wishes or args.rounds:
            app, _ = start_app(root, "sequential", fake, 4)
            try:
                if args.wishes:
                    print(f"(a) {args.wishes} sequential wishes...", flush=True)
                    ttft = await measure_ttft(app, fake, args.wishes, args.gzip)
                if args.rounds:
                    print(f"(c) {args.rounds} full-speed rounds...", flush=True)
                    throughput = await measure_throughput(app, fake, args.rounds, args.gzip)
            finally:
                app.stop()
        for n in args.sizes:
            print(f"(b) {n} concurrent generations...", flush=True)
            deadline = 45 + n * 0.08
            runs.append(
                await measure_concurrent(root, fake, n, args.write_interval, args.gzip, deadline)
            )
    finally:
        fake.stop()
    return report(ttft, runs, throughput, args.gzip)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=100 only, fewer wishes")
    parser.add_argument(
        "--sizes", help='comma-separated N for (b) (default 100,500,1000; "" skips (b))'
    )
    parser.add_argument("--wishes", type=int, help="sequential wishes for (a) (default 30)")
    parser.add_argument("--rounds", type=int, help="full-speed rounds for (c) (default 3)")
    parser.add_argument(
        "--write-interval",
        type=float,
        default=0.0,
        help="the fake's min_write_interval in (b), seconds (0: one write per token, as Ollama)",
    )
    parser.add_argument(
        "--no-gzip", dest="gzip", action="store_false", help="SSE clients without gzip"
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and databases")
    parser.add_argument("--serve-fake", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake is None:
        default_sizes = "100" if args.quick else "100,500,1000"
        try:
            sizes = default_sizes if args.sizes is None else args.sizes  # "" skips (b)
            args.sizes = [int(s) for s in sizes.split(",") if s.strip()]
        except ValueError:
            parser.error("--sizes must be comma-separated whole numbers")
        if any(not 1 <= n <= 5000 for n in args.sizes):
            parser.error("each N must be from 1 to 5000")
        if args.wishes is None:
            args.wishes = 15 if args.quick else 30
        if args.rounds is None:
            args.rounds = 1 if args.quick else C_ROUNDS
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve_fake is not None:
        serve_fake(args.serve_fake)
        return
    files = raise_open_files()
    largest = max(args.sizes, default=0)
    if files < 3 * largest + 100:
        sys.exit(f"open-files limit {files} is too low for {largest} streams")
    with workspace(args.keep) as root:
        missed = asyncio.run(run(args, root))
    print()
    print("missed: " + ", ".join(missed) if missed else "every target run was met")


if __name__ == "__main__":
    main()
