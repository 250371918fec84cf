"""`barapp serve` in a subprocess for the tests that need a real server: a free port, and a
server that is ready once /healthz answers (its start-up, migrations included, is over)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(
    env: dict[str, str],
    log: IO[Any] | int = subprocess.DEVNULL,
    command: Sequence[str | Path] = (sys.executable, "-m", "barapp", "serve"),
    cwd: Path | None = None,
    start_seconds: float = 30,
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The server process and its URL. Its log (uvicorn's, on stderr) goes to `log`."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=env, cwd=cwd, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"barapp serve did not start (exit status {process.poll()})")
            time.sleep(0.2)
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def serve(env: dict[str, str], log: IO[Any] | int = subprocess.DEVNULL) -> Iterator[str]:
    """The URL of `barapp serve` run from this checkout's environment."""
    with server(env, log) as (_, url):
        yield url


HOUSE_MENU = Path(__file__).resolve().parents[1] / "examples" / "house-menu.json"


def bar_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a test bar kept under `home`: its own SQLite file and media folder,
    English by default, and any other settings (BAR_NAME="Le Zinc", OLLAMA_HOST=...)."""
    import os

    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home}/bar.sqlite3",
        "MEDIA_DIR": str(home / "media"),
        "DEFAULT_LANGUAGE": "en",
        **settings,
    }


def barapp(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    """One `barapp` command for a test bar (import, bartender add...), which must succeed."""
    subprocess.run(
        [sys.executable, "-m", "barapp", *args],
        input=stdin,
        text=True,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )


def stocked_bar(env: dict[str, str], password: str) -> None:
    """The house menu in the bar and one bartender, "marie", with `password`."""
    barapp(env, "import", str(HOUSE_MENU))
    barapp(env, "bartender", "add", "marie", stdin=password + "\n")
