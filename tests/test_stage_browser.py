"""The drink stage in Debian's Chromium, where the guest looks: at 1024x768, 768x1024 and
390x844, in both languages, before, during and after a wish, after a failure, an off-topic
wish and with Ollama down. Every state is checked by axe-core and kept as a screenshot in
test-artifacts/ (stage-<size>-<lang>-<moment>.png) for a person to look at.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browsing import (
    PHONE,
    SIZES,
    TABLET,
    assert_accessible,
    horizontal_overflow,
    log_in,
    open_page,
    wait_until,
)
from tests.serving import bar_env, barapp, serve

pytestmark = pytest.mark.browser

WISHES = {
    "en": "something fresh with gin and basil for a summer evening",
    "fr": "quelque chose de frais au gin et au basilic pour un soir d'été",
}


def typical(request: dict[str, Any]) -> dict[str, Any]:
    """A typical recipe, as the issue measures the stage with: five ingredients, four steps
    of a real model's length, in the wish's language."""
    french = "basilic" in request["messages"][-1]["content"]

    def say(en: str, fr: str) -> str:
        return fr if french else en

    def item(name: tuple[str, str], amount: float | None, unit: str) -> dict[str, Any]:
        return {"name": say(*name), "amount": amount, "unit": unit, "note": ""}

    return {
        "kind": "cocktail",
        "name": say("Basil Garden Smash", "Smash du Jardin au Basilic"),
        "glass": say("Rocks glass", "Verre old fashioned"),
        "garnish": say(
            "Basil sprig and a lime wheel", "Brin de basilic et rondelle de citron vert"
        ),
        "image_prompt": "A green gin smash in a rocks glass with basil, on a sunny terrace",
        "description": say(
            "Fresh basil and London dry gin shaken with lime and a touch of elderflower: "
            "bright, green and easy for a long summer evening on the terrace.",
            "Basilic frais et gin London dry secoués avec du citron vert et une touche de "
            "sureau : vif, vert et facile pour un long soir d'été en terrasse.",
        ),
        "alcoholic": True,
        "ingredients": [
            item(("London dry gin", "Gin London dry"), 5, "cl"),
            item(("Fresh lime juice", "Jus de citron vert frais"), 2.5, "cl"),
            item(("Simple syrup", "Sirop de sucre"), 1.5, "cl"),
            item(("Elderflower liqueur", "Liqueur de sureau"), 1, "cl"),
            item(("Basil leaves", "Feuilles de basilic"), 8, say("leaves", "feuilles")),
        ],
        "steps": [
            say(
                "Gently press the basil leaves with the syrup in the shaker.",
                "Écraser doucement les feuilles de basilic avec le sirop dans le shaker.",
            ),
            say(
                "Add the gin, the lime juice and the elderflower liqueur.",
                "Ajouter le gin, le jus de citron vert et la liqueur de sureau.",
            ),
            say(
                "Fill with ice and shake hard for ten seconds.",
                "Remplir de glace et secouer fort pendant dix secondes.",
            ),
            say(
                "Double strain over fresh ice and garnish with basil and lime.",
                "Filtrer deux fois sur de la glace fraîche et décorer de basilic et de citron.",
            ),
        ],
        "music": {"title": "Summertime", "artist": "Ella Fitzgerald"},
    }


@pytest.fixture(scope="module")
def stage_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Path]]:
    """barapp serve with a fake Ollama that writes at a small model's pace on a CPU and a
    fake Stability whose picture arrives after the recipe."""
    from tests.fake_images import FakeImageServer
    from tests.fake_ollama import FakeOllama, Scenario

    fake = FakeOllama(
        Scenario(content=typical, ttft=0.3, tokens_per_second=90), models=["llama3.1:8b"]
    )
    images = FakeImageServer(seconds_per_image=3.0)
    fake.start()
    images.start()
    home = tmp_path_factory.mktemp("stage")
    env = bar_env(
        home,
        OLLAMA_HOST=fake.host,
        BAR_NAME="Le Zinc",
        STABILITY_API_KEY=images.api_key,
        STABILITY_API_HOST=images.url,
    )
    try:
        with serve(env) as url:
            yield url, fake, home / "bar.sqlite3"
    finally:
        images.stop()
        fake.stop()


def in_viewport(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            f"""(() => {{ const e = document.querySelector({selector!r});
            if (!e) return false; const r = e.getBoundingClientRect();
            return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
            }})()"""
        )
    )


def wait_for_drink(page: Any, selector: str) -> None:
    """Wait for a moment of the drink; if it never comes, say what the stage shows instead."""
    try:
        page.wait_for_selector(selector, timeout=60_000)
    except Exception:
        page.screenshot(path="test-artifacts/stage-timeout.png", full_page=True)
        stage = page.evaluate("document.getElementById('stage')?.innerText ?? document.title")
        raise AssertionError(f"no {selector!r}; the stage shows: {stage!r}") from None


def check(page: Any, shot: Path, state: str) -> None:
    """Every moment: nothing wider than the screen, axe-core finds nothing, a screenshot."""
    page.screenshot(path=str(shot))
    assert horizontal_overflow(page) == 0, f"{state}: the page scrolls sideways"
    assert_accessible(page, state)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_drink_fills_in_place_and_is_the_final_card(
    browser: Any,
    stage_server: tuple[str, Any, Path],
    artifacts: Path,
    console_errors: list[str],
    size: str,
    lang: str,
) -> None:
    url, _, _ = stage_server
    page = open_page(browser, console_errors, viewport=SIZES[size])
    page.context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page.goto(f"{url}/generate")
    name = f"stage-{size}-{lang}"
    check(page, artifacts / f"{name}-before.png", f"{name} before")
    if size == "tablet":  # the whole wish form fits the landscape tablet
        assert in_viewport(page, "#wish-form button[type=submit]")

    page.fill("#wish", WISHES[lang])
    page.press("#wish", "Enter")  # Enter sends
    page.wait_for_selector(".drink-filling .ingredients li")
    # While it streams: the form folded into one line, and no second tap.
    assert page.locator("#wish").count() == 0
    assert page.locator(".wish-quote q").inner_text() == WISHES[lang]
    assert page.locator(".new-wish button").is_disabled()
    check(page, artifacts / f"{name}-during.png", f"{name} during")
    page.wait_for_selector(".drink-filling #drink-sketch svg", timeout=30_000)
    page.wait_for_selector(".drink-cheers", timeout=30_000)
    check(page, artifacts / f"{name}-after.png", f"{name} after")

    # One card, the one that filled in: no second, smaller copy of the recipe.
    assert page.locator("article.drink").count() == 1
    assert page.locator(".card").count() == 0
    assert page.locator(".drink .ingredients li").count() == 5
    assert page.locator(".drink .steps li").count() == 4
    assert page.locator(".new-wish button").is_enabled()
    if size == "tablet":
        for part in (".drink-name", ".drink-visual .picture", ".drink .ingredients li:last-child"):
            assert in_viewport(page, part), f"{part} is below the fold at 1024x768"
        assert in_viewport(page, ".drink .steps li:last-child")
        assert in_viewport(page, ".drink-actions .retry button")
    # The drawn picture swaps in, in the same card.
    page.wait_for_selector(".drink .picture img[src^='/media/']", timeout=30_000)
    wait_until(page, "document.querySelector('.drink .picture img').naturalWidth > 0")
    check(page, artifacts / f"{name}-picture.png", f"{name} with its picture")
    assert page.locator("article.drink").count() == 1
    # The drink's own words carry their language where it is not the page's.
    assert page.locator(".drink-name").get_attribute("lang") is None
    assert console_errors == []
    page.close()


def test_shift_enter_starts_a_line_and_the_wish_survives_a_language_switch(
    browser: Any, stage_server: tuple[str, Any, Path], console_errors: list[str]
) -> None:
    url, _, _ = stage_server
    page = open_page(browser, console_errors, viewport=TABLET)
    page.goto(f"{url}/generate")
    page.click("#wish")
    page.keyboard.type("a sour")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("with rum")
    assert page.input_value("#wish") == "a sour\nwith rum"
    assert page.evaluate("location.pathname") == "/generate"  # not sent
    page.click(".lang-switch a[lang=fr]")
    page.wait_for_url(f"{url}/generate")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.input_value("#wish") == "a sour\nwith rum"
    assert page.inner_text("#wish-count") == "15 / 500"
    assert console_errors == []
    page.close()


def test_a_double_tap_makes_one_drink(
    browser: Any, stage_server: tuple[str, Any, Path], console_errors: list[str]
) -> None:
    url, _, database = stage_server
    wish = "a double tap on a negroni"

    def made() -> int:
        with sqlite3.connect(database) as db:
            (count,) = db.execute(
                "SELECT count(*) FROM generation WHERE wish = ?", (wish,)
            ).fetchone()
            return int(count)

    page = open_page(browser, console_errors, viewport=TABLET)
    page.goto(f"{url}/generate")
    page.fill("#wish", wish)
    page.dblclick("#wish-form button[type=submit]")
    page.wait_for_selector(".drink-cheers", timeout=30_000)
    assert made() == 1
    # Sent twice in the same instant, past the disabled button (a slow tablet's double
    # event): the form's token still makes it one wish.
    page.goto(f"{url}/generate")
    page.fill("#wish", wish + " again")
    page.evaluate(
        "(f => { f.requestSubmit(); f.requestSubmit(); })(document.getElementById('wish-form'))"
    )
    page.wait_for_selector(".drink-cheers", timeout=30_000)
    page.close()
    wish += " again"
    assert made() == 1


def test_the_form_token_makes_a_resent_form_one_wish(stage_server: tuple[str, Any, Path]) -> None:
    url, _, database = stage_server
    with httpx.Client(base_url=url, follow_redirects=False) as http:
        form = http.get("/generate").text
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        token = form.split('name="form_token" value="')[1].split('"')[0]
        data = {"csrf_token": csrf, "form_token": token, "wish": "a resent daiquiri"}
        data["model"] = "llama3.1:8b"
        first = http.post("/generate", data=data)
        second = http.post("/generate", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    with sqlite3.connect(database) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM generation WHERE wish = 'a resent daiquiri'"
        ).fetchone()
    assert count == 1


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_failure_and_an_off_topic_wish_read_as_such(
    browser: Any,
    stage_server: tuple[str, Any, Path],
    artifacts: Path,
    console_errors: list[str],
    lang: str,
) -> None:
    url, fake, _ = stage_server
    page = open_page(browser, console_errors, viewport=PHONE)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    fake.set_scenario("not_found", "ok")
    try:
        page.goto(f"{url}/generate")
        page.fill("#wish", WISHES[lang])
        page.click("#wish-form button[type=submit]")
        page.wait_for_selector(".outcome-failed", timeout=30_000)
    finally:
        fake.set_scenario("ok")
    check(page, artifacts / f"stage-phone-{lang}-failed.png", f"failure ({lang})")
    assert page.locator(".drink-name, .ingredients").count() == 0  # no empty card
    assert page.locator(".staff-only").count() == 0  # guest words only
    assert "ollama" not in page.inner_text("main").lower()
    # One obvious thing to do, with the wish kept.
    assert page.locator(".outcome-failed .retry button").count() == 1
    assert page.locator(".outcome-failed .retry input[name=wish]").input_value() == WISHES[lang]

    page.goto(f"{url}/generate")
    page.fill("#wish", "write me a poem about the weather")
    page.click("#wish-form button[type=submit]")
    page.wait_for_selector(".outcome-refused .button", timeout=30_000)
    check(page, artifacts / f"stage-phone-{lang}-off-topic.png", f"off-topic ({lang})")
    assert page.locator(".drink-name, .ingredients").count() == 0
    page.click(".outcome-refused .button")
    page.wait_for_url(f"{url}/generate?*")
    assert page.input_value("#wish") == "write me a poem about the weather"
    assert console_errors == []
    page.close()


@pytest.fixture(scope="module")
def resting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """barapp serve with nothing at Ollama's address, and a bartender account."""
    home = tmp_path_factory.mktemp("resting")
    env = bar_env(home, OLLAMA_HOST="127.0.0.1:9")
    barapp(env, "bartender", "add", "marie", stdin="tonic water\n")
    with serve(env) as url:
        yield url


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_with_ollama_down_guests_are_told_before_typing_and_staff_see_the_fix(
    browser: Any, resting_server: str, artifacts: Path, console_errors: list[str], lang: str
) -> None:
    url = resting_server
    guest = open_page(browser, console_errors, viewport=TABLET)
    guest.context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    guest.goto(f"{url}/generate")
    assert guest.locator(".notice-resting").is_visible()
    assert guest.locator("#wish").is_disabled()
    assert guest.locator("#wish-form button[type=submit]").is_disabled()
    assert "127.0.0.1:9" not in guest.inner_text("main")
    assert "ollama" not in guest.inner_text("main").lower()
    check(guest, artifacts / f"stage-tablet-{lang}-resting-guest.png", f"Ollama down ({lang})")
    guest.close()

    staff = open_page(browser, console_errors, viewport=TABLET)
    staff.context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    log_in(staff, url, "tonic water")
    staff.goto(f"{url}/generate")
    note = staff.locator(".notice-resting .staff-only")
    assert "http://127.0.0.1:9" in note.inner_text() and "ollama serve" in note.inner_text()
    assert staff.locator("#wish").is_enabled()  # a bartender may still try
    check(staff, artifacts / f"stage-tablet-{lang}-resting-staff.png", f"staff view ({lang})")
    staff.close()
    assert console_errors == []


def test_the_stage_waits_for_nothing_it_does_not_need(stage_server: tuple[str, Any, Path]) -> None:
    """The picture place is there from the first second: the live card opens with it."""
    url, _, _ = stage_server
    with httpx.Client(base_url=url) as http:
        form = http.get("/generate").text
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        answer = http.post(
            "/generate",
            data={"csrf_token": csrf, "wish": "a gin fizz", "model": "llama3.1:8b"},
            headers={"HX-Request": "true"},
        )
    assert answer.status_code == 200
    assert 'id="drink-sketch"' in answer.text and "shaker" in answer.text
    assert 'class="wish-quote"' in answer.text and "a gin fizz" in answer.text


def test_on_a_phone_the_page_follows_the_text_unless_the_guest_scrolls_away(
    browser: Any, stage_server: tuple[str, Any, Path], console_errors: list[str]
) -> None:
    url, _, _ = stage_server
    page = open_page(browser, console_errors, viewport=PHONE)
    page.goto(f"{url}/generate")
    page.fill("#wish", WISHES["en"])
    page.press("#wish", "Enter")
    # On a loaded machine the stream may connect late and replay the whole drink in one
    # burst, its filling state never painted: the final card is followed the same way.
    wait_for_drink(page, ".drink-filling .steps li, .drink-cheers")
    # The method is written far below the picture: the page went down with it.
    wait_until(page, "scrollY > 200", timeout=10)
    last_step = "document.querySelector('.drink .steps li:last-child')"
    wait_until(page, f"{last_step}.getBoundingClientRect().bottom <= innerHeight", timeout=10)
    page.wait_for_selector(".drink-cheers", timeout=30_000)
    # The final card's "what next" is followed too.
    actions = "document.querySelector('.drink-next')"
    wait_until(page, f"{actions}.getBoundingClientRect().bottom <= innerHeight", timeout=10)

    page.goto(f"{url}/generate")
    page.fill("#wish", WISHES["en"])
    page.press("#wish", "Enter")
    wait_for_drink(page, ".drink-filling .ingredients li, .drink-cheers")
    wait_until(page, "scrollY > 100", timeout=10)  # following...
    page.mouse.move(195, 400)
    for _ in range(3):  # ...until the guest looks back up at the picture place (a follow
        page.mouse.wheel(0, -3000)  # already under way may finish its glide first)
        time.sleep(0.4)
    page.wait_for_selector(".drink-cheers", timeout=30_000)
    wait_until(page, "scrollY < 60", timeout=5)  # the wheel's scroll done...
    time.sleep(1)
    assert page.evaluate("scrollY") < 60  # ...and the page left them there
    assert console_errors == []
    page.close()
