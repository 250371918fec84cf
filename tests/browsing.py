"""What every browser test needs: Debian's Chromium, the three screen sizes, a page that
records console errors, waiting without `eval`, and axe-core's verdict on a page.

The `browser` fixture (conftest.py) launches Chromium once per module.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import Any

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TABLET = {"width": 1024, "height": 768}
TABLET_PORTRAIT = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
SIZES = {"tablet": TABLET, "portrait": TABLET_PORTRAIT, "phone": PHONE}


def chromium_path() -> str:
    path = os.environ.get("BARAPP_CHROMIUM") or shutil.which("chromium")
    if not path:
        message = "Chromium not found (apt-get install chromium, or set BARAPP_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def open_page(browser: Any, errors: list[str], **options: Any) -> Any:
    page = browser.new_page(**options)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def wait_until(page: Any, expression: str, timeout: float = 30.0) -> None:
    """`page.wait_for_function` without its `eval`, which the app's CSP (no 'unsafe-eval')
    refuses: `page.evaluate` goes through the DevTools protocol, which the CSP does not govern.
    Like it, it keeps polling across a navigation (htmx reloads a page missing from history)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error as exc:
            if "context was destroyed" not in exc.message:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than its viewport (0 when nothing scrolls sideways)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def accessibility_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now, one line each (rule, impact, where)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


def assert_accessible(page: Any, state: str) -> None:
    violations = accessibility_violations(page)
    assert violations == [], f"axe-core on {state}:\n" + "\n".join(violations)


def log_in(page: Any, url: str, password: str, name: str = "marie") -> None:
    """A bartender's login through the login page, ending on the bartender's home."""
    page.goto(f"{url}/login")
    page.fill("#login-name", name)
    page.fill("#login-password", password)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{url}/bar")
