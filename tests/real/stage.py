"""The drink stage with a real model: barapp and a small model on llama.cpp (the real tier's
server), one wish per screen size typed into Debian's Chromium, and screenshots of the card
while the model writes and once it is done (`stage-real-<size>-<moment>.png` in
test-artifacts/). Fakes write tidy recipes; a real small model writes long steps, odd glasses
and half-sentences, and this is where the layout meets them. Never part of `make test`:

    .venv/bin/python -m tests.real.stage --model gemma3:270m

It prints, per size, whether the whole drink was on the screen at the end (at 1024x768) and
whether anything scrolled sideways.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from tests.browsing import CHROMIUM_ARGS, SIZES, chromium_path, horizontal_overflow
from tests.real.run import ROOT, SCRATCH, find_models, running, wait_until_up
from tests.serving import free_port

WISHES = {
    "tablet": ("en", "something fresh with gin and basil for a summer evening"),
    "portrait": ("fr", "un cocktail doux à la fraise pour un anniversaire"),
    "phone": ("en", "a smoky whisky drink for a rainy night"),
}
IN_VIEW = """s => { const e = document.querySelector(s); if (!e) return null;
  const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gemma3:270m")
    parser.add_argument("--venv", type=Path, default=SCRATCH)
    args = parser.parse_args(argv)
    models = find_models(args.venv, [args.model])
    work = Path(tempfile.mkdtemp(prefix="barapp-stage-"))
    shots = ROOT / "test-artifacts"
    shots.mkdir(exist_ok=True)
    llama_port, app_port = free_port(), free_port()
    server = [str(args.venv / "bin" / "python"), str(ROOT / "tests/real/llamacpp_ollama.py")]
    server += ["--port", str(llama_port), *(f"--model={n}={p}" for n, p in models.items())]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work}/barapp.sqlite3",
        "MEDIA_DIR": str(work / "media"),
        "OLLAMA_HOST": f"127.0.0.1:{llama_port}",
        "OLLAMA_DEFAULT_MODEL": args.model,
        "OLLAMA_MODELS": args.model,
        "IMAGE_PROVIDER": "illustration",
        "GUEST_WISHES_PER_HOUR": "0",
        "IP_WISHES_PER_HOUR": "0",
        "KIOSK_IDLE_SECONDS": "0",
    }
    app = [str(ROOT / ".venv" / "bin" / "barapp"), "serve", "--port", str(app_port)]
    from playwright.sync_api import sync_playwright

    with (
        running(server, work / "llamacpp.log") as llama,
        running(app, work / "barapp.log", cwd=work, env=env) as barapp,
        sync_playwright() as playwright,
    ):
        wait_until_up(f"http://127.0.0.1:{llama_port}/api/version", llama, work / "llama.log", 300)
        base = f"http://127.0.0.1:{app_port}"
        wait_until_up(f"{base}/generate", barapp, work / "barapp.log", 60)
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for size, (lang, wish) in WISHES.items():
            page = browser.new_page(viewport=SIZES[size])
            page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
            page.goto(f"{base}/generate")
            page.fill("#wish", wish)
            start = time.monotonic()
            page.press("#wish", "Enter")
            page.wait_for_selector(".drink-filling .ingredients li", timeout=600_000)
            page.screenshot(path=str(shots / f"stage-real-{size}-during.png"))
            page.wait_for_selector(".drink-cheers, .outcome", timeout=900_000)
            seconds = time.monotonic() - start
            page.screenshot(path=str(shots / f"stage-real-{size}-after.png"))
            seen = {
                part: page.evaluate(IN_VIEW, selector)
                for part, selector in (
                    ("name", ".drink-name"),
                    ("picture", ".drink-visual .picture"),
                    ("last ingredient", ".drink .ingredients li:last-child"),
                    ("last step", ".drink .steps li:last-child"),
                    ("actions", ".drink-actions"),
                )
            }
            counts = page.evaluate(
                "[document.querySelectorAll('.drink .ingredients li').length,"
                " document.querySelectorAll('.drink .steps li').length]"
            )
            print(
                f"{size:9} {lang} {seconds:4.0f} s  {counts[0]} ingredients, {counts[1]} steps  "
                f"sideways: {horizontal_overflow(page)} px  on screen: {seen}",
                flush=True,
            )
            page.close()
        browser.close()
    print(f"logs in {work}; screenshots in {shots}/stage-real-*.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
