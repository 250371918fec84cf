"""The tablet on the counter in a real headless Chromium, served by a real `barapp serve`: the
idle timer that brings it home for the next guest, the home itself, the manifest, a visible
keyboard focus on the cards, and the header on a phone.

Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import time
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

IDLE = 2  # seconds: the kiosk server's KIOSK_IDLE_SECONDS
BAR_NAME = "Le Comptoir de Marie"  # 20 characters
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def home_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path_factory.mktemp("tablet")
    env = bar_env(home, BAR_NAME=BAR_NAME, DEFAULT_LANGUAGE="fr")
    stocked_bar(env, PASSWORD)
    yield home, env


@pytest.fixture(scope="module")
def kiosk_server(home_dir: tuple[Path, dict[str, str]]) -> Iterator[str]:
    """A tablet that goes home after IDLE seconds."""
    _, env = home_dir
    with serve({**env, "KIOSK_IDLE_SECONDS": str(IDLE)}) as url:
        yield url


@pytest.fixture(scope="module")
def still_server(home_dir: tuple[Path, dict[str, str]]) -> Iterator[str]:
    """The same bar without the idle timer, for the tests that look at a page for a while."""
    _, env = home_dir
    with serve({**env, "KIOSK_IDLE_SECONDS": "0"}) as url:
        yield url


def guest_page(browser: Any, errors: list[str], **options: Any) -> Any:
    # A browser language the bar does not speak: DEFAULT_LANGUAGE (fr) decides without a choice.
    return open_page(browser, errors, locale="de-DE", **{"viewport": TABLET, **options})


# The idle timer ------------------------------------------------------------------------------


def test_an_idle_wish_page_goes_home_in_the_bars_language_without_the_typed_wish(
    browser: Any, kiosk_server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = guest_page(browser, console_errors)
    page.goto(f"{kiosk_server}/generate")
    assert page.evaluate("document.documentElement.lang") == "fr"
    # The guest switches to English, then types a wish (kept as the wish page's draft).
    page.click(".lang-switch a[hreflang=en]")
    wait_until(page, "document.documentElement.lang === 'en' && !!document.querySelector('#wish')")
    page.locator("#wish").press_sequentially("something smoky with mezcal", delay=20)
    page.evaluate("sessionStorage.setItem('barapp.wish', document.querySelector('#wish').value)")
    typed = time.monotonic()
    assert page.evaluate("location.pathname") == "/generate"

    wait_until(page, "location.pathname === '/' && document.documentElement.lang === 'fr'", 20)
    assert time.monotonic() - typed >= IDLE - 0.2
    assert page.inner_text(".home-action") == "Faire un vœu"
    assert page.locator("#wish").count() == 0
    assert "something smoky" not in page.inner_text("body")
    # Cleared before leaving (htmx then writes its own key on the new page).
    assert page.evaluate("sessionStorage.getItem('barapp.wish')") is None
    assert [c for c in page.context.cookies() if c["name"] == "lang"] == []
    page.screenshot(path=str(artifacts / "kiosk-after-idle-tablet.png"))
    # The next guest's wish page starts empty.
    page.click(".home-action a")
    page.wait_for_url(f"{kiosk_server}/generate")
    assert page.input_value("#wish") == ""
    assert console_errors == []


ACTIVITY = ["wheel", "key", "tap"]


def test_activity_postpones_the_reset_of_a_cocktail_page(
    browser: Any, kiosk_server: str, console_errors: list[str]
) -> None:
    page = guest_page(browser, console_errors)
    page.goto(f"{kiosk_server}/cocktails/basil-smash")
    page.click(".lang-switch a[hreflang=en]")
    wait_until(page, "document.documentElement.lang === 'en'")
    # A guest reading the recipe: a scroll, a key, a tap every 0.6 s, for twice the idle time.
    start = last = time.monotonic()
    step = 0
    while time.monotonic() - start < 2 * IDLE + 0.5:
        kind = ACTIVITY[step % len(ACTIVITY)]
        if kind == "wheel":
            page.mouse.wheel(0, 60 if step % 2 else -60)
        elif kind == "key":
            page.keyboard.press("Shift")
        else:
            page.mouse.click(5, 400)  # the page's margin: nothing to follow there
        last = time.monotonic()
        step += 1
        time.sleep(0.6)
        assert page.evaluate("location.pathname") == "/cocktails/basil-smash"
    assert page.inner_text(".drink-page .drink-name") == "Gin Basil Smash"

    # The guest walks away: the drink leaves the screen.
    wait_until(page, "location.pathname === '/'", 20)
    assert time.monotonic() - last >= IDLE - 0.2
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.locator(".drink-page .drink-name").count() == 0
    assert page.locator(".home-latest .card").count() == 5  # the house menu, all of it
    assert console_errors == []


def test_the_fresh_home_stays_put_and_only_forgets(
    browser: Any, kiosk_server: str, console_errors: list[str]
) -> None:
    page = guest_page(browser, console_errors, viewport=PHONE)
    page.goto(f"{kiosk_server}/")
    page.evaluate("window.__sameDocument = true; sessionStorage.setItem('barapp.wish', 'gin')")
    page.mouse.wheel(0, 600)
    wait_until(page, "window.scrollY > 0")
    # Idle on the home in the bar's language: no reload, back to the top, the draft gone.
    wait_until(page, "window.scrollY === 0 && sessionStorage.getItem('barapp.wish') === null", 20)
    time.sleep(IDLE + 0.5)
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("location.pathname") == "/"
    assert console_errors == []


def test_a_bartenders_tablet_has_no_idle_timer(browser: Any, kiosk_server: str) -> None:
    context = browser.new_context(viewport=TABLET, locale="de-DE")
    page = context.new_page()
    log_in_as_marie(page, kiosk_server)
    page.goto(f"{kiosk_server}/cocktails/basil-smash")
    assert page.get_attribute("body", "data-kiosk-idle") is None
    time.sleep(IDLE + 1)
    assert page.evaluate("location.pathname") == "/cocktails/basil-smash"
    context.close()


# The home and the manifest -------------------------------------------------------------------


def test_the_home_at_tablet_and_phone_sizes(
    browser: Any, kiosk_server: str, artifacts: Path, console_errors: list[str]
) -> None:
    for name, viewport in (("home-tablet.png", TABLET), ("home-phone.png", PHONE)):
        page = guest_page(browser, console_errors, viewport=viewport)
        page.goto(f"{kiosk_server}/")
        wait_until(
            page,
            # The pictures on screen (the others load lazily, when scrolled to).
            "[...document.querySelectorAll('.card .picture img')]"
            ".filter(i => i.getBoundingClientRect().top < innerHeight)"
            ".every(i => i.complete && i.naturalWidth > 0)",
        )
        assert page.title() == BAR_NAME
        assert horizontal_overflow(page) == 0
        button = page.locator(".home-action .button-big").bounding_box()
        assert button["height"] >= 64
        # The way to a wish is seen without scrolling.
        assert button["y"] + button["height"] <= viewport["height"]
        assert_accessible(page, f"the home at {viewport['width']}x{viewport['height']}")
        page.screenshot(path=str(artifacts / name))
        page.close()
    assert console_errors == []


CSP_LISTENER = (
    "window.__csp = []; document.addEventListener('securitypolicyviolation', "
    "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))"
)


def test_chromium_reads_the_manifest_under_the_csp(
    browser: Any, still_server: str, console_errors: list[str]
) -> None:
    page = guest_page(browser, console_errors)
    page.add_init_script(CSP_LISTENER)
    page.goto(f"{still_server}/")
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == f"{still_server}/manifest.webmanifest"
    assert manifest["errors"] == []
    # As Chromium read it: the bar's name, full screen from the home, app.css's colours.
    read = manifest["manifest"]
    assert read["name"] == BAR_NAME
    assert (read["display"], read["startUrl"]) == ("kFullscreen", f"{still_server}/")
    assert read["themeColor"] == "rgba(255,255,255,1)"
    assert read["backgroundColor"] == "rgba(247,243,236,1)"
    assert {icon["sizes"] for icon in read["icons"]} >= {"192x192", "512x512"}
    assert page.evaluate("window.__csp") == []
    assert console_errors == []


# Keyboard focus on the gallery's cards -------------------------------------------------------


def focus_pixels(page: Any, box: dict[str, float]) -> int:
    """How many pixels of the ring just around `box` (6 px wide, outside it) are the focus
    colour, in a screenshot of the page as it is."""
    import io

    from PIL import Image

    margin = 6
    clip = {
        "x": box["x"] - margin,
        "y": box["y"] - margin,
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    image = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
    focus = (0x1D, 0x5F, 0xD1)  # app.css's light --focus
    width, height = image.size
    count = 0
    for x in range(width):
        for y in range(height):
            inside = margin < x < width - margin and margin < y < height - margin
            if inside:
                continue
            pixel = image.getpixel((x, y))
            if all(abs(a - b) < 40 for a, b in zip(pixel, focus, strict=True)):
                count += 1
    return count


def test_a_card_focused_with_the_keyboard_shows_its_ring(
    browser: Any, still_server: str, artifacts: Path, console_errors: list[str]
) -> None:
    page = guest_page(browser, console_errors, viewport=TABLET, color_scheme="light")
    page.goto(f"{still_server}/cocktails")
    card = page.locator(".cards .card").first
    page.locator("#sort").focus()
    before = focus_pixels(page, card.bounding_box())
    # From the last filter to the Show button, then to the first card's link.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('card-link')")
    assert page.evaluate(
        "document.activeElement === document.querySelector('.cards .card .card-link')"
    )
    box = card.bounding_box()
    ring = focus_pixels(page, box)
    # Most of the ring's perimeter (3 px wide all round the card) is in the focus colour.
    perimeter = 2 * (box["width"] + box["height"])
    assert before == 0
    assert ring > 2 * perimeter, (ring, perimeter)
    page.screenshot(
        path=str(artifacts / "card-focus-tablet.png"),
        clip={"x": box["x"] - 12, "y": box["y"] - 12, "width": box["width"] + 24, "height": 300},
    )
    assert console_errors == []


# The header on a phone -----------------------------------------------------------------------


def log_in_as_marie(page: Any, url: str) -> None:
    log_in(page, url, PASSWORD)


HEADER_LAYOUT = """() => {
  const header = document.querySelector('.site-header');
  const box = header.getBoundingClientRect();
  const parts = [...header.querySelectorAll('.brand, .site-nav a, .lang-switch a, .logout button')];
  const tops = [];
  const problems = [];
  for (const part of parts) {
    const r = part.getBoundingClientRect();
    tops.push(r.top);
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5) problems.push('outside: ' + part.textContent.trim());
    // Nothing cut: each piece's text fits in it, on one line.
    if (part.scrollWidth > part.clientWidth + 1) problems.push('clipped: ' + part.textContent.trim());
    if (part.matches('.site-nav a, .lang-switch a, .logout button') && r.height > 60) problems.push('wrapped: ' + part.textContent.trim());
  }
  const name = header.querySelector('.brand span');
  if (name.scrollWidth > name.clientWidth + 1) problems.push('bar name clipped');
  // Rows: the pieces' tops, a new row wherever two tops are more than 20 px apart.
  tops.sort((a, b) => a - b);
  const rows = tops.filter((top, i) => i === 0 || top - tops[i - 1] > 20).length;
  return {rows, height: box.height, problems,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_header_fits_a_phone_in_two_rows(
    browser: Any, still_server: str, artifacts: Path, console_errors: list[str], lang: str
) -> None:
    for who in ("guest", "bartender"):
        context = browser.new_context(viewport=PHONE, locale="de-DE")
        page = context.new_page()
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        if who == "bartender":
            log_in_as_marie(page, still_server)
        page.goto(f"{still_server}/language/{lang}?next=/cocktails")
        page.wait_for_url(f"{still_server}/cocktails")
        layout = page.evaluate(HEADER_LAYOUT)
        assert layout["problems"] == [], (who, lang, layout)
        assert layout["rows"] <= 2, (who, lang, layout)
        assert layout["overflow"] == 0, (who, lang, layout)
        assert BAR_NAME in page.inner_text(".site-header .brand")
        suffix = "" if who == "guest" else "-bartender"
        page.screenshot(
            path=str(artifacts / f"header-phone-{lang}{suffix}.png"),
            clip={"x": 0, "y": 0, "width": PHONE["width"], "height": 200},
        )
        assert_accessible(page, f"the {who}'s gallery at 390 px in {lang}")
        context.close()
    assert console_errors == []
