"""What the fake servers share: a hand-written ASGI app served by uvicorn in a background
thread with its own event loop, on a socket bound before the thread starts (so `port=0` gets a
free port that is known at once), started and stopped like the real server would be."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn


class ThreadedServer:
    """Base of FakeOllama and FakeImageServer. A subclass sets `bind_host`, `port`,
    `log_level`, `access_log` and `_thread = _server = _loop = _sock = None` in its
    `__init__`, and provides `_make_app()` (an ASGI app with a `begin_shutdown()` that drops
    the requests in progress)."""

    label = "fake server"
    backlog = 2048
    bind_host: str
    port: int
    log_level: str
    access_log: bool
    _app: Any
    _thread: threading.Thread | None
    _server: uvicorn.Server | None
    _loop: asyncio.AbstractEventLoop | None
    _sock: socket.socket | None

    def _make_app(self) -> Any:
        raise NotImplementedError

    def _prepare_loop(self) -> None:
        """Called in the server's own loop before it serves (for loop-bound objects)."""

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
        self._app = self._make_app()
        config = uvicorn.Config(
            self._app,
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
            self._prepare_loop()
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
                loop.call_soon_threadsafe(self._app.begin_shutdown)
        server.should_exit = True
        thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self._thread = self._server = self._loop = self._sock = None

    @property
    def running(self) -> bool:
        return self._thread is not None

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
