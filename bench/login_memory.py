"""Login memory benchmark: the app's peak memory while N bartenders log in at once.

    python bench/login_memory.py [--logins 20]

argon2id (argon2-cffi's defaults: 64 MiB, 3 passes) fills 64 MiB for every password it
checks, so the memory logins take is the number of checks running at once times 64 MiB. This
starts one `barapp serve` (SQLite in a temporary folder) with N accounts, makes one warm-up
login, then sends N logins at once (each its own browser: a session cookie and the form's CSRF
token, read from GET /login beforehand) and reads the server's resident memory (VmRSS in
/proc/PID/status, Linux) just before, and its peak (VmHWM, reset just before through
/proc/PID/clear_refs) during the logins: the peak minus the memory before is what they took.

Distinct accounts with their right passwords: the login throttle never refuses them, so
every one of the N logins is an argon2 check.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from barapp.settings import load_settings
from barapp.staff import accounts
from barapp.store import db

PASSWORD = "a long enough password"


def memory_mb(pid: int, field: str) -> float:
    """VmHWM (the peak so far) or VmRSS (now), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


async def make_accounts(env: dict[str, str], count: int) -> None:
    settings = load_settings(env, env_file=None)
    engine = db.make_engine(settings)
    db.use_engine(engine)
    await db.start(engine)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            await db.migrate()
        for i in range(count):
            await accounts.add(f"bartender{i:02d}", PASSWORD)
    finally:
        await db.stop(engine)


async def browser(url: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=url, timeout=120)
    form = (await client.get("/login")).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert match, "no CSRF token on /login"
    return client, match.group(1)


async def log_in(client: httpx.AsyncClient, token: str, name: str) -> int:
    data = {"name": name, "password": PASSWORD, "csrf_token": token, "next": "/bar"}
    return (await client.post("/login", data=data)).status_code


async def run(url: str, pid: int, count: int) -> None:
    client, token = await browser(url)
    assert await log_in(client, token, "bartender00") == 303  # warm-up: the code paths loaded
    await client.aclose()
    browsers = await asyncio.gather(*(browser(url) for _ in range(count)))
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
    before = memory_mb(pid, "VmRSS")
    started = time.perf_counter()
    codes = await asyncio.gather(
        *(log_in(c, t, f"bartender{i:02d}") for i, (c, t) in enumerate(browsers))
    )
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.5)
    peak, now = memory_mb(pid, "VmHWM"), memory_mb(pid, "VmRSS")
    for c, _ in browsers:
        await c.aclose()
    print(f"{count} logins at once: {codes.count(303)}/{count} logged in in {elapsed:.2f} s")
    print(f"RSS before: {before:.0f} MB, peak during: {peak:.0f} MB (+{peak - before:.0f} MB)")
    print(f"RSS once done: {now:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logins", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="barapp-login-bench-") as home:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{home}/bench.sqlite3",
            "MEDIA_DIR": f"{home}/media",
            "SECRET_KEY": "bench-secret-key-0123456789",
            "OLLAMA_HOST": "http://127.0.0.1:9",
        }
        asyncio.run(make_accounts(env, args.logins))
        port = 18000 + os.getpid() % 1000
        server = subprocess.Popen(
            [sys.executable, "-m", "barapp", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("barapp serve did not start")
                time.sleep(0.2)
            asyncio.run(run(url, server.pid, args.logins))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
