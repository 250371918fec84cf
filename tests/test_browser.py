"""The gallery in a real headless Chromium (Debian's), served by a real `barapp serve`.

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browsing import PHONE, TABLET, TABLET_PORTRAIT, open_page, wait_until
from tests.factories import cocktail_doc
from tests.serving import serve

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home}/live.sqlite3",
        "MEDIA_DIR": str(home / "media"),
        "BAR_NAME": "Le Zinc",
        "DEFAULT_LANGUAGE": "en",
    }
    menu = json.loads((ROOT / "examples" / "house-menu.json").read_text())
    menu += [
        cocktail_doc(f"Evening Sour {i:02d}", created_at=f"2026-06-{i + 1:02d}T20:00:00+00:00")
        for i in range(25)
    ]
    (home / "menu.json").write_text(json.dumps(menu))
    python = [sys.executable, "-m", "barapp"]
    subprocess.run([*python, "import", str(home / "menu.json")], env=env, check=True, timeout=60)
    with serve(env) as url:
        yield url


def card_names(page: Any) -> list[str]:
    return [str(name) for name in page.locator(".card-title").all_inner_texts()]


def test_search_swaps_results_without_a_page_load_and_the_url_follows(
    browser: Any, live_server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=TABLET)
    page.goto(f"{live_server}/cocktails")
    assert page.title() == "Cocktails · Le Zinc"
    assert len(card_names(page)) == 24
    # A marker on window survives an htmx swap and dies with a page load.
    page.evaluate("window.__sameDocument = true")

    page.locator("#q").press_sequentially("basil", delay=40)
    page.wait_for_url(f"{live_server}/cocktails?q=basil")
    wait_until(page, "document.querySelectorAll('.card').length === 1")
    assert card_names(page) == ["Gin Basil Smash"]
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=str(artifacts / "gallery-search-tablet.png"))

    page.select_option("#alcohol", "virgin")
    page.wait_for_url(f"{live_server}/cocktails?q=basil&alcohol=virgin")
    page.wait_for_selector(".empty-state")
    assert "No cocktail matches these filters." in page.inner_text("#results")
    assert page.evaluate("window.__sameDocument") is True

    # Back restores the previous filters from the URL (a real load of that URL).
    page.go_back()
    page.wait_for_url(f"{live_server}/cocktails?q=basil")
    wait_until(page, "document.querySelectorAll('.card').length === 1")
    assert page.input_value("#q") == "basil"
    assert page.input_value("#alcohol") == ""
    assert console_errors == []


def test_next_page_loads_when_the_end_is_reached(
    browser: Any, live_server: str, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=TABLET)
    page.goto(f"{live_server}/cocktails?sort=name")
    assert len(card_names(page)) == 24
    page.locator(".more").scroll_into_view_if_needed()
    wait_until(page, "document.querySelectorAll('.card').length === 30")
    names = card_names(page)
    assert names == sorted(names, key=str.casefold)
    assert len(set(names)) == 30
    assert page.locator(".more").count() == 0
    assert page.url == f"{live_server}/cocktails?sort=name"
    assert console_errors == []


def test_the_filter_form_works_without_javascript(browser: Any, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=TABLET)
    page = context.new_page()
    page.goto(f"{live_server}/cocktails")
    page.fill("#q", "menthe")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/cocktails?q=menthe&model=&alcohol=&strength=&sort=newest")
    assert card_names(page) == ["Virgin Mojito"]
    context.close()


def test_screenshots_at_tablet_and_phone_sizes(
    browser: Any, live_server: str, artifacts: Path, console_errors: list[str]
) -> None:
    shots = [
        ("gallery-tablet-landscape.png", TABLET, "light", "/cocktails"),
        ("gallery-tablet-portrait-dark.png", TABLET_PORTRAIT, "dark", "/cocktails"),
        ("gallery-phone.png", PHONE, "light", "/cocktails"),
        ("cocktail-tablet.png", TABLET, "dark", "/cocktails/basil-smash"),
        ("cocktail-phone.png", PHONE, "light", "/cocktails/virgin-mojito"),
    ]
    for name, viewport, scheme, path in shots:
        page = open_page(browser, console_errors, viewport=viewport, color_scheme=scheme)
        page.goto(f"{live_server}{path}")
        # Nothing wider than the screen: no sideways scrolling on a tablet or a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # Every link and control a finger uses is at least 44 px tall.
        small = page.evaluate(
            """() => [...document.querySelectorAll('a.button, button, select, input:not([type=hidden]), .lang-switch a, .site-nav a')]
                .filter(e => e.getBoundingClientRect().height < 44).map(e => e.outerHTML)"""
        )
        assert small == []
        page.screenshot(path=str(artifacts / name), full_page=name.startswith("cocktail"))
        assert (artifacts / name).stat().st_size > 10_000
        page.close()
    assert console_errors == []


@pytest.fixture(scope="module")
def wish_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """barapp serve talking to a fake Ollama that writes at a readable pace."""
    from tests.fake_ollama import FakeOllama, Scenario

    fake = FakeOllama(Scenario(ttft=0.3, tokens_per_second=25), models=["llama3.1:8b"])
    fake.start()
    home = tmp_path_factory.mktemp("wish")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home}/wish.sqlite3",
        "MEDIA_DIR": str(home / "media"),
        "OLLAMA_HOST": fake.host,
        "DEFAULT_LANGUAGE": "en",
    }
    try:
        with serve(env) as url:
            yield url, fake
    finally:
        fake.stop()


WATCH_LIVE_CARD = """() => {
  const steps = window.liveSteps = {names: [], counts: []};
  const note = () => {
    const name = document.querySelector('.drink-name');
    // The name as written so far, without the hidden "Your cocktail:" read before it.
    const text = name ? [...name.childNodes].filter(n => !n.classList?.contains('visually-hidden'))
      .map(n => n.textContent).join('').trim() : '';
    if (text && steps.names[steps.names.length - 1] !== text) steps.names.push(text);
    const count = document.querySelectorAll('.drink .ingredients li').length;
    if (name && steps.counts[steps.counts.length - 1] !== count) steps.counts.push(count);
  };
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_a_wish_fills_the_card_live_and_resumes_after_a_reload(
    browser: Any, wish_server: tuple[str, Any], artifacts: Path, console_errors: list[str]
) -> None:
    url, fake = wish_server
    page = open_page(browser, console_errors, viewport=TABLET)
    page.goto(f"{url}/generate")
    page.fill("#wish", "something fresh with gin and basil for a summer evening")
    assert page.inner_text("#wish-count") == "55 / 500"
    # The browser records every change of the card itself: polling from here could miss a step
    # on a loaded machine (two words of a name arrive 40 ms apart).
    page.evaluate(WATCH_LIVE_CARD)
    page.click("button[type=submit]")
    deadline = time.monotonic() + 30  # wait_for_function would need eval, which the CSP forbids
    while 2 not in page.evaluate("window.liveSteps.counts") and time.monotonic() < deadline:
        time.sleep(0.05)
    steps = page.evaluate("window.liveSteps")
    names, counts = steps["names"], steps["counts"]
    expected = json.loads(fake.last_chat.content)  # the cocktail the fake made for the wish
    # The name appeared in several steps, each a beginning of the final name...
    assert len(names) >= 2, names
    assert all(expected["name"].startswith(n.strip()) for n in names), names
    # ...and the ingredients one by one.
    assert counts[: counts.index(2) + 1][-2:] == [1, 2], counts
    page.screenshot(path=str(artifacts / "wish-streaming-tablet.png"))
    assert page.evaluate("location.pathname").startswith("/generations/")

    # A reload mid-stream replays the stream from its start into an empty card: no duplicates.
    page.reload()
    page.wait_for_selector(".drink-cheers", timeout=30_000)
    assert page.inner_text(".drink-name") == expected["name"]
    assert page.locator(".drink .ingredients li").count() == len(expected["ingredients"])
    assert page.locator(".drink .steps li").count() == len(expected["steps"])
    page.screenshot(path=str(artifacts / "wish-done-tablet.png"), full_page=True)
    link = page.locator(".drink-actions a[href^='/cocktails/']")
    link.click()
    page.wait_for_url(re.compile(r".*/cocktails/[0-9a-f-]{36}$"))
    assert page.inner_text(".drink-page .drink-name") == expected["name"]
    assert console_errors == []


def test_closing_the_tab_mid_stream_still_saves_the_cocktail(
    browser: Any, wish_server: tuple[str, Any]
) -> None:
    url, _ = wish_server
    before = httpx.get(f"{url}/cocktails").text.count('class="card"')
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{url}/generate")
    page.fill("#wish", "un cocktail frais au basilic")
    page.click("button[type=submit]")
    page.wait_for_selector(".drink .ingredients li", timeout=20_000)
    page.close()  # the guest walks away mid-stream
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/cocktails").text.count('class="card"') == before + 1:
            break
        time.sleep(0.3)
    assert httpx.get(f"{url}/cocktails").text.count('class="card"') == before + 1


@pytest.fixture(scope="module")
def picture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """barapp serve with a fake Ollama and a fake Stability whose pictures take longer than
    the recipe, so the card is seen before its picture."""
    from tests.fake_images import FakeImageServer
    from tests.fake_ollama import FakeOllama, Scenario

    fake = FakeOllama(Scenario(ttft=0.2, tokens_per_second=150), models=["llama3.1:8b"])
    images = FakeImageServer(seconds_per_image=4.0)
    fake.start()
    images.start()
    home = tmp_path_factory.mktemp("pictures")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home}/pictures.sqlite3",
        "MEDIA_DIR": str(home / "media"),
        "OLLAMA_HOST": fake.host,
        "DEFAULT_LANGUAGE": "en",
        "STABILITY_API_KEY": images.api_key,
        "STABILITY_API_HOST": images.url,
    }
    try:
        with serve(env) as url:
            yield url, images
    finally:
        images.stop()
        fake.stop()


def loaded_pictures(page: Any, selector: str) -> list[str]:
    """The sources of the pictures under `selector` that the browser really decoded."""
    return list(
        page.evaluate(
            """sel => [...document.querySelectorAll(sel)]
                .filter(img => img.complete && img.naturalWidth > 0).map(img => img.currentSrc)""",
            selector,
        )
    )


def test_the_picture_swaps_in_after_the_recipe(
    browser: Any, picture_server: tuple[str, Any], artifacts: Path, console_errors: list[str]
) -> None:
    url, images = picture_server
    page = open_page(browser, console_errors, viewport=TABLET)
    page.goto(f"{url}/generate")
    page.fill("#wish", "a pink gin sour with basil in a coupe")
    page.click("button[type=submit]")
    # The recipe is complete: the card is there, its picture still on the way (the shaker over
    # the built-in illustration).
    page.wait_for_selector(".drink-cheers", timeout=30_000)
    assert page.locator(".drink .picture-pending .shaker").count() == 1
    assert page.locator(".drink .picture-pending svg[role=img]").count() == 1  # the drawing
    page.screenshot(path=str(artifacts / "wish-picture-pending-tablet.png"), full_page=True)
    # Then the SDXL picture swaps in, without a reload, and the stream ends.
    page.evaluate("window.__sameDocument = true")
    page.wait_for_selector(".drink .picture img[src^='/media/']", timeout=20_000)
    wait_until(
        page,
        "[...document.querySelectorAll('.drink .picture img')].every(i => i.naturalWidth > 0)",
    )
    assert page.locator(".drink .picture-pending").count() == 0
    assert "/media/" in loaded_pictures(page, ".drink .picture img")[0]
    assert page.evaluate("window.__sameDocument") is True
    assert len(images.generations) == 1
    page.screenshot(path=str(artifacts / "wish-picture-ready-tablet.png"), full_page=True)

    # The cocktail page shows the full picture and who drew it; the gallery its thumbnail.
    page.locator(".drink-actions a[href^='/cocktails/']").click()
    page.wait_for_url(re.compile(r".*/cocktails/[0-9a-f-]{36}$"))
    wait_until(page, "document.querySelector('.drink-page .picture img').naturalWidth > 0")
    full = loaded_pictures(page, ".drink-page .picture img")
    assert full and "/media/" in full[0]
    assert "Stability AI (SDXL)" in page.inner_text(".picture-caption")
    page.screenshot(path=str(artifacts / "cocktail-picture-tablet.png"), full_page=True)
    page.goto(f"{url}/cocktails")
    wait_until(page, "document.querySelector('.card .picture img').naturalWidth > 0")
    assert loaded_pictures(page, ".card .picture img")
    # The card offers the thumbnail (Chromium may show the full picture it already has).
    assert page.get_attribute(".card .picture img", "src").endswith("-480.webp")
    page.screenshot(path=str(artifacts / "gallery-pictures-tablet.png"))
    assert console_errors == []


def test_gallery_illustrations_load_in_the_browser(
    browser: Any, live_server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = open_page(browser, console_errors, viewport=TABLET)
    page.goto(f"{live_server}/cocktails")
    wait_until(
        page,
        "[...document.querySelectorAll('.card .picture img')].slice(0, 6)"
        ".every(i => i.complete && i.naturalWidth > 0)",
    )
    drawn = loaded_pictures(page, ".card .picture img")
    assert len(drawn) >= 6
    assert all(src.endswith("/illustration.svg") for src in drawn)
    page.screenshot(path=str(artifacts / "gallery-illustrations-tablet.png"))
    assert console_errors == []


CSP_LISTENER = (
    "window.__csp = []; document.addEventListener('securitypolicyviolation', "
    "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))"
)


def test_the_app_works_under_its_strict_csp(
    browser: Any,
    live_server: str,
    wish_server: tuple[str, Any],
    artifacts: Path,
    console_errors: list[str],
) -> None:
    """htmx swaps, the pictures, the SSE extension: nothing the strict CSP refuses."""
    from barapp.web.security_headers import CONTENT_SECURITY_POLICY

    page = open_page(browser, console_errors, viewport=TABLET)
    page.add_init_script(CSP_LISTENER)  # before any of the page's own scripts, on every load

    def violations() -> list[str]:  # each load starts a new list: read it before leaving
        return list(page.evaluate("window.__csp"))

    response = page.goto(f"{live_server}/cocktails")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    wait_until(
        page,
        "[...document.querySelectorAll('.card .picture img')].slice(0, 4)"
        ".every(i => i.complete && i.naturalWidth > 0)",
    )
    page.evaluate("window.__sameDocument = true")
    page.locator("#q").press_sequentially("basil", delay=40)
    page.wait_for_url(f"{live_server}/cocktails?q=basil")
    wait_until(page, "document.querySelectorAll('.card').length === 1")
    assert page.evaluate("window.__sameDocument") is True  # an htmx swap, not a page load
    assert violations() == []

    page.locator(".card a.card-link").click()
    page.wait_for_url(re.compile(r".*/cocktails/[0-9a-f-]{36}$"))
    assert page.inner_text(".drink-page .drink-name") == "Gin Basil Smash"
    wait_until(page, "document.querySelector('.drink-page .picture img').naturalWidth > 0")
    assert violations() == []

    url, fake = wish_server
    response = page.goto(f"{url}/generate")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.fill("#wish", "something fresh with gin and basil for a summer evening")
    assert page.inner_text("#wish-count") == "55 / 500"  # counter.js, a file, runs
    page.click("button[type=submit]")
    page.wait_for_selector(".drink-cheers", timeout=30_000)  # filled by the SSE extension
    assert page.inner_text(".drink-name") == json.loads(fake.last_chat.content)["name"]
    assert page.evaluate("location.pathname").startswith("/generations/")
    page.screenshot(path=str(artifacts / "csp-wish-done-tablet.png"), full_page=True)
    assert violations() == []
    assert console_errors == []


@pytest.fixture(scope="module")
def bar_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """barapp serve with the house menu and one bartender account made by the CLI."""
    home = tmp_path_factory.mktemp("bar")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{home}/bar.sqlite3",
        "MEDIA_DIR": str(home / "media"),
        "DEFAULT_LANGUAGE": "en",
    }
    python = [sys.executable, "-m", "barapp"]
    menu = str(ROOT / "examples" / "house-menu.json")
    subprocess.run([*python, "import", menu], env=env, check=True, timeout=60)
    subprocess.run(
        [*python, "bartender", "add", "marie"],
        input="correct horse battery\n",
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    with serve(env) as url:
        yield url


def test_a_bartender_hides_a_cocktail_and_guests_no_longer_see_it(
    browser: Any, bar_server: str, artifacts: Path, console_errors: list[str]
) -> None:
    guest = open_page(browser, console_errors, viewport=TABLET)
    guest.goto(f"{bar_server}/cocktails")
    assert "Gin Basil Smash" in card_names(guest)

    # The bartender, on another tablet, logs in from the footer's link.
    tablet = browser.new_context(viewport=TABLET)
    bartender = tablet.new_page()
    bartender.on("pageerror", lambda exc: console_errors.append(str(exc)))
    bartender.goto(f"{bar_server}/cocktails")
    bartender.click("a.staff-link")
    bartender.fill("#login-name", "marie")
    bartender.fill("#login-password", "correct horse battery")
    bartender.click(".login-form button[type=submit]")
    bartender.wait_for_url(f"{bar_server}/bar")
    assert "Log out marie" in bartender.inner_text(".site-header")

    # Hide it from its card in the gallery: htmx swaps the card's controls in place.
    bartender.goto(f"{bar_server}/cocktails")
    card = bartender.locator(".card", has_text="Gin Basil Smash").first
    card.locator(".moderation button", has_text="Hide").click()
    card.locator(".badge-hidden").wait_for()
    bartender.screenshot(path=str(artifacts / "bartender-gallery-tablet.png"))

    guest.reload()
    assert "Gin Basil Smash" not in card_names(guest)
    slug_page = httpx.get(f"{bar_server}/cocktails/basil-smash")
    assert slug_page.status_code == 404
    # The guest has no way to the bartender's pages.
    assert guest.locator(".moderation").count() == 0
    guest.goto(f"{bar_server}/bar")
    assert guest.url.startswith(f"{bar_server}/login")

    # Logging out ends the bartender's session: /bar asks for a login again.
    bartender.goto(f"{bar_server}/bar")
    bartender.click(".logout button")
    bartender.wait_for_url(f"{bar_server}/cocktails")
    bartender.goto(f"{bar_server}/bar")
    assert bartender.url.startswith(f"{bar_server}/login")
    tablet.close()
    assert console_errors == []
