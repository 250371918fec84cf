"""Ratings in Debian's Chromium, served by a real `barapp serve`, at 1024x768 and 390x844: a
guest rates from the cocktail's page (by pointer and by keyboard) and from the drink stage,
and sees the stars change without a reload; the gallery's "Most loved" sort then shows that
drink first, its rating on its card. axe-core checks each state; screenshots land in
test-artifacts/ (ratings-*.png) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browsing import (
    PHONE,
    TABLET,
    assert_accessible,
    horizontal_overflow,
    open_page,
    wait_until,
)
from tests.serving import bar_env, serve, stocked_bar

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SIZES = {"tablet": TABLET, "phone": PHONE}
PRESSED = "(document.querySelector('.rating [aria-pressed=true]')?.value ?? '')"


def voted(page: Any, stars: int) -> None:
    """Wait until the block shows the guest's vote, swapped in and settled (htmx gives the
    swapped stars, which keep their ids, their old attributes for a moment)."""
    wait_until(
        page,
        f"{PRESSED} === '{stars}' && document.querySelectorAll('.rating').length === 1"
        f" && document.querySelector('.rating-mine').innerText.includes('gave it {stars} star')",
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The house menu, a bartender, and a fake Ollama (the drink stage's wish)."""
    from tests.fake_ollama import FakeOllama

    fake = FakeOllama("ok", models=["llama3.1:8b"])
    fake.start()
    home = tmp_path_factory.mktemp("ratings")
    env = bar_env(home, OLLAMA_HOST=fake.host, BAR_NAME="Le Zinc", KIOSK_IDLE_SECONDS="0")
    stocked_bar(env, PASSWORD)
    try:
        with serve(env) as url:
            yield url
    finally:
        fake.stop()


def check(page: Any, shot: Path, state: str) -> None:
    page.screenshot(path=str(shot), full_page=True)
    assert horizontal_overflow(page) == 0, f"{state}: the page scrolls sideways"
    assert_accessible(page, state)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_guest_rates_from_the_cocktail_page_without_a_reload(
    browser: Any, server: str, artifacts: Path, console_errors: list[str], size: str
) -> None:
    page = open_page(browser, console_errors, viewport=SIZES[size], locale="en-GB")
    slug = "paloma" if size == "tablet" else "virgin-mojito"
    page.goto(f"{server}/cocktails/{slug}")
    assert page.locator(".rating .rating-star").count() == 5
    assert page.evaluate(PRESSED) == ""
    check(page, artifacts / f"ratings-page-{size}-before.png", f"the {size} page unrated")
    page.evaluate("window.stillHere = true")  # a full load would lose it

    page.click(".rating-star[value='4']")
    voted(page, 4)
    assert "You gave it 4 stars." in page.inner_text(".rating")
    assert "4 (1)" in page.inner_text(".rating-summary")
    assert page.locator(".rating .rating-star-on").count() == 4

    # By keyboard: the focus stays on the star through the swap, and shows.
    page.focus(".rating-star[value='4']")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.value") == "2"
    page.keyboard.press("Enter")
    voted(page, 2)
    assert page.evaluate("document.activeElement.value") == "2"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    assert "You gave it 2 stars." in page.inner_text(".rating")
    assert page.evaluate("window.stillHere") is True
    page.locator(".rating").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"ratings-page-{size}-voted.png"))
    check(page, artifacts / f"ratings-page-{size}-voted-full.png", f"the {size} page rated")

    # The vote is the server's: a reload shows it.
    page.reload()
    assert page.evaluate(PRESSED) == "2"
    assert console_errors == []
    page.close()


def test_a_guest_rates_from_the_drink_stage_without_a_reload(
    browser: Any, server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=TABLET, locale="en-GB")
    page.goto(f"{server}/generate")
    page.fill("#wish", "something bitter with gin")
    page.press("#wish", "Enter")
    page.wait_for_selector(".drink-cheers", timeout=60_000)
    # The stage did not look the vote up: the block loads itself with it.
    page.wait_for_selector(".drink-next .rating .rating-form")
    wait_until(page, "!document.querySelector('.rating[hx-trigger]')")
    assert page.locator(".rating h3.rating-title").count() == 1
    page.evaluate("window.stillHere = true")
    page.click(".rating-star[value='5']")
    voted(page, 5)
    assert "You gave it 5 stars." in page.inner_text(".rating")
    assert page.locator(".rating h3.rating-title").count() == 1  # the card's own level
    assert page.evaluate("window.stillHere") is True
    check(page, artifacts / "ratings-stage-tablet.png", "the drink stage, rated")
    # The stage's own actions stay where they were on the landscape tablet.
    assert page.evaluate(
        "document.querySelector('.drink-actions .retry button').getBoundingClientRect().bottom"
        " <= innerHeight"
    )
    name = page.inner_text(".drink-name").strip()

    # A reload of the stage shows the vote (loaded again).
    page.reload()
    voted(page, 5)

    # The gallery's "Most loved": the drink rated 5 by one guest, first.
    page.goto(f"{server}/cocktails")
    page.select_option("#sort", "loved")
    wait_until(page, "location.search.includes('sort=loved')")
    wait_until(
        page,
        f"document.querySelector('#results .card-title')?.innerText.trim() === {name!r}",
    )
    first = page.locator("#results .card").first
    assert "★ 5 (1)" in first.inner_text()
    check(page, artifacts / "ratings-gallery-loved-tablet.png", "the gallery, most loved")
    assert console_errors == []
    page.close()


def test_most_loved_on_a_phone_and_the_bartenders_reset(
    browser: Any, server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=PHONE, locale="fr-FR")
    page.goto(f"{server}/cocktails?sort=loved")
    assert page.locator("#sort").input_value() == "loved"
    assert page.locator("#results .card .rating-summary").count() >= 1
    check(page, artifacts / "ratings-gallery-loved-phone.png", "the gallery, most loved, phone")
    page.close()

    bar = open_page(browser, console_errors, viewport=TABLET, locale="en-GB")
    from tests.browsing import log_in

    log_in(bar, server, PASSWORD)
    bar.goto(f"{server}/cocktails/paloma")
    assert bar.locator(".rating-reset button").count() == 1
    check(bar, artifacts / "ratings-page-bartender.png", "a bartender's cocktail page")
    bar.click(".rating-reset button")
    wait_until(bar, "!document.querySelector('.rating-summary')")
    assert bar.locator(".rating-reset").count() == 0
    bar.goto(f"{server}/bar/generations?status=all")
    assert bar.locator(".log-rating").count() >= 1
    check(bar, artifacts / "ratings-log-tablet.png", "the log with ratings")
    assert console_errors == []
    bar.close()
