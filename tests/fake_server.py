"""What the fake servers share: a hand-written ASGI app served by uvicorn in a background
thread with its own event loop, on a socket bound before the thread starts (so `port=0` gets a
free port that is known at once), started and stopped like the real server would be; the
requests it records; the scenarios that script its answers (a queue, then a standing one),
switched from the test or over HTTP at `/_fake/scenario`; and the command line's main loop."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Self

import uvicorn

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


def pick(presets: dict[str, Any], spec: Any, **changes: Any) -> Any:
    """A preset by name (or a scenario as is), with fields replaced."""
    if isinstance(spec, str):
        if spec not in presets:
            raise ValueError(f"unknown scenario {spec!r}; presets: {', '.join(presets)}")
        spec = presets[spec]
    return dataclasses.replace(spec, **changes) if changes else spec


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
    scenario: str | None = None
    """The scenario that answered (chat and generation requests)."""
    status: int | None = None
    """The status sent (None while none was, or when the connection was dropped)."""
    content: str | None = None
    """Fake Ollama: the whole text generated for this chat (before any cut)."""
    api: str | None = None
    """Fake image server: the API of a generation request."""
    prompt: str | None = None
    """Fake image server: the prompt the picture was drawn from."""


class Exchange:
    """One request in flight: its record, and how to answer it or drop it."""

    def __init__(self, scope: dict[str, Any], raw: bytes, receive: Receive, send: Send) -> None:
        self.method, self.path = scope["method"], scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        self.body: Any = None
        with contextlib.suppress(ValueError):  # not JSON, or not UTF-8
            self.body = json.loads(raw) if raw else None
        self.record = RecordedRequest(self.method, self.path, headers, raw, self.body)
        self.receive, self.send = receive, send
        self.abort = asyncio.Event()
        """Set when the client leaves or the server stops."""
        self.gone = False
        self.started = self.finished = False

    @property
    def headers(self) -> dict[str, str]:
        return self.record.headers

    async def start(self, status: int, ctype: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        self.record.status, self.started = status, True
        raw = [(b"content-type", ctype.encode()), *((k.encode(), v.encode()) for k, v in headers)]
        await self.send({"type": "http.response.start", "status": status, "headers": raw})

    async def write(self, data: bytes, last: bool = False) -> None:
        self.finished = last
        await self.send({"type": "http.response.body", "body": data, "more_body": not last})

    async def respond(self, status: int, data: bytes, ctype: str = "application/json") -> None:
        await self.start(status, ctype, [("content-length", str(len(data)))])
        await self.write(data, last=True)

    async def json(self, status: int, value: Any) -> None:
        await self.respond(status, json.dumps(value, separators=(",", ":")).encode())

    async def wait(self, work: Awaitable[Any] | None) -> bool:
        """Await `work` (None: nothing, for ever) unless the client leaves or the server stops
        first; True when the work completed."""
        if self.abort.is_set():
            return False
        if work is None:
            await self.abort.wait()
            return False
        task, stop = asyncio.ensure_future(work), asyncio.ensure_future(self.abort.wait())
        await asyncio.wait((task, stop), return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if task.done():
            return True
        task.cancel()
        return False

    async def sleep(self, seconds: float) -> bool:
        return await self.wait(asyncio.sleep(seconds)) if seconds > 0 else not self.abort.is_set()

    async def drop(self) -> None:
        """Close the connection without finishing the answer, as a killed server does."""
        self.finished = True
        transport = getattr(getattr(self.send, "__self__", None), "transport", None)
        if transport is None:
            raise ConnectionAbortedError("the fake server drops the connection")
        transport.abort()
        # Let uvicorn see connection_lost first, so that it neither logs nor answers a 500.
        for _ in range(100):
            if self.gone:
                break
            await asyncio.sleep(0.01)

    async def watch(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.gone = True
        self.abort.set()


class ThreadedServer:
    """Base of FakeOllama and FakeImageServer, which set `presets` (name -> scenario, a frozen
    dataclass with a `name`) and answer in `handle()`.

    `scenario` is a preset name, a scenario, or a sequence of them: consecutive scripted
    requests take them in order, then the last one answers all the next ones."""

    label = "fake server"
    backlog = 2048
    presets: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        scenario: Any = "ok",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
        log_level: str = "warning",
        access_log: bool = False,
    ) -> None:
        self.bind_host, self.port = host, port
        self.record, self.log_level, self.access_log = record, log_level, access_log
        self.requests: list[RecordedRequest] = []
        self.active = 0
        """Scripted requests in progress now."""
        self.max_active = 0
        """The most scripted requests in progress at once."""
        self._lock = threading.Lock()
        self._queue: deque[Any] = deque()
        self._standing: Any = None
        self._inflight: set[Exchange] = set()
        self.set_scenario(*(scenario if isinstance(scenario, list | tuple) else [scenario]))
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.bind_host}:{self.port}"

    # --- scenarios -------------------------------------------------------------------------

    @property
    def scenario(self) -> Any:
        """The scenario answering when nothing is queued."""
        return self._standing

    def set_scenario(self, *scenarios: Any, **changes: Any) -> None:
        """Answer the next scripted requests with these in order; the last one stays. Keyword
        arguments replace fields of every one (e.g. tokens_per_second=30)."""
        if not scenarios:
            raise ValueError("set_scenario needs at least one scenario")
        resolved = [pick(self.presets, s, **changes) for s in scenarios]
        with self._lock:
            self._queue, self._standing = deque(resolved[:-1]), resolved[-1]

    def next_scenario(self, consume: bool = True) -> Any:
        with self._lock:
            return self._queue.popleft() if consume and self._queue else self._standing

    def describe(self) -> dict[str, Any]:
        with self._lock:
            queued, standing = [s.name for s in self._queue], self._standing
        fields = {k: v for k, v in vars(standing).items() if isinstance(v, int | float | str)}
        return {**fields, "scenario": standing.name, "queued": queued, "active": self.active,
                "max_active": self.max_active}  # fmt: skip

    async def _control(self, ex: Exchange) -> None:
        """GET: the state; POST {"scenario": name or [names], **changes}: switch scenarios."""
        if ex.method == "POST":
            body = dict(ex.body) if isinstance(ex.body, dict) else {}
            names = body.pop("scenario", "ok")
            try:
                self.set_scenario(*([names] if isinstance(names, str) else names), **body)
            except (TypeError, ValueError) as exc:
                return await ex.json(400, {"error": str(exc)})
        return await ex.json(200, self.describe())

    # --- records ---------------------------------------------------------------------------

    def _record(self, record: RecordedRequest) -> None:
        if self.record:
            self.requests.append(record)

    def clear(self) -> None:
        """Forget recorded requests and counters (not the scenario)."""
        self.requests.clear()
        self.max_active = self.active

    def reset(self, scenario: Any = "ok") -> None:
        """Fresh state between tests: records cleared, scenario set."""
        self.clear()
        self.set_scenario(scenario)

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            yield
        finally:
            self.active -= 1

    # --- the ASGI app ----------------------------------------------------------------------

    async def handle(self, ex: Exchange) -> None:
        raise NotImplementedError

    async def _asgi(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
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
        ex = Exchange(scope, b"".join(chunks), receive, send)
        self._record(ex.record)
        watcher = asyncio.create_task(ex.watch())
        self._inflight.add(ex)
        try:
            if ex.path == "/_fake/scenario":
                await self._control(ex)
            else:
                await self.handle(ex)
            if not ex.finished and not ex.gone:  # the server stops, or a scripted hang ended
                await ex.drop()
        finally:
            self._inflight.discard(ex)
            watcher.cancel()

    def _begin_shutdown(self) -> None:
        for ex in list(self._inflight):
            ex.abort.set()

    # --- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Self:
        if self._thread is not None:
            raise RuntimeError(f"{self.label} is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.bind_host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(self.backlog)
        sock.setblocking(False)
        self._sock, self.port = sock, sock.getsockname()[1]
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",
            log_config=None,
            log_level=self.log_level,
            access_log=self.access_log,
            lifespan="off",
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=3,
            timeout_keep_alive=30,
            backlog=self.backlog,
        )
        server = self._server = uvicorn.Server(config)
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(server.serve(sockets=[sock]))
            except BaseException as exc:
                failure.append(exc)
            finally:
                loop.close()

        name = f"{self.label.replace(' ', '-')}-{self.port}"
        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if failure or not self._thread.is_alive() or time.monotonic() > deadline:
                self._thread = None
                sock.close()
                raise RuntimeError(f"{self.label} did not start: {failure or 'timeout'}")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop like a killed server: requests in progress lose their connection, then
        connections are refused."""
        thread, server, loop = self._thread, self._server, self._loop
        if thread is None or server is None:
            return
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._begin_shutdown)
        server.should_exit = True
        thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._thread = self._server = self._loop = self._sock = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


def serve_until_signal(fake: ThreadedServer, banner: Callable[[], Sequence[str]]) -> int:
    """The command line's main loop: start, print the banner (once the port is known), stop on
    Ctrl-C or SIGTERM."""
    try:
        fake.start()
    except OSError as exc:
        print(f"cannot listen on {fake.bind_host}:{fake.port}: {exc}", file=sys.stderr)
        return 1
    title = fake.label[:1].upper() + fake.label[1:]
    print(f"{title} listening on {fake.url}", flush=True)
    for line in banner():
        print(line)
    print("Ctrl-C stops.", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(0.5)
    fake.stop()
    print(f"{title} stopped.", flush=True)
    return 0
