"""Shared fixtures. The test environment is set before anything from barapp is imported, so no
test ever reads a developer's `.env` or touches ./data/."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_TEST_HOME = tempfile.mkdtemp(prefix="barapp-tests-")
os.environ.update(
    {
        "DATABASE_URL": f"sqlite:///{_TEST_HOME}/default.sqlite3",
        "MEDIA_DIR": f"{_TEST_HOME}/media",
        "SECRET_KEY": "test-secret-key-0123456789",
        # Port 9 (discard) refuses connections: Ollama is "down" unless a test starts a fake.
        "OLLAMA_HOST": "http://127.0.0.1:9",
    }
)

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402

from barapp.app import create_app  # noqa: E402
from barapp.settings import Settings, load_settings  # noqa: E402
from barapp.store import db  # noqa: E402
from barapp.web import sessions  # noqa: E402

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def _postgres_required() -> bool:
    # CI must prove the PostgreSQL half of the suite; a laptop without PostgreSQL may skip it.
    return bool(os.environ.get("CI") or os.environ.get("BARAPP_REQUIRE_POSTGRES"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this test session's own on the server of TEST_POSTGRES_URL, so that two
    test runs on one machine (a developer and CI, say) never drop each other's tables."""
    own_name = f"barapp_test_{os.getpid()}"
    own_url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{own_name}"))

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {own_name}"))
        asyncio.run(admin(f"CREATE DATABASE {own_name}"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL is not usable at {POSTGRES_URL}: {exc}"
        if _postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    yield own_url
    asyncio.run(admin(f"DROP DATABASE IF EXISTS {own_name} WITH (FORCE)"))


def make_settings(url: str, tmp_path: Path, **env: str) -> Settings:
    return load_settings(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "test-secret-key-0123456789",
            "MEDIA_DIR": str(tmp_path / "media"),
            "OLLAMA_HOST": "http://127.0.0.1:9",
            **env,
        },
        env_file=None,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return make_settings(f"sqlite:///{tmp_path}/barapp.sqlite3", tmp_path)
    return make_settings(request.getfixturevalue("postgres_url"), tmp_path)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return make_settings(f"sqlite:///{tmp_path}/barapp.sqlite3", tmp_path)


async def prepare_database(settings: Settings, up_to: str = "all") -> None:
    """An empty database with the real migrations applied (or those up to `up_to`)."""
    if settings.is_postgres:
        conn = await asyncpg.connect(settings.database_url)
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            await conn.close()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.sqlite_path}{suffix}").unlink(missing_ok=True)
    db.use_engine(db.make_engine(settings))
    with contextlib.redirect_stdout(io.StringIO()):
        await db.migrate(up_to)


@pytest.fixture
async def database(settings: Settings) -> Settings:
    await prepare_database(settings)
    return settings


def app_client(
    app: Any,
    lang: str = "en",
    base_url: str = "http://testserver",
    csrf: bool = True,
    address: str = "127.0.0.1",
) -> httpx.AsyncClient:
    """An HTTP client for `app` in the test's own event loop (Litestar's test client runs the
    app in another thread's loop, where a PostgreSQL connection made here could not be used).
    No lifespan: queries open their own connections, as they do before the pool starts.

    Like a browser on one of our pages, it has a session cookie and sends the CSRF token that
    goes with it (recomputed when a login changes the cookie); `csrf=False` sends none.
    `address` is the client's address as the server sees it (a guest elsewhere, an attacker)."""
    secret = app.state.settings.secret_key
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 123)),
        base_url=base_url,
        headers={"accept-language": lang},
    )
    # Stored as the server's own Set-Cookie would be (the cookie jar files a dotless host under
    # "<host>.local"), so that a login's new token replaces it instead of sitting beside it.
    host = urlsplit(base_url).hostname or ""
    client.cookies.set(sessions.COOKIE, sessions.new_token(), domain=f"{host}.local", path="/")

    async def add_csrf(request: httpx.Request) -> None:
        token = client.cookies.get(sessions.COOKIE)
        if csrf and token and sessions.CSRF_HEADER not in request.headers:
            request.headers[sessions.CSRF_HEADER] = sessions.csrf_token(secret, token)

    client.event_hooks["request"].append(add_csrf)
    return client


PASSWORD = "correct horse battery"


async def log_in(
    client: httpx.AsyncClient, name: str = "marie", password: str = PASSWORD
) -> httpx.Response:
    """A bartender's login through the form; the client keeps the new session cookie."""
    return await client.post("/login", data={"name": name, "password": password, "next": "/bar"})


@pytest.fixture
async def app(database: Settings) -> Any:
    """The app on a fresh database with one bartender account, "marie"."""
    from barapp.staff import accounts

    await accounts.add("marie", PASSWORD)
    return create_app(database)


@pytest.fixture
async def guest(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as client:
        yield client


@pytest.fixture
async def bartender(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app) as client:
        response = await log_in(client)
        assert response.status_code == 303, response.text
        yield client


@pytest.fixture
async def client(database: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(database)) as http:
        yield http


@pytest.fixture
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS


from tests.fake_ollama import FakeOllama  # noqa: E402


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A fake Ollama server (tests/fake_ollama.py) on a free port of 127.0.0.1, "ok" scenario.
    Point the app at `fake_ollama.url` (OLLAMA_HOST); script it with
    `fake_ollama.set_scenario("invalid_json", "ok")`; assert on `fake_ollama.last_chat.body`."""
    with FakeOllama() as fake:
        yield fake


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    from tests.browsing import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []
