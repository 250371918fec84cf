"""axe-core on every page a guest or a bartender can open, in both languages, on a tablet and
a phone: zero violations, nothing wider than the screen. The wish page's live states are
checked where they happen (tests/test_stage_browser.py), the home and the header in
tests/test_tablet_browser.py.
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
)
from tests.serving import bar_env, serve, stocked_bar

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
GUEST_PAGES = ["/", "/cocktails", "/cocktails?q=basil", "/cocktails/basil-smash", "/generate"]
GUEST_PAGES += ["/login", "/cocktails/no-such-drink"]
STAFF_PAGES = ["/bar", "/bar/generations", "/bar/settings", "/bar/shelf", "/cocktails/basil-smash"]
STAFF_PAGES += ["/cocktails/basil-smash/edit", "/cocktails/basil-smash/delete", "/generate"]


@pytest.fixture(scope="module")
def menu_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """barapp serve with the house menu, one bartender, and no Ollama (the wish page then
    shows its notice)."""
    home = tmp_path_factory.mktemp("a11y")
    env = bar_env(home, OLLAMA_HOST="127.0.0.1:9")
    stocked_bar(env, PASSWORD)
    with serve(env) as url:
        yield url


def visit(page: Any, url: str, path: str, state: str) -> None:
    page.goto(f"{url}{path}")
    assert horizontal_overflow(page) == 0, f"{state}: scrolls sideways"
    assert_accessible(page, state)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_every_page_passes_axe(
    browser: Any, menu_server: str, console_errors: list[str], size: str, lang: str
) -> None:
    viewport = TABLET if size == "tablet" else PHONE
    guest = open_page(browser, console_errors, viewport=viewport)
    guest.context.add_cookies([{"name": "lang", "value": lang, "url": menu_server}])
    for path in GUEST_PAGES:
        visit(guest, menu_server, path, f"guest {path} ({size}, {lang})")
    guest.close()

    staff = open_page(browser, [], viewport=viewport)
    staff.context.add_cookies([{"name": "lang", "value": lang, "url": menu_server}])
    log_in(staff, menu_server, PASSWORD)
    for path in STAFF_PAGES:
        visit(staff, menu_server, path, f"bartender {path} ({size}, {lang})")
    staff.close()
    # The unknown cocktail's 404 is the only error the console may report.
    assert [e for e in console_errors if "404" not in e] == []


def test_the_checker_sees_what_it_must(browser: Any) -> None:
    """axe-core really runs: an image without a text and an unlabelled field are found."""
    from tests.browsing import accessibility_violations

    page = browser.new_page()
    page.set_content(
        '<html lang="en"><title>t</title><main><img src="/x.png"><input></main></html>'
    )
    found = " ".join(accessibility_violations(page))
    assert "image-alt" in found and "label" in found
    page.close()
