"""Two real `barapp serve` processes on one database: each recovers only what a dead process
left, never what another live process is running (store/leases.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from barapp.web import sessions
from tests.conftest import POSTGRES_URL
from tests.fake_ollama import FakeOllama, Scenario
from tests.serving import server

SECRET = "test-secret-key-0123456789"
LEASE = 1.5
# A wish takes more than a minute at this pace: it is still running when the test ends.
SLOW = Scenario(ttft=0.2, tokens_per_second=5)


def start_wish(url: str) -> str:
    token = sessions.new_token()
    response = httpx.post(
        f"{url}/generate",
        data={"wish": "something slow with gin", "model": "llama3.1:8b"},
        headers={"HX-Request": "true", sessions.CSRF_HEADER: sessions.csrf_token(SECRET, token)},
        cookies={sessions.COOKIE: token},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    match = re.search(r'sse-connect="/generations/([0-9a-f-]{36})/events"', response.text)
    assert match, response.text
    return match.group(1)


Reader = Callable[[str], tuple[str, str, str]]


def wait_for(read: Reader, gen_id: str, status: str, timeout: float = 20) -> tuple[str, str, str]:
    deadline = time.monotonic() + timeout
    while (row := read(gen_id))[0] != status:
        assert time.monotonic() < deadline, f"{gen_id} is still {row}, not {status}"
        time.sleep(0.1)
    return row


@pytest.fixture(params=["sqlite", "postgres"])
def shared_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, str], Reader]]:
    """The environment of the two processes, with a database of this test's own, and a reader
    of one generation's (status, reason, detail) straight from it."""
    env = {
        **os.environ,
        "SECRET_KEY": SECRET,
        "MEDIA_DIR": str(tmp_path / "media"),
        "LEASE_SECONDS": str(LEASE),
    }
    if request.param == "sqlite":
        path = tmp_path / "shared.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{path}"
        subprocess.run([sys.executable, "-m", "barapp", "migrate"], env=env, check=True)

        def read_sqlite(gen_id: str) -> tuple[str, str, str]:
            with contextlib.closing(sqlite3.connect(path)) as conn:
                query = "SELECT status, reason, detail FROM generation WHERE id = ?"
                status, reason, detail = conn.execute(query, (gen_id,)).fetchone()
            return status, reason, detail

        yield env, read_sqlite
        return
    request.getfixturevalue("postgres_url")  # the server is there (or the test is skipped)
    name = f"barapp_test_{os.getpid()}_processes"
    url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def read_postgres(gen_id: str) -> tuple[str, str, str]:
        conn = await asyncpg.connect(url)
        try:
            query = "SELECT status, reason, detail FROM generation WHERE id = $1"
            row = await conn.fetchrow(query, gen_id)
        finally:
            await conn.close()
        return row["status"], row["reason"], row["detail"]

    asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    asyncio.run(admin(f"CREATE DATABASE {name}"))
    env["DATABASE_URL"] = url
    try:
        subprocess.run([sys.executable, "-m", "barapp", "migrate"], env=env, check=True)
        yield env, lambda gen_id: asyncio.run(read_postgres(gen_id))
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_a_process_recovers_only_the_wishes_of_a_dead_one(
    shared_database: tuple[dict[str, str], Reader],
) -> None:
    env, read = shared_database
    with FakeOllama(SLOW, models=["llama3.1:8b"]) as fake:
        env = {**env, "OLLAMA_HOST": fake.host}
        with server(env) as (a, url_a):
            wish_a = start_wish(url_a)
            assert read(wish_a)[0] == "queued"
            with server(env) as (b, url_b):
                # B's start-up, and B's sweeps for twice the lease, leave A's running wish alone.
                time.sleep(2 * LEASE)
                assert read(wish_a) == ("queued", "", "")
                wish_b = start_wish(url_b)
                a.send_signal(signal.SIGKILL)
                a.wait(timeout=10)
                killed = time.monotonic()
                # A's lease runs out: B says what today's start-up said of a crash.
                assert wait_for(read, wish_a, "interrupted") == (
                    "interrupted",
                    "interrupted",
                    "the app stopped",
                )
                assert time.monotonic() - killed < 4 * LEASE
                # B's own wish goes on, across more of B's sweeps.
                time.sleep(2 * LEASE)
                assert read(wish_b) == ("queued", "", "")
                assert b.poll() is None
            # B's clean shutdown still records its own wish as interrupted.
            assert read(wish_b) == ("interrupted", "interrupted", "")
