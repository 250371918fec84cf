"""Gallery benchmark: fill a database with many cocktails, serve it, time the gallery over HTTP.

    python bench/gallery.py [--db sqlite|postgres|both] [--rows 100000] [--requests 200]
                            [--postgres-url postgresql://postgres@127.0.0.1:5432/barapp_bench]

For each engine: a fresh database (SQLite in a temporary folder; PostgreSQL in a dedicated
database that is dropped and recreated, never the test-suite's), migrated by `barapp migrate`,
filled in bulk with varied cocktails built through `barapp.cocktails.model` (their derived
strength, allergens and ingredient keys with them) and a shelf of most of their ingredients,
then served by one `barapp serve` process on 127.0.0.1. Each gallery query (the shelf's
filters too: makeable now, light, without egg and nuts, the strength sort) is timed one request
at a time (median, p95), then with a few concurrent clients (requests/s). Every response must
be a 200 with a full page of cards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from barapp.cocktails.gallery import PAGE_SIZE, encode_cursor
from barapp.cocktails.model import parse_record, slugify, to_row
from barapp.shelf import knowledge
from barapp.store.tables import Cocktail

TARGET_MEDIAN_MS = 30.0
TARGET_P95_MS = 60.0
CONCURRENCY = 4
DEEP_OFFSET = 50_000
BATCH = 5_000
SEED = 20261124
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/barapp_bench"
PROTECTED_DATABASES = {"postgres", "test", "template0", "template1"}
COLUMNS = [column._meta.db_column_name for column in Cocktail._meta.columns]
JSON_COLUMNS = {"ingredients", "steps", "strength_unknown", "ingredient_keys"}
CARD = '<li class="card">'
MORE_LINK = re.compile(r'<li class="more" hx-get="([^"]+)"')
CARD_LINK = re.compile(r'<a class="card-link" href="/cocktails/([0-9a-f-]+)"')

# --- The cocktails --------------------------------------------------------------------------

ADJECTIVES = [
    "Golden", "Midnight", "Velvet", "Smoky", "Crimson", "Silent", "Electric", "Wild", "Frozen",
    "Gentle", "Bitter", "Rusty", "Lazy", "Royal", "Hidden", "Burning", "Pale", "Lucky", "Salty",
    "Tropical", "Autumn", "Crème", "Été", "Fleur", "Vieux", "Petit", "Doux", "Sauvage", "Noir",
    "Blanc", "Rosé", "Éternel", "Brûlé", "Amer", "Céleste", "Dorée", "Sombre", "Léger", "Neon",
    "Copper",
]  # fmt: skip
NOUNS = [
    "Sunset", "Harbor", "Mule", "Fizz", "Sour", "Daisy", "Sling", "Tide", "Orchard", "Garden",
    "Ember", "Lantern", "Compass", "Voyage", "Paloma", "Breeze", "Storm", "Meadow", "Riviera",
    "Château", "Jardin", "Soirée", "Rêve", "Nuit", "Étoile", "Mirage", "Comète", "Lagune",
    "Orage", "Éclat", "Highball", "Collins", "Julep", "Spritz", "Cobbler", "Flip", "Smash",
    "Rickey", "Toddy", "Punch",
]  # fmt: skip
SUFFIXES = [
    "", "", "", "", "No. 2", "Royale", "Deluxe", "de Minuit", "du Port", "Express", "Reserve",
    "à la Française", "Twist", "Special", "Noir", "Spritz",
]  # fmt: skip
# Common ingredients; "basil" (a few percent of cocktails) and "yuzu" (rare) are added apart so
# that the searches below match a known share of the rows.
INGREDIENTS = [
    "gin", "vodka", "white rum", "dark rum", "tequila", "mezcal", "bourbon", "rye whiskey",
    "scotch", "cognac", "calvados", "pisco", "cachaça", "Lillet blanc", "dry vermouth",
    "sweet vermouth", "Campari", "Aperol", "Chartreuse", "crème de cassis", "triple sec",
    "Cointreau", "amaretto", "Kahlúa", "absinthe", "elderflower liqueur", "maraschino",
    "Angostura bitters", "orange bitters", "prosecco", "champagne", "lime juice", "lemon juice",
    "orange juice", "grapefruit juice", "pineapple juice", "cranberry juice", "apple juice",
    "passion fruit purée", "simple syrup", "honey syrup", "agave syrup", "grenadine",
    "orgeat", "ginger beer", "tonic water", "soda water", "cola", "espresso", "coconut cream",
    "egg white", "mint", "cucumber", "rosemary", "thyme", "raspberries", "strawberries",
    "jalapeño", "sea salt", "pêche de vigne",
]  # fmt: skip
# The bar's shelf: every ingredient above in stock but these (about a third of the cocktails
# can be made now), so "makeable now" tests most rows it walks, as a real bar's would.
OFF_THE_SHELF = [
    "mezcal", "rye whiskey", "calvados", "pisco", "cachaça", "Chartreuse", "absinthe",
    "elderflower liqueur", "maraschino", "passion fruit purée", "espresso", "jalapeño",
    "pêche de vigne", "yuzu",
]  # fmt: skip
UNITS = ["cl", "cl", "cl", "ml", "dash", "barspoon", "leaves", "slices", ""]
GLASSES = ["coupe", "highball", "rocks", "Nick & Nora", "martini", "flute", "copper mug", "tiki"]
GARNISHES = [
    "lime wheel", "orange twist", "lemon peel", "mint sprig", "cherry", "rosemary sprig",
    "cucumber ribbon", "grated nutmeg", "salt rim", "dehydrated orange", "",
]  # fmt: skip
TASTES = ["bright", "bittersweet", "smoky", "silky", "tart", "herbal", "floral", "spicy", "rich"]
MOODS = [
    "for a warm terrace evening", "that tastes like the seaside", "built for late conversations",
    "with a long, dry finish", "for those who like it bold", "to open the night",
    "pour finir la soirée en douceur", "comme un souvenir d'été", "qui réveille les papilles",
]  # fmt: skip
STEPS = [
    "Chill the glass.", "Shake hard with ice for 12 seconds.", "Stir with ice until cold.",
    "Double strain into the glass.", "Muddle gently in the shaker.", "Top up and stir once.",
    "Build over fresh ice.", "Express the peel over the drink.", "Garnish and serve at once.",
]  # fmt: skip
SONGS = [
    ("So What", "Miles Davis"), ("La Mer", "Charles Trenet"), ("Harvest Moon", "Neil Young"),
    ("Dreams", "Fleetwood Mac"), ("Nightcall", "Kavinsky"), ("Sway", "Dean Martin"),
    ("Get Lucky", "Daft Punk"), ("Feeling Good", "Nina Simone"), ("", ""),
]  # fmt: skip
MODELS = ["llama3.1:8b", "mistral:7b", "gemma2:9b", "qwen2.5:7b", "phi3:mini", "llama3.2:3b"]
MODEL_WEIGHTS = [30, 20, 15, 15, 10, 10]
FILTERED_MODEL = "gemma2:9b"
SPAN = timedelta(days=730)


def random_ingredients(rng: random.Random) -> list[dict[str, Any]]:
    names = rng.sample(INGREDIENTS, rng.randint(3, 6))
    if rng.random() < 0.04:
        names[rng.randrange(len(names))] = "basil"
    if rng.random() < 0.0005:
        names[rng.randrange(len(names))] = "yuzu"
    ingredients = []
    for name in names:
        amount = rng.choice([None, 0.5, 1, 1.5, 2, 3, 4, 5, 6])
        ingredients.append(
            {"name": name, "amount": amount, "unit": rng.choice(UNITS) if amount else ""}
        )
    return ingredients


def random_document(rng: random.Random) -> dict[str, Any]:
    """One cocktail in the import/export format (see barapp.cocktails.model.CocktailRecord)."""
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(SUFFIXES)}".strip()
    ingredients = random_ingredients(rng)
    first, second = ingredients[0]["name"], ingredients[1]["name"]
    title, artist = rng.choice(SONGS)
    alcoholic = rng.random() < 0.8
    return {
        "name": name,
        "description": f"A {rng.choice(TASTES)} {'' if alcoholic else 'alcohol-free '}drink "
        f"of {first} and {second}, {rng.choice(MOODS)}.",
        "ingredients": ingredients,
        "steps": rng.sample(STEPS, rng.randint(2, 4)),
        "glass": rng.choice(GLASSES),
        "garnish": rng.choice(GARNISHES),
        "alcoholic": alcoholic,
        "music": {"title": title, "artist": artist},
        "image_prompt": f"{name} in a {rng.choice(GLASSES)} glass, studio light",
        "image": {"status": "ready", "file": f"{rng.getrandbits(64):016x}.webp"}
        if rng.random() < 0.7
        else {},
        "llm_model": "" if rng.random() < 0.05 else rng.choices(MODELS, MODEL_WEIGHTS)[0],
        "wish": f"something {rng.choice(TASTES)} with {first}",
        "language": rng.choice(["fr", "en"]),
        "visibility": rng.choices(["visible", "hidden", "pending"], [95, 3, 2])[0],
    }


def build_rows(count: int) -> list[dict[str, Any]]:
    """`count` Cocktail rows, through the same parse_record/to_row path as `barapp import`."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        record = parse_record(random_document(rng))
        row = to_row(record)
        row["id"] = uuid.UUID(int=rng.getrandbits(128), version=4)
        row["slug"] = f"{slugify(record.name)}-{index}"
        row["created_at"] = now - SPAN * rng.random()
        for column in Cocktail._meta.columns:  # the columns a cocktail's import leaves to the table
            row.setdefault(column._meta.db_column_name, column.get_default_value())
        rows.append(row)
    return rows


# --- Filling the databases --------------------------------------------------------------------


def shelf_rows() -> list[tuple[str, str, str, bool]]:
    """(id, key, name, in stock) of the bar's shelf: each bench ingredient once, by its key."""
    keys: dict[str, tuple[str, bool]] = {}
    for name in [*INGREDIENTS, "basil", "yuzu"]:
        key = knowledge.key_of(name)
        in_stock = name not in OFF_THE_SHELF and keys.get(key, ("", True))[1]
        keys[key] = (name, in_stock)
    return [(str(uuid.uuid4()), key, name, stocked) for key, (name, stocked) in keys.items()]


SHELF_INSERT = (
    "INSERT INTO shelf_item (id, key, name_en, name_fr, custom, in_stock) "
    "VALUES ({}, {}, {}, {}, {}, {})"
)


def fill_shelf_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.executemany(
                SHELF_INSERT.format(*"??????"),
                [
                    (ident, key, name, name, key.startswith(knowledge.CUSTOM), stocked)
                    for ident, key, name, stocked in shelf_rows()
                ],
            )
    finally:
        conn.close()


async def fill_shelf_postgres(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.executemany(
            SHELF_INSERT.format("$1::uuid", "$2", "$3", "$4", "$5", "$6"),
            [
                (ident, key, name, name, key.startswith(knowledge.CUSTOM), stocked)
                for ident, key, name, stocked in shelf_rows()
            ],
        )
    finally:
        await conn.close()


def sqlite_values(row: dict[str, Any]) -> tuple[Any, ...]:
    """The row as Piccolo's SQLite adapters store it (UUID and timestamps as text, UTC)."""
    values = []
    for column in COLUMNS:
        value = row[column]
        if column in JSON_COLUMNS:
            value = json.dumps(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime):
            value = str(value.astimezone(UTC))
        values.append(value)
    return tuple(values)


def fill_sqlite(path: Path, rows: list[dict[str, Any]]) -> None:
    insert = f"INSERT INTO cocktail ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    conn = sqlite3.connect(path)
    try:
        for start in range(0, len(rows), BATCH):
            with conn:  # one transaction per batch
                conn.executemany(insert, map(sqlite_values, rows[start : start + BATCH]))
    finally:
        conn.close()


def admin_url(url: str) -> tuple[str, str]:
    """The URL of the server's `postgres` database, and the name of the benchmark database."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in PROTECTED_DATABASES:
        sys.exit(f"refusing to drop database {name!r}: give a dedicated one, e.g. barapp_bench")
    return urlunsplit(parts._replace(path="/postgres")), name


async def recreate_postgres(url: str) -> None:
    admin, name = admin_url(url)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_postgres(url: str) -> None:
    admin, name = admin_url(url)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def fill_postgres(url: str, rows: list[dict[str, Any]]) -> None:
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for start in range(0, len(rows), BATCH):
                records = [
                    tuple(json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in COLUMNS)
                    for row in rows[start : start + BATCH]
                ]
                await conn.copy_records_to_table("cocktail", records=records, columns=COLUMNS)
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        await conn.execute("VACUUM ANALYZE cocktail")
    finally:
        await conn.close()


# --- The deep-page cursor ---------------------------------------------------------------------

DEEP_ROWS_SQL = (
    "SELECT id, created_at FROM cocktail WHERE visibility = 'visible' "
    "ORDER BY created_at DESC, id DESC LIMIT 2 OFFSET {offset}"
)


def deep_rows_sqlite(path: Path, offset: int) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    try:
        found = conn.execute(DEEP_ROWS_SQL.format(offset=offset - 1)).fetchall()
    finally:
        conn.close()
    return [{"id": uuid.UUID(i), "created_at": datetime.fromisoformat(at)} for i, at in found]


async def deep_rows_postgres(url: str, offset: int) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url)
    try:
        found = await conn.fetch(DEEP_ROWS_SQL.format(offset=offset - 1))
    finally:
        await conn.close()
    return [dict(row) for row in found]


async def count_visible_postgres(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM cocktail WHERE visibility = 'visible'"
        )
    finally:
        await conn.close()
    return count


def count_visible_sqlite(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        count: int = conn.execute(
            "SELECT count(*) FROM cocktail WHERE visibility = 'visible'"
        ).fetchone()[0]
    finally:
        conn.close()
    return count


# --- The server -------------------------------------------------------------------------------


def server_env(database_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"OLLAMA_MODELS"}}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret-key-not-for-production",
        MEDIA_DIR=str(workdir / "media"),
        # Nothing listens there: /healthz reports Ollama down at once, no traffic leaves.
        OLLAMA_HOST="http://127.0.0.1:9",
        IMAGE_GEN_ENABLED="false",
        DEFAULT_LANGUAGE="en",
    )
    return env


def barapp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "barapp", *args]


def migrate(env: dict[str, str], workdir: Path) -> None:
    done = subprocess.run(
        barapp_command("migrate"), env=env, cwd=workdir, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"barapp migrate failed:\n{done.stdout}\n{done.stderr}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def running_server(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """One `barapp serve` on 127.0.0.1, up and healthy; always stopped on the way out."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            barapp_command("serve", "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            cwd=workdir,  # no stray .env from the checkout
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(base_url, server, log_path)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_healthy(base_url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"barapp serve exited ({server.returncode}):\n{log_path.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    sys.exit(f"barapp serve did not become healthy in 60 s:\n{log_path.read_text()}")


# --- Measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    label: str
    path: str
    htmx: bool = False
    first_card: str = ""  # the id the first card must have, when known

    @property
    def headers(self) -> dict[str, str]:
        return {"HX-Request": "true"} if self.htmx else {}


@dataclass(frozen=True)
class Result:
    query: Query
    median_ms: float
    p95_ms: float
    per_second: float

    @property
    def meets_target(self) -> bool:
        return self.median_ms <= TARGET_MEDIAN_MS and self.p95_ms <= TARGET_P95_MS


def check_page(query: Query, response: httpx.Response) -> str:
    """The page must be a 200 with a full page of cards (every query here has more)."""
    if response.status_code != 200:
        raise AssertionError(f"{query.label}: HTTP {response.status_code} for {query.path}")
    text = response.text
    cards = text.count(CARD)
    if cards != PAGE_SIZE:
        raise AssertionError(f"{query.label}: {cards} cards instead of {PAGE_SIZE}")
    if query.first_card:
        first = CARD_LINK.search(text)
        if not first or first.group(1) != query.first_card:
            raise AssertionError(f"{query.label}: the page does not start where expected")
    return text


def next_page_path(text: str) -> str:
    found = MORE_LINK.search(text)
    if not found:
        raise AssertionError("no 'more' link on a page that should have one")
    return html.unescape(found.group(1))


def check_following_links(client: httpx.Client, path: str, pages: int) -> None:
    """Follow the infinite scroll's own links: each page has cards, none repeats."""
    seen: set[str] = set()
    query = Query("follow links", path)
    for _ in range(pages):
        text = check_page(query, client.get(query.path, headers={"HX-Request": "true"}))
        ids = set(CARD_LINK.findall(text))
        if ids & seen:
            raise AssertionError("a card appeared twice while following the 'more' links")
        seen |= ids
        query = Query("follow links", next_page_path(text))


def time_sequential(client: httpx.Client, query: Query, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(query.path, headers=query.headers)
        latencies.append((time.perf_counter() - start) * 1000)
        check_page(query, response)
    return latencies


async def time_concurrent(base_url: str, query: Query, count: int) -> float:
    """Requests per second with CONCURRENCY clients sharing `count` requests."""
    remaining = iter(range(count))
    limits = httpx.Limits(max_connections=CONCURRENCY)

    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            for _ in remaining:
                check_page(query, await client.get(query.path, headers=query.headers))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - start)


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def measured(base_url: str, queries: list[Query], requests: int, workdir: Path) -> list[Result]:
    """`measure`, with the server's log shown when a page is wrong (a 500 says why there)."""
    try:
        return measure(base_url, queries, requests)
    except AssertionError:
        print((workdir / "server.log").read_text()[-4000:], file=sys.stderr)
        raise


def measure(base_url: str, queries: list[Query], requests: int) -> list[Result]:
    results = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        check_following_links(client, "/cocktails", pages=5)
        for query in queries:  # warm-up: caches, connection pool, template compilation
            time_sequential(client, query, 10)
        for query in queries:
            latencies = time_sequential(client, query, requests)
            per_second = asyncio.run(time_concurrent(base_url, query, requests))
            results.append(
                Result(
                    query,
                    statistics.median(latencies),
                    percentile(latencies, 95),
                    per_second,
                )
            )
    return results


def gallery_queries(deep: list[dict[str, Any]]) -> list[Query]:
    cursor = encode_cursor("newest", deep[0])
    first_card = str(deep[1]["id"])
    deep_label = f"deep page @{DEEP_OFFSET // 1000}k"
    return [
        Query("first page", "/cocktails"),
        Query("search q=basil", "/cocktails?q=basil"),
        Query(f"model={FILTERED_MODEL}", f"/cocktails?model={FILTERED_MODEL}"),
        Query(deep_label, f"/cocktails?after={cursor}", first_card=first_card),
        Query(f"{deep_label} (htmx)", f"/cocktails?after={cursor}", True, first_card),
        Query("search q=basil (htmx)", "/cocktails?q=basil", htmx=True),
        Query("rare search q=yuzu", "/cocktails?q=yuzu"),
        # The shelf's filters (issue 13): the stock is read once per page.
        Query("makeable now", "/cocktails?makeable=1"),
        Query("makeable now (htmx)", "/cocktails?makeable=1", htmx=True),
        Query("strength=light", "/cocktails?strength=light"),
        Query("without egg, nuts", "/cocktails?without=egg&without=nuts"),
        Query("sort=strength", "/cocktails?sort=strength"),
        Query("makeable+light+no egg", "/cocktails?makeable=1&strength=light&without=egg"),
    ]


# --- Per engine -------------------------------------------------------------------------------


@dataclass
class EngineRun:
    engine: str
    fill_seconds: float
    visible: int
    results: list[Result]


def bench_sqlite(rows: list[dict[str, Any]], requests: int, keep: bool) -> EngineRun:
    workdir = Path(tempfile.mkdtemp(prefix="barapp-bench-"))
    path = workdir / "bench.sqlite3"
    env = server_env(f"sqlite:///{path}", workdir)
    try:
        migrate(env, workdir)
        start = time.perf_counter()
        fill_sqlite(path, rows)
        fill_shelf_sqlite(path)
        fill_seconds = time.perf_counter() - start
        print(f"sqlite: {len(rows):,} rows inserted in {fill_seconds:.1f} s ({path})", flush=True)
        queries = gallery_queries(deep_rows_sqlite(path, DEEP_OFFSET))
        with running_server(env, workdir) as base_url:
            results = measured(base_url, queries, requests, workdir)
        return EngineRun("sqlite", fill_seconds, count_visible_sqlite(path), results)
    finally:
        if keep:
            print(f"sqlite: kept {path}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def bench_postgres(rows: list[dict[str, Any]], requests: int, url: str, keep: bool) -> EngineRun:
    workdir = Path(tempfile.mkdtemp(prefix="barapp-bench-"))
    env = server_env(url, workdir)
    asyncio.run(recreate_postgres(url))
    try:
        migrate(env, workdir)
        start = time.perf_counter()
        asyncio.run(fill_postgres(url, rows))
        asyncio.run(fill_shelf_postgres(url))
        fill_seconds = time.perf_counter() - start
        print(f"postgres: {len(rows):,} rows inserted + VACUUM ANALYZE in {fill_seconds:.1f} s")
        queries = gallery_queries(asyncio.run(deep_rows_postgres(url, DEEP_OFFSET)))
        with running_server(env, workdir) as base_url:
            results = measured(base_url, queries, requests, workdir)
        visible = asyncio.run(count_visible_postgres(url))
        return EngineRun("postgres", fill_seconds, visible, results)
    finally:
        if keep:
            print(f"postgres: kept database {admin_url(url)[1]}")
        else:
            asyncio.run(drop_postgres(url))
        shutil.rmtree(workdir, ignore_errors=True)


def print_report(run: EngineRun, rows: int, requests: int) -> None:
    print()
    print(
        f"== {run.engine}: {rows:,} cocktails ({run.visible:,} visible), "
        f"{requests} sequential requests per query, then {requests} over "
        f"{CONCURRENCY} concurrent clients =="
    )
    print(f"target: median <= {TARGET_MEDIAN_MS:.0f} ms and p95 <= {TARGET_P95_MS:.0f} ms")
    for r in run.results:
        verdict = "meets target" if r.meets_target else "MISSES target"
        print(
            f"{run.engine:<8}  {r.query.label:<28}  median {r.median_ms:7.1f} ms  "
            f"p95 {r.p95_ms:7.1f} ms  {r.per_second:6.0f} req/s  {verdict}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--keep", action="store_true", help="keep the filled databases after the run"
    )
    args = parser.parse_args(argv)
    if args.rows < DEEP_OFFSET * 1.2:
        parser.error(f"--rows must be at least {int(DEEP_OFFSET * 1.2):,} for the deep page")
    if not 20 <= args.requests <= 5_000:
        parser.error("--requests must be between 20 and 5000")
    host = urlsplit(args.postgres_url).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("--postgres-url must point at this machine (127.0.0.1)")
    admin_url(args.postgres_url)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    rows = build_rows(args.rows)
    print(f"built {len(rows):,} cocktails in {time.perf_counter() - start:.1f} s", flush=True)
    runs = []
    # Each engine's figures as soon as they are measured (a later failure keeps them).
    if args.db in ("sqlite", "both"):
        runs.append(bench_sqlite(rows, args.requests, args.keep))
        print_report(runs[-1], len(rows), args.requests)
    if args.db in ("postgres", "both"):
        runs.append(bench_postgres(rows, args.requests, args.postgres_url, args.keep))
        print_report(runs[-1], len(rows), args.requests)
    missed = [
        (run.engine, r.query.label) for run in runs for r in run.results if not r.meets_target
    ]
    print()
    if missed:
        print("missed the target: " + ", ".join(f"{e} {q}" for e, q in missed))
    else:
        print("every query meets the target on every engine")


if __name__ == "__main__":
    main()
