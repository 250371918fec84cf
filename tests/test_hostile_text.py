"""Property tests (issue 11, point 11): any Unicode — lone surrogates, NUL, U+0085, U+2028,
non-characters, FTS5 and LIKE syntax — into every form, the gallery's query string and its
cursor, on both engines: no 500, no traceback, and what is saved is the clean text, whole.

A browser sends text as UTF-8, so a lone surrogate reaches the server as the escapes of its
three bytes (`surrogatepass`), which are no UTF-8: the server reads U+FFFD. `sent()` is that
text as the server decodes it, before cleaning; some bodies also go as raw bytes, unescaped."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from barapp.cocktails.gallery import GalleryQuery, fetch_page
from barapp.store.tables import Cocktail, Generation, LoginFailure
from barapp.text import clean
from barapp.web.cleaning import clean_query_string, parse_form
from barapp.web.errors import BadCursor, BadFilter
from tests.factories import add_cocktails, cocktail_doc
from tests.test_moderation import SETTINGS_FORM, edit_form

# Few examples, no deadline: each is a request on a shared 2-core machine, on both engines.
FEW = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SPECIAL = [
    "\x00", "\x01", "\x1f", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\ud800", "\udfff",
    "\ufdd0", "\ufdfa", "\ufeff", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff", "\r", "\n",
    "\t", " ", '"', "'", "%", "_", "\\", "*", "^", "(", "<", ">", "&", "=", "+", "é", "ß", "ﬁ",
    "gin", "sour", "NEAR", "AND",
]  # fmt: skip
# Pieces of text: single characters of any category (surrogates included) and a few words.
hostile = st.lists(
    st.one_of(st.sampled_from(SPECIAL), st.characters(exclude_categories=())), max_size=30
).map("".join)
FORM = {"content-type": "application/x-www-form-urlencoded"}


def sent(text: str) -> str:
    """`text` as the server decodes it from the UTF-8 a browser sends."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def body_of(fields: dict[str, str], raw: bool) -> bytes:
    if raw:  # unescaped bytes, as a hand-made client may send them
        pairs = (f"{k}={v}" for k, v in fields.items())
        return "&".join(pairs).encode("utf-8", "surrogatepass")
    return urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()


def is_clean(value: Any) -> bool:
    """Every text in a stored value (a row's columns, a list of steps...) is clean."""
    if isinstance(value, str):
        return clean(value) == value
    if isinstance(value, dict):
        return all(is_clean(v) for v in value.values())
    if isinstance(value, list):
        return all(is_clean(v) for v in value)
    return True


def assert_answered(response: httpx.Response, *allowed: int) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text


@pytest.fixture(autouse=True)
def no_unhandled_error(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No request of these tests reached the 500 page's log line."""
    with caplog.at_level(logging.ERROR, logger="barapp"):
        yield
    unhandled = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert not unhandled, unhandled[0].exc_text


# Forms -------------------------------------------------------------------------------------


@FEW
@given(body=st.binary(max_size=200))
def test_any_body_is_a_clean_form(body: bytes) -> None:
    form = parse_form(body)
    assert all(is_clean(name) and is_clean(value) for name, value in form.items())


# 20: past 20 failures from one address, every try is a 429 without a password check.
@settings(FEW, max_examples=20)
@given(
    fields=st.fixed_dictionaries(
        {"name": hostile, "password": hostile}, optional={"next": hostile, "other": hostile}
    ),
    raw=st.booleans(),
)
async def test_any_text_in_the_login_form(
    guest: httpx.AsyncClient, fields: dict[str, str], raw: bool
) -> None:
    response = await guest.post("/login", content=body_of(fields, raw), headers=FORM)
    # A wrong name or password, a throttled address, or a repeated field (raw "&" and "=").
    assert_answered(response, 400, 429)
    assert all(is_clean(row["name"]) for row in await LoginFailure.select(LoginFailure.name))


@FEW
@given(wish=hostile, model=st.one_of(st.just("llama3.1:8b"), hostile), raw=st.booleans())
async def test_any_text_in_the_wish_form(
    app: Any, bartender: httpx.AsyncClient, wish: str, model: str, raw: bool
) -> None:
    before = await Generation.count()
    body = body_of({"wish": wish, "model": model}, raw)
    response = await bartender.post("/generate", content=body, headers=FORM)
    # Recorded (303), or refused whole: empty, too long, not a model, the line is full.
    assert_answered(response, 303, 400, 503)
    recorded = await Generation.select(Generation.wish).order_by(Generation.created_at)
    if response.status_code != 303:
        assert len(recorded) == before
    elif not raw:  # (raw, a "&" or "=" in the wish changes what the fields are)
        assert len(recorded) == before + 1
        assert recorded[-1]["wish"] == " ".join(clean(sent(wish)).split())
    assert all(is_clean(row["wish"]) for row in recorded)
    # The job would only fail on the Ollama that is down: stopped, so the line stays short.
    tasks = list(app.state.jobs.tasks.values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
async def negroni(app: Any) -> str:
    await add_cocktails(cocktail_doc("Negroni"))
    row = await Cocktail.select(Cocktail.id).first()
    return str(row["id"])


EDITED = ["name", "description", "glass", "garnish", "steps", "music_title", "music_artist"]
EDITED += [f"ingredients-0-{part}" for part in ("name", "amount", "unit", "note")]


@FEW
@given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(EDITED, hostile)))
async def test_any_text_in_the_edit_form(
    bartender: httpx.AsyncClient, negroni: str, values: dict[str, str]
) -> None:
    before = await Cocktail.select().first().output(load_json=True)
    body = body_of(edit_form(**values), raw=False)
    response = await bartender.post(f"/cocktails/{negroni}/edit", content=body, headers=FORM)
    assert_answered(response, 303, 400)
    after = await Cocktail.select().first().output(load_json=True)
    if response.status_code == 400:
        assert after == before  # nothing half-saved
    else:
        assert is_clean(after)
        if "name" in values:
            assert after["name"] == clean(sent(values["name"])).strip()


@FEW
@given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(SETTINGS_FORM, hostile)))
async def test_any_text_in_the_settings_form(
    app: Any, bartender: httpx.AsyncClient, values: dict[str, str]
) -> None:
    before = app.state.bar_settings.current()
    body = body_of({**SETTINGS_FORM, **values}, raw=False)
    response = await bartender.post("/bar/settings", content=body, headers=FORM)
    assert_answered(response, 303, 400)
    after = await app.state.bar_settings.refresh(force=True)
    if response.status_code == 400:
        assert after == before
    else:
        assert is_clean(after.bar_name) and after.bar_name.strip()


@FEW
@given(
    action=st.sampled_from(["hide", "show", "approve", "feature", "unfeature"]),
    values=st.fixed_dictionaries({}, optional={"next": hostile, "variant": hostile}),
    htmx=st.booleans(),
)
async def test_any_text_in_a_moderation_form(
    bartender: httpx.AsyncClient, negroni: str, action: str, values: dict[str, str], htmx: bool
) -> None:
    headers = {**FORM, **({"HX-Request": "true"} if htmx else {})}
    response = await bartender.post(
        f"/cocktails/{negroni}/{action}", content=body_of(values, raw=False), headers=headers
    )
    assert_answered(response, 200 if htmx else 303)
    if not htmx:
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\"))
        assert is_clean(location)


# The gallery -------------------------------------------------------------------------------


@pytest.fixture
async def menu(database: Any) -> None:
    await add_cocktails(
        cocktail_doc("Gin Sour", slug="gin-sour", description="Gin, citron, sucre."),
        cocktail_doc("Crème Brûlée Flip", slug="flip", visibility="hidden"),
        cocktail_doc("Ｎｅｇｒｏｎｉ ﬁzz", slug="fizz"),
    )


PARAMS = ("q", "model", "alcohol", "sort", "after", "show")


def cursors() -> st.SearchStrategy[str]:
    """What `after=` may hold: any text, base64 of any bytes, or a cursor of the right shape
    around any parts."""
    parts = st.lists(st.one_of(hostile, st.integers(), st.none(), st.just(str(uuid.uuid4()))))
    shaped = parts.map(lambda p: json.dumps(p).encode())
    return st.one_of(
        hostile,
        st.one_of(st.binary(max_size=80), shaped).map(
            lambda b: base64.urlsafe_b64encode(b).decode()
        ),
    )


@FEW
@given(
    params=st.fixed_dictionaries(
        {}, optional={**dict.fromkeys(PARAMS, hostile), "after": cursors()}
    ),
    as_bartender=st.booleans(),
)
async def test_any_gallery_query_string(
    guest: httpx.AsyncClient,
    bartender: httpx.AsyncClient,
    menu: None,
    params: dict[str, str],
    as_bartender: bool,
) -> None:
    client = bartender if as_bartender else guest
    query = urlencode(params, quote_via=quote, encoding="utf-8", errors="surrogatepass")
    for headers in ({}, {"HX-Request": "true"}):
        response = await client.get(f"/cocktails?{query}", headers=headers)
        assert_answered(response, 200, 400)


@FEW
@given(params=st.fixed_dictionaries({}, optional=dict.fromkeys(PARAMS, hostile)), raw=st.binary())
def test_any_query_string_comes_out_clean(params: dict[str, str], raw: bytes) -> None:
    escaped = urlencode(params, encoding="utf-8", errors="surrogatepass").encode()
    for query in (escaped, raw):
        cleaned = clean_query_string(query)
        assert cleaned.isascii()
        assert is_clean(cleaned.decode())


@FEW
@given(
    params=st.fixed_dictionaries(
        {}, optional={"q": hostile, "model": hostile, "after": cursors(), "show": st.just("all")}
    ),
    sort=st.sampled_from(["newest", "oldest", "name", "name_desc"]),
)
async def test_any_text_straight_into_the_gallery_query(
    menu: None, params: dict[str, str], sort: str
) -> None:
    # Without HTTP in between, a lone surrogate reaches the query itself.
    try:
        query = GalleryQuery.from_params({**params, "sort": sort}, bartender=True)
    except (BadFilter, BadCursor):
        return
    page = await fetch_page(query)
    assert len(page.cards) <= 3
