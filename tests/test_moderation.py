"""The bartenders' moderation: hide and show, approve, feature, edit, delete, the generation
log and the bar's settings, and what guests see of it all (nothing hidden, nothing pending)."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from barapp.app import create_app
from barapp.settings import Settings
from barapp.staff import accounts
from barapp.store.tables import Cocktail, Generation
from tests.conftest import PASSWORD, app_client, log_in
from tests.factories import add_cocktails, cocktail_doc
from tests.fake_ollama import FakeOllama
from tests.test_generation import events_of, finished, wish

BASE = datetime(2026, 1, 1, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


def names_in(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title"[^>]*>(.*?)</h2>', html)


def featured_strip(html: str) -> str:
    match = re.search(r'<section class="featured".*?</section>', html, re.S)
    return match.group(0) if match else ""


async def id_of(name: str) -> str:
    row = await Cocktail.select(Cocktail.id).where(Cocktail.name == name).first()
    assert row is not None, name
    return str(row["id"])


async def row_of(name: str) -> dict[str, Any]:
    row = await Cocktail.select().where(Cocktail.name == name).first().output(load_json=True)
    assert row is not None, name
    return dict(row)


@pytest.fixture
async def menu(database: Settings) -> None:
    await add_cocktails(
        cocktail_doc("Negroni", created_at=at(1)),
        cocktail_doc("Basil Smash", created_at=at(2)),
        cocktail_doc("Zombie", created_at=at(3)),
    )


# Hide and show ------------------------------------------------------------------------------


async def test_a_hidden_cocktail_leaves_the_guests_gallery_and_page_until_shown(
    guest: httpx.AsyncClient, bartender: httpx.AsyncClient, menu: None
) -> None:
    ident = await id_of("Negroni")
    hidden = await bartender.post(f"/cocktails/{ident}/hide", data={"next": "/cocktails"})
    assert hidden.status_code == 303
    assert hidden.headers["location"] == "/cocktails"
    assert (await row_of("Negroni"))["visibility"] == "hidden"

    assert names_in((await guest.get("/cocktails")).text) == ["Zombie", "Basil Smash"]
    for path in ("", "/illustration.svg", "/picture"):
        assert (await guest.get(f"/cocktails/{ident}{path}")).status_code == 404
    assert (await guest.get("/cocktails?show=all")).text.count("Negroni") == 0  # ignored

    # The bartender still opens it, and finds it with show=all, with its badge.
    page = await bartender.get(f"/cocktails/{ident}")
    assert page.status_code == 200
    assert "Hidden" in page.text and f'action="/cocktails/{ident}/show"' in page.text
    everything = await bartender.get("/cocktails?show=all")
    assert names_in(everything.text) == ["Zombie", "Basil Smash", "Negroni"]
    assert 'badge-hidden">Hidden' in everything.text
    assert names_in((await bartender.get("/cocktails")).text) == ["Zombie", "Basil Smash"]

    shown = await bartender.post(f"/cocktails/{ident}/show", data={"next": f"/cocktails/{ident}"})
    assert shown.status_code == 303
    assert shown.headers["location"] == f"/cocktails/{ident}"
    assert "Negroni" in names_in((await guest.get("/cocktails")).text)
    assert (await guest.get(f"/cocktails/{ident}")).status_code == 200


async def test_an_htmx_action_answers_with_the_cocktails_moderation_bar(
    bartender: httpx.AsyncClient, menu: None
) -> None:
    ident = await id_of("Zombie")
    response = await bartender.post(
        f"/cocktails/{ident}/hide", data={"next": "/cocktails", "variant": "card"}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<div class="moderation moderation-card"')
    assert "<html" not in html
    assert f'hx-post="/cocktails/{ident}/show"' in html
    assert 'name="next" value="/cocktails"' in html
    assert "/edit" not in html  # a card's bar: hide and feature only

    on_page = await bartender.post(
        f"/cocktails/{ident}/feature",
        data={"next": f"/cocktails/{ident}", "variant": "page"},
        headers=HTMX,
    )
    assert 'badge-featured">Featured' in on_page.text
    assert f'hx-post="/cocktails/{ident}/unfeature"' in on_page.text
    assert f'href="/cocktails/{ident}/edit"' in on_page.text
    assert f'href="/cocktails/{ident}/delete?next=' in on_page.text


async def test_the_gallery_cards_carry_moderation_only_for_a_bartender(
    guest: httpx.AsyncClient, bartender: httpx.AsyncClient, menu: None
) -> None:
    ident = await id_of("Zombie")
    assert "moderation" not in (await guest.get("/cocktails")).text
    assert "moderation" not in (await guest.get(f"/cocktails/{ident}")).text
    gallery = (await bartender.get("/cocktails")).text
    assert gallery.count('<div class="moderation moderation-card"') == 3
    assert f'hx-post="/cocktails/{ident}/hide"' in gallery
    assert f'hx-post="/cocktails/{ident}/feature"' in gallery
    page = (await bartender.get(f"/cocktails/{ident}")).text
    assert '<div class="moderation moderation-page"' in page


async def test_next_only_sends_back_to_a_page_of_this_site(
    bartender: httpx.AsyncClient, menu: None
) -> None:
    ident = await id_of("Zombie")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await bartender.post(f"/cocktails/{ident}/hide", data={"next": target})
        assert response.headers["location"] == f"/cocktails/{ident}"


# Pre-moderation ------------------------------------------------------------------------------


async def test_a_pending_cocktail_joins_the_gallery_once_approved(
    guest: httpx.AsyncClient, bartender: httpx.AsyncClient, menu: None
) -> None:
    await add_cocktails(cocktail_doc("Waiting Room", created_at=at(9), visibility="pending"))
    ident = await id_of("Waiting Room")
    assert "Waiting Room" not in (await guest.get("/cocktails")).text
    assert (await guest.get(f"/cocktails/{ident}")).status_code == 404

    home = await bartender.get("/bar")
    assert home.status_code == 200
    assert "Waiting Room" in home.text
    assert f'hx-post="/cocktails/{ident}/approve"' in home.text
    assert 'href="/bar/generations"' in home.text and 'href="/bar/settings"' in home.text
    shown_all = await bartender.get("/cocktails?show=all")
    assert 'badge-pending">Waiting for approval' in shown_all.text

    approved = await bartender.post(f"/cocktails/{ident}/approve", data={"next": "/bar"})
    assert approved.status_code == 303 and approved.headers["location"] == "/bar"
    assert names_in((await guest.get("/cocktails")).text)[0] == "Waiting Room"
    assert "Waiting Room" not in (await bartender.get("/bar")).text


async def test_the_bar_home_lists_hidden_cocktails_with_show(
    bartender: httpx.AsyncClient, menu: None
) -> None:
    await add_cocktails(cocktail_doc("Hidden Gem", visibility="hidden"))
    ident = await id_of("Hidden Gem")
    home = await bartender.get("/bar")
    assert "Hidden Gem" in home.text
    assert f'hx-post="/cocktails/{ident}/show"' in home.text
    assert "Nothing is waiting for approval." in home.text


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama("ok", models=["llama3.1:8b"]) as server:
        yield server


async def test_with_premoderation_a_wished_cocktail_waits_for_a_bartender(
    database: Settings, fake: FakeOllama
) -> None:
    await accounts.add("marie", PASSWORD)
    app = create_app(dataclasses.replace(database, ollama_host=fake.host, premoderation=True))
    try:
        async with (
            app_client(app) as wisher,
            app_client(app) as other,
            app_client(app) as bartender,
        ):
            gen_id = await wish(wisher)
            await finished(app)
            name = json.loads(fake.last_chat.content)["name"]
            cocktail = await row_of(name)
            assert cocktail["visibility"] == "pending"
            ident = str(cocktail["id"])

            # The wisher sees their drink, with no link to a page they may not open.
            result = await wisher.get(f"/generations/{gen_id}")
            assert name in result.text
            assert f'href="/cocktails/{ident}"' not in result.text
            assert "A bartender will check it before it joins the gallery." in result.text
            live = next(
                e["data"] for e in await events_of(wisher, gen_id) if e["event"] == "result"
            )
            assert "A bartender will check it" in live and f'href="/cocktails/{ident}"' not in live
            # Its picture shows for the wisher alone.
            for path in ("illustration.svg", "picture"):
                assert (await wisher.get(f"/cocktails/{ident}/{path}")).status_code == 200
                assert (await other.get(f"/cocktails/{ident}/{path}")).status_code == 404
            for client in (wisher, other):
                assert name not in (await client.get("/cocktails")).text
                assert (await client.get(f"/cocktails/{ident}")).status_code == 404

            await log_in(bartender)
            assert name in (await bartender.get("/bar")).text
            approved = await bartender.post(f"/cocktails/{ident}/approve", headers=HTMX)
            assert approved.status_code == 200
            assert name in (await other.get("/cocktails")).text
            assert f'href="/cocktails/{ident}"' in (await wisher.get(f"/generations/{gen_id}")).text
    finally:
        await app.state.jobs.shutdown()


# Feature -------------------------------------------------------------------------------------


async def test_a_featured_cocktail_is_pinned_above_the_first_page(
    guest: httpx.AsyncClient, bartender: httpx.AsyncClient, menu: None
) -> None:
    assert featured_strip((await guest.get("/cocktails")).text) == ""
    ident = await id_of("Negroni")
    response = await bartender.post(f"/cocktails/{ident}/feature", data={"next": "/cocktails"})
    assert response.status_code == 303
    assert (await row_of("Negroni"))["featured"] is True

    html = (await guest.get("/cocktails")).text
    assert names_in(featured_strip(html)) == ["Negroni"]
    # Pinned, and still in its place in the list (nothing excluded from the pagination).
    assert names_in(html) == ["Negroni", "Zombie", "Basil Smash", "Negroni"]
    # Also in the results htmx swaps in, unless a filter narrows them.
    partial = (await guest.get("/cocktails?sort=name", headers=HTMX)).text
    assert names_in(featured_strip(partial)) == ["Negroni"]
    filtered = (await guest.get("/cocktails?q=zomb", headers=HTMX)).text
    assert featured_strip(filtered) == ""

    # A hidden featured cocktail is not pinned for anyone.
    await bartender.post(f"/cocktails/{ident}/hide")
    assert featured_strip((await guest.get("/cocktails")).text) == ""
    await bartender.post(f"/cocktails/{ident}/show")
    await bartender.post(f"/cocktails/{ident}/unfeature")
    assert featured_strip((await guest.get("/cocktails")).text) == ""


async def test_the_featured_strip_shows_the_six_newest(
    guest: httpx.AsyncClient, database: Settings
) -> None:
    await add_cocktails(
        *(cocktail_doc(f"Star {i}", created_at=at(i), featured=True) for i in range(8))
    )
    strip = featured_strip((await guest.get("/cocktails")).text)
    assert names_in(strip) == [f"Star {i}" for i in range(7, 1, -1)]


# Delete --------------------------------------------------------------------------------------


async def test_delete_asks_for_confirmation_then_keeps_the_generation(
    guest: httpx.AsyncClient, bartender: httpx.AsyncClient, menu: None
) -> None:
    ident = await id_of("Negroni")
    generation = Generation(
        wish="something bitter", model="llama3.1:8b", status="done", cocktail=uuid.UUID(ident)
    )
    await Generation.insert(generation)

    confirm = await bartender.get(f"/cocktails/{ident}/delete?next=/cocktails/{ident}")
    assert confirm.status_code == 200
    assert "Delete “Negroni”?" in confirm.text
    assert f'action="/cocktails/{ident}/delete"' in confirm.text
    assert (await Cocktail.count()) == 3  # asking deletes nothing

    deleted = await bartender.post(
        f"/cocktails/{ident}/delete", data={"next": f"/cocktails/{ident}"}
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/cocktails"  # not back to the page that is gone
    assert not await Cocktail.exists().where(Cocktail.id == uuid.UUID(ident))
    kept = await Generation.select().where(Generation.id == generation.id).first()
    assert kept is not None and kept["cocktail"] is None and kept["wish"] == "something bitter"
    assert (await guest.get(f"/cocktails/{ident}")).status_code == 404
    assert (await bartender.get(f"/cocktails/{ident}/delete")).status_code == 404
    assert (await bartender.post(f"/cocktails/{ident}/delete")).status_code == 404


# Edit ----------------------------------------------------------------------------------------


def edit_form(**fields: str) -> dict[str, str]:
    form = {
        "name": "Negroni Sbagliato",
        "description": "The mistaken one, with bubbles.",
        "glass": "Tumbler",
        "garnish": "Orange slice",
        "steps": "Build over ice.\n\n  Top up with prosecco.  \n",
        "music_title": "Azzurro",
        "music_artist": "Adriano Celentano",
        "alcoholic": "on",
        "ingredients-0-name": "Campari",
        "ingredients-0-amount": "3",
        "ingredients-0-unit": "cl",
        "ingredients-0-note": "",
        "ingredients-1-name": "Vermouth rosso",
        "ingredients-1-amount": "1,5",
        "ingredients-1-unit": "cl",
        "ingredients-2-name": "",
        "ingredients-2-amount": "",
        "ingredients-3-name": "Prosecco",
        "ingredients-3-amount": "",
        "ingredients-3-unit": "",
        "ingredients-3-note": "to top up",
    }
    form.update(fields)
    return form


async def test_edit_changes_the_text_and_the_ingredients(
    guest: httpx.AsyncClient, bartender: httpx.AsyncClient, menu: None
) -> None:
    before = await row_of("Negroni")
    ident = str(before["id"])
    page = await bartender.get(f"/cocktails/{ident}/edit")
    assert page.status_code == 200
    assert 'name="ingredients-0-name" value="Gin"' in page.text
    assert 'name="ingredients-1-amount" value="3"' in page.text
    assert 'name="ingredients-4-name" value=""' in page.text  # empty rows to add
    assert "Stir with ice.\nStrain.</textarea>" in page.text

    saved = await bartender.post(f"/cocktails/{ident}/edit", data=edit_form())
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/cocktails/{ident}"
    after = await row_of("Negroni Sbagliato")
    assert after["id"] == before["id"] and after["slug"] == before["slug"]
    assert after["ingredients"] == [
        {"name": "Campari", "amount": 3.0, "unit": "cl", "note": ""},
        {"name": "Vermouth rosso", "amount": 1.5, "unit": "cl", "note": ""},
        {"name": "Prosecco", "amount": None, "unit": "", "note": "to top up"},
    ]
    assert after["steps"] == ["Build over ice.", "Top up with prosecco."]
    assert (after["glass"], after["garnish"]) == ("Tumbler", "Orange slice")
    assert (after["music_title"], after["music_artist"]) == ("Azzurro", "Adriano Celentano")
    assert after["sort_name"] == "negroni sbagliato"
    assert "prosecco" in after["search_text"] and "gin" not in after["search_text"].split()
    assert after["wish"] == before["wish"] and after["llm_model"] == before["llm_model"]

    gallery = await guest.get("/cocktails?q=prosecco")
    assert names_in(gallery.text) == ["Negroni Sbagliato"]
    virgin = await bartender.post(f"/cocktails/{ident}/edit", data=edit_form(alcoholic=""))
    assert virgin.status_code == 303
    assert (await row_of("Negroni Sbagliato"))["alcoholic"] is False


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        # The words shown next to the field (tests/test_staff_forms.py has the rest).
        ({"ingredients-1-amount": "a splash"}, "A number, such as 1.5, or nothing (to top up)."),
        ({"name": "   "}, "Give the cocktail a name."),
        ({"ingredients-0-name": "", "ingredients-1-name": "", "ingredients-3-name": ""}, ""),
        ({"ingredients-1-amount": "-2"}, "A number from 0 to 10,000."),
    ],
)
async def test_edit_refuses_an_invalid_recipe_and_changes_nothing(
    bartender: httpx.AsyncClient, menu: None, fields: dict[str, str], message: str
) -> None:
    before = await row_of("Negroni")
    form = edit_form(**fields)
    if not message:  # every ingredient removed
        form = {k: v for k, v in form.items() if not k.startswith("ingredients-")}
        message = "Add at least one ingredient."
    response = await bartender.post(f"/cocktails/{before['id']}/edit", data=form)
    assert response.status_code == 400
    assert message in response.text
    assert "The recipe was not saved." in response.text
    if fields.get("ingredients-1-amount"):  # what was typed comes back
        assert f'value="{fields["ingredients-1-amount"]}"' in response.text
        assert 'value="Negroni Sbagliato"' in response.text
    assert await row_of("Negroni") == before


# The generation log -------------------------------------------------------------------------


async def test_the_generation_log_lists_what_went_wrong_with_reasons_and_timings(
    bartender: httpx.AsyncClient, menu: None
) -> None:
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    ident = uuid.UUID(await id_of("Zombie"))
    await Generation.insert(
        Generation(
            wish="a drink that tastes of the sea",
            model="qwen2.5:7b",
            status="failed",
            reason="first_token_timeout",
            detail="no answer within 60 s",
            created_at=start,
            started_at=start + timedelta(seconds=2),
            finished_at=start + timedelta(seconds=62),
        ),
        Generation(
            wish="a tiki drink",
            model="llama3.1:8b",
            status="stopped",
            reason="stopped",
            detail="by the guest",
            created_at=start + timedelta(minutes=1),
            started_at=start + timedelta(minutes=1),
            first_token_at=start + timedelta(minutes=1, seconds=1.5),
            finished_at=start + timedelta(minutes=1, seconds=4),
            prompt_tokens=420,
            output_tokens=77,
        ),
        Generation(wish="a zombie", model="llama3.1:8b", status="done", cocktail=ident),
    )
    log = await bartender.get("/bar/generations")
    assert log.status_code == 200
    html = log.text
    assert "a drink that tastes of the sea" in html and "a tiki drink" in html
    assert "a zombie" not in html  # done: not a problem
    assert html.index("a tiki drink") < html.index("a drink that tastes of the sea")
    assert "first_token_timeout" in html and "no answer within 60 s" in html
    assert "qwen2.5:7b" in html
    assert "1.5 s" in html  # time to first token
    assert "62 s" in html  # total
    assert "420 / 77" in html

    failed = await bartender.get("/bar/generations?status=failed", headers=HTMX)
    assert failed.text.lstrip().startswith('<section id="log"')
    assert "a drink that tastes of the sea" in failed.text and "a tiki drink" not in failed.text
    everything = await bartender.get("/bar/generations?status=all")
    assert "a zombie" in everything.text
    assert f'href="/cocktails/{ident}"' in everything.text
    assert (await bartender.get("/bar/generations?status=nope")).status_code == 400


def entry_of(log: str, wish: str) -> str:
    """The text of the log's entry for `wish`, tags out, spaces collapsed."""
    entries = re.findall(r'<li class="log-entry.*?</li>', log, re.S)
    entry = next(e for e in entries if wish in e)
    return " ".join(re.sub(r"<[^>]+>", " ", entry).split())


@pytest.mark.parametrize(
    ("status", "reason", "detail", "shown"),
    [
        ("failed", "busy", "busy: too many requests", ("busy", "too many requests")),
        ("failed", "busy", "Busy - too many requests", ("busy", "too many requests")),
        ("failed", "model_not_found", "model not found: x", ("model_not_found", "x")),
        ("failed", "busy", "server busy, try again", ("busy", "server busy, try again")),
        ("failed", "busy", "busyness", ("busy", "busyness")),  # not a restatement
        ("failed", "stalled", "stalled", ("stalled", "")),
        ("stopped", "stopped", "", ("", "")),  # the badge says it
        ("stopped", "stopped", "stopped by the guest", ("", "by the guest")),
        ("interrupted", "interrupted", "the app stopped", ("", "the app stopped")),
        ("done", "truncated", "kept 3 ingredients", ("truncated", "kept 3 ingredients")),
    ],
)
def test_the_log_says_a_reason_once(
    status: str, reason: str, detail: str, shown: tuple[str, str]
) -> None:
    from barapp.staff.log import said_once

    assert said_once(status, reason, detail) == shown


async def test_the_log_shows_each_reason_once_and_the_timings_a_stopped_stream_had(
    bartender: httpx.AsyncClient, menu: None
) -> None:
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    await Generation.insert(
        Generation(
            wish="a long island",
            model="llama3.1:8b",
            status="failed",
            reason="busy",
            detail="busy: too many requests, please try again later",
            created_at=start,
        ),
        Generation(
            wish="a tiki drink",
            model="llama3.1:8b",
            status="stopped",
            reason="stopped",
            created_at=start + timedelta(minutes=1),
            started_at=start + timedelta(minutes=1),
            first_token_at=start + timedelta(minutes=1, seconds=0.8),
            finished_at=start + timedelta(minutes=1, seconds=3),
            output_tokens=41,
        ),
        Generation(
            wish="a dark and stormy",
            model="llama3.1:8b",
            status="interrupted",
            reason="interrupted",
            detail="the app stopped",
            created_at=start + timedelta(minutes=2),
        ),
    )
    log = (await bartender.get("/bar/generations")).text
    busy = entry_of(log, "a long island")
    assert busy.count("busy") == 1, busy
    assert "busy too many requests, please try again later" in busy
    stopped = entry_of(log, "a tiki drink")
    assert stopped.lower().count("stopped") == 1, stopped  # the badge alone
    assert "Time to first token 0.8 s" in stopped and "Total 3 s" in stopped
    assert "Tokens (prompt / answer) — / 41" in stopped
    interrupted = entry_of(log, "a dark and stormy")
    assert interrupted.lower().count("interrupted") == 1, interrupted
    assert "the app stopped" in interrupted


# Settings ------------------------------------------------------------------------------------

SETTINGS_FORM = {
    "bar_name": "Chez Marie",
    "unit_system": "oz",
    "guests_may_generate": "on",
    "guest_wishes_per_hour": "4",
    "ip_wishes_per_hour": "0",
    "premoderation": "on",
    "wish_seconds": "90",
}


async def test_the_settings_page_saves_and_guests_see_the_new_name(
    app: Any, guest: httpx.AsyncClient, bartender: httpx.AsyncClient, menu: None
) -> None:
    page = await bartender.get("/bar/settings")
    assert page.status_code == 200
    assert "environment variable" in page.text and "BAR_NAME" in page.text
    saved = await bartender.post("/bar/settings", data=SETTINGS_FORM)
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/bar/settings")
    confirmed = await bartender.get(saved.headers["location"])
    assert "Saved." in confirmed.text and 'value="Chez Marie"' in confirmed.text

    bar = app.state.bar_settings.current()
    assert (bar.bar_name, bar.unit_system, bar.premoderation) == ("Chez Marie", "oz", True)
    assert (bar.guest_wishes_per_hour, bar.ip_wishes_per_hour, bar.wish_seconds) == (4, 0, 90)
    gallery = await guest.get("/cocktails")
    assert "Chez Marie" in gallery.text

    # Unticked boxes are off.
    form = {k: v for k, v in SETTINGS_FORM.items() if k not in ("premoderation",)}
    await bartender.post("/bar/settings", data={**form, "guests_may_generate": ""})
    assert app.state.bar_settings.current().premoderation is False
    assert app.state.bar_settings.current().guests_may_generate is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bar_name", "   "),
        ("unit_system", "gallons"),
        ("guest_wishes_per_hour", "lots"),
        ("ip_wishes_per_hour", "-1"),
        ("wish_seconds", "5"),
    ],
)
async def test_invalid_settings_are_refused_with_the_form_as_typed(
    app: Any, bartender: httpx.AsyncClient, field: str, value: str
) -> None:
    response = await bartender.post("/bar/settings", data={**SETTINGS_FORM, field: value})
    assert response.status_code == 400
    assert "Nothing was saved" in response.text
    assert f'id="{field}" name="{field}"' in response.text
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', response.text)
    if field != "bar_name":
        assert 'value="Chez Marie"' in response.text  # the rest as typed
    assert (await bartender.get("/cocktails")).text.count("Chez Marie") == 0


# Guests ----------------------------------------------------------------------------------------

GETS = [
    "/bar",
    "/bar/generations",
    "/bar/settings",
    "/cocktails/{id}/edit",
    "/cocktails/{id}/delete",
]
POSTS = [
    "/cocktails/{id}/approve",
    "/cocktails/{id}/show",
    "/cocktails/{id}/hide",
    "/cocktails/{id}/feature",
    "/cocktails/{id}/unfeature",
    "/cocktails/{id}/delete",
    "/cocktails/{id}/edit",
    "/cocktails/{id}/picture",
    "/bar/settings",
]


async def test_every_moderation_route_refuses_a_guest(guest: httpx.AsyncClient, menu: None) -> None:
    ident = await id_of("Negroni")
    before = await Cocktail.select().order_by(Cocktail.name).output(load_json=True)
    for template in GETS:
        path = template.format(id=ident)
        response = await guest.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")
        htmx = await guest.get(path, headers=HTMX)
        assert htmx.status_code == 403, path
    for template in POSTS:
        path = template.format(id=ident)
        for headers in ({}, HTMX):
            response = await guest.post(path, data=edit_form() | SETTINGS_FORM, headers=headers)
            assert response.status_code == 403, path
            assert "This is for bartenders." in response.text
    assert await Cocktail.select().order_by(Cocktail.name).output(load_json=True) == before
    assert (await guest.get("/cocktails")).text.count("Chez Marie") == 0


async def test_an_unknown_cocktail_is_a_404_for_a_bartender_too(
    bartender: httpx.AsyncClient, menu: None
) -> None:
    unknown = str(uuid.uuid4())
    for path in ("edit", "delete"):
        assert (await bartender.get(f"/cocktails/{unknown}/{path}")).status_code == 404
    for action in ("approve", "show", "hide", "feature", "unfeature", "delete", "edit"):
        response = await bartender.post(f"/cocktails/{unknown}/{action}", data=edit_form())
        assert response.status_code == 404, action
    assert (await bartender.post("/cocktails/no-such-slug/hide")).status_code == 404
