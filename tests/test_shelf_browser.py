"""The bar's shelf in a real headless Chromium, served by a real `barapp serve`, at tablet
(1024x768) and phone (390x844) sizes: the page seeded from the house menu, a search as one
types, an addition, a one-tap switch; axe-core on each state, nothing scrolling sideways.

Screenshots land in test-artifacts/ for a person to look at.
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
    log_in,
    open_page,
    wait_until,
)
from tests.serving import bar_env, serve, stocked_bar

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("shelf")
    env = bar_env(home, BAR_NAME="Le Comptoir de Marie", KIOSK_IDLE_SECONDS="0")
    stocked_bar(env, PASSWORD)
    with serve(env) as url:
        yield url


def test_the_shelf_at_tablet_size_search_add_and_switch(
    browser: Any, server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=TABLET, locale="en-GB")
    log_in(page, server, PASSWORD)
    page.click(".bar-links a[href='/bar/shelf']")
    page.wait_for_url(f"{server}/bar/shelf")
    # Seeded from the house menu: its gin and Campari are on the shelf, in stock.
    assert "filled from the saved cocktails" in page.inner_text(".form-success")
    assert page.locator("#item-gin [role=switch][aria-checked=true]").count() == 1
    assert page.locator("#item-campari").count() == 1
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "the shelf, seeded")
    page.screenshot(path=str(artifacts / "shelf-tablet.png"), full_page=True)

    # A marker that a full page load would lose: every step below is htmx, in place.
    page.evaluate("window.stillHere = true")
    page.locator("#shelf-q").press_sequentially("angos", delay=40)
    wait_until(page, "!!document.querySelector('#shelf-results .shelf-hit')")
    assert "Angostura" in page.inner_text("#shelf-results")
    assert_accessible(page, "the search results")
    page.screenshot(path=str(artifacts / "shelf-search-tablet.png"))
    page.click("#shelf-results .shelf-hit:first-child button")
    wait_until(page, "!!document.querySelector('#item-angostura')")
    # Added: no longer offered, and in stock.
    assert page.locator("#shelf-results [value=angostura]").count() == 0
    assert page.locator("#item-angostura [role=switch][aria-checked=true]").count() == 1

    # One tap: Campari out of stock, still listed, dimmed and marked in words.
    page.click("#item-campari [role=switch]")
    wait_until(
        page, "document.querySelector('#item-campari [role=switch]').ariaChecked === 'false'"
    )
    assert "Out of stock" in page.inner_text("#item-campari")
    assert "shelf-item-out" in (page.get_attribute("#item-campari", "class") or "")
    assert page.evaluate("document.activeElement.id") == "item-campari-switch"
    colour = "getComputedStyle(document.querySelector('#item-%s .shelf-item-name')).color"
    assert page.evaluate(colour % "campari") != page.evaluate(colour % "gin")  # dimmed
    assert page.evaluate("window.stillHere") is True
    assert_accessible(page, "an item out of stock")
    page.screenshot(path=str(artifacts / "shelf-switched-tablet.png"), full_page=True)

    # The state is the server's: a reload shows it.
    page.reload()
    assert page.locator("#item-campari [role=switch][aria-checked=false]").count() == 1
    page.click("#item-campari [role=switch]")
    wait_until(page, "document.querySelector('#item-campari [role=switch]').ariaChecked === 'true'")
    assert console_errors == []


def test_the_shelf_on_a_phone_in_french(
    browser: Any, server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=PHONE, locale="fr-FR")
    log_in(page, server, PASSWORD)
    page.goto(f"{server}/bar/shelf")
    assert page.inner_text("h1") == "L'étagère du bar"
    assert "Spiritueux" in page.inner_text("#shelf-list")
    page.screenshot(path=str(artifacts / "shelf-phone.png"), full_page=True)
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right"
        " > document.documentElement.clientWidth + 1 && ![...e.children].some(c =>"
        " c.getBoundingClientRect().right > document.documentElement.clientWidth + 1))"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id + ':' + e.getBoundingClientRect().width)"
        ".slice(0, 12).join(' ')"
    )
    assert horizontal_overflow(page) == 0, wide
    assert_accessible(page, "the shelf on a phone")
    page.screenshot(path=str(artifacts / "shelf-phone.png"), full_page=True)
    page.locator("#shelf-q").press_sequentially("verm", delay=40)
    wait_until(
        page, "!!document.querySelector('#shelf-results .shelf-hit, #shelf-results .empty-note')"
    )
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(artifacts / "shelf-search-phone.png"))
    page.click("#item-gin [role=switch]")
    wait_until(page, "document.querySelector('#item-gin [role=switch]').ariaChecked === 'false'")
    assert "Rupture" in page.inner_text("#item-gin")
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "an item out of stock on a phone")
    page.screenshot(path=str(artifacts / "shelf-switched-phone.png"), full_page=True)
    assert console_errors == []


def test_the_shelf_mode_on_the_settings_page_on_a_phone(
    browser: Any, server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=PHONE, locale="en-GB")
    log_in(page, server, PASSWORD)
    page.goto(f"{server}/bar/settings")
    assert page.locator("input[name=shelf_mode][value=free]").is_checked()
    page.check("input[name=shelf_mode][value=strict]")
    page.select_option("#standard_drink_grams", "10")
    assert horizontal_overflow(page) == 0
    assert_accessible(page, "the settings page with the shelf mode")
    page.screenshot(path=str(artifacts / "settings-shelf-phone.png"), full_page=True)
    page.click(".settings-form button[type=submit]")
    page.wait_for_url(f"{server}/bar/settings?saved=true")
    assert page.locator("input[name=shelf_mode][value=strict]").is_checked()
    assert page.input_value("#standard_drink_grams") == "10"
    assert console_errors == []
