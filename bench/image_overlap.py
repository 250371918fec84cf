"""Picture overlap benchmark: from the wish to the drink's picture on screen, with a slow model
and a slow image service, against the sequential pipeline (recipe, then picture).

    python bench/image_overlap.py [--wishes 3] [--recipe-seconds 10] [--image-seconds 8]

Everything goes through real HTTP on 127.0.0.1, in three processes beside this one (the
guest): one `barapp serve` (SQLite and MEDIA_DIR in a temporary folder), the fake Ollama of
tests/fake_ollama.py (its CLI) and the fake Stability AI of tests/fake_images.py (run by this
script with `--serve-images PORT`, to log when each image request arrives).

The fake model takes --recipe-seconds from the app's /api/chat request to its last line: a
0.2 s time to first token INCLUDED, then the document's N tokens (the fake's cocktail for the wish,
tokenized as the fake does) at N / (recipe-seconds - 0.2) tokens/s. The fake image server
answers each picture --image-seconds after the request arrived (its drawing included).

Per wish, one after another (t0 = just before `POST /generate`, all times in seconds after t0,
wall clock of the machine, shared by the processes):
- first token: the app received the model's first fragment (`generation.first_token_at`);
- image asked: the fake image server received the picture request;
- recipe: the SSE event `result` (the saved cocktail's card) reached this client;
- picture: the first SSE event whose data holds `<img src="/media/...">` reached this client
  (the `picture` event, or `result` itself when the picture came first) - "picture on screen",
  leaving out the browser's download of the 480 px WebP.
The media folder is emptied before each wish: the fake draws the same picture for the same
prompt, and the app would otherwise skip the WebP encoding already done for the first wish.

The sequential pipeline would show the picture at recipe + image seconds: shown with the
measured recipe time, and nominally (10 + 8 = 18 s). Target: median time to picture <= 12 s.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import os
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

# The processes are started and stopped as the stream benchmark does (bench/ is this
# script's folder, so its sibling imports as `stream`).
from stream import Proc, free_port, wait_ready
from stream import spawn as start_process

from barapp.wishes import prompt
from barapp.wishes.jsonstream import JSONStream, ValueDone

ROOT = Path(__file__).resolve().parent.parent
MODEL = "llama3.1:8b"
BAR_NAME = "barapp"
TTFT = 0.2
TARGET_SECONDS = 12.0
SSE_LINK = re.compile(r'sse-connect="/generations/([0-9a-f-]{36})/events"')
PICTURE = 'src="/media/'
IMAGE_LOG = "IMAGE-REQUEST"


def fake_module(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"tests.{name}")


def recipe_plan(wish: str) -> tuple[int, int]:
    """(N tokens the fake writes for this wish, index of the token that completes
    `image_prompt` for the app's own parser)."""
    fo = fake_module("fake_ollama")
    body = {"messages": prompt.messages(wish, BAR_NAME), "format": prompt.SCHEMA}
    tokens = fo.tokenize(fo.render_content(None, body))
    parser, at = JSONStream(), -1
    for i, token in enumerate(tokens):
        done = [e for e in parser.feed(token) if isinstance(e, ValueDone)]
        if at < 0 and any(e.path == ("image_prompt",) for e in done):
            at = i
    return len(tokens), at


def serve_images(port: int, seconds: float) -> None:
    """The fake Stability AI; prints IMAGE-REQUEST <time.time()> as each picture is asked."""
    fake = fake_module("fake_images").FakeImageServer(
        port=port, seconds_per_image=seconds, record=False
    )

    def record(req: Any) -> None:
        if req.path.endswith("/text-to-image"):
            print(f"{IMAGE_LOG} {time.time():.6f}", flush=True)

    fake._record = record
    signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)  # for sigwait, in every thread
    fake.start()
    print(f"fake Stability AI on {fake.url}", flush=True)
    signal.sigwait(signals)
    fake.stop()


# --- Processes --------------------------------------------------------------------------


def spawn(name: str, args: list[str], env: dict[str, str], workdir: Path, ready: str) -> Proc:
    """`python ARGS` ("{port}": a free port), once GET <ready> answers 200."""
    port = free_port()
    command = [sys.executable, *(a.replace("{port}", str(port)) for a in args)]
    proc = start_process(name, command, env, workdir, port)
    try:
        wait_ready(proc, ready)
    except BaseException:
        proc.stop()
        raise
    return proc


# --- One wish ---------------------------------------------------------------------------


@dataclass
class Wish:
    gen_id: str
    t0: float
    recipe: float = float("nan")
    picture: float = float("nan")
    first_token: float = float("nan")
    image_asked: float = float("nan")
    tokens: int = 0


def run_wish(client: httpx.Client, wish: str, media_dir: Path) -> Wish:
    shutil.rmtree(media_dir, ignore_errors=True)
    if "x-csrf-token" not in client.headers:
        # As a browser: the wish page gives the session cookie and its CSRF token.
        page = client.get("/generate")
        found_token = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', page.text)
        if not found_token:
            raise RuntimeError("GET /generate: no CSRF token in the page")
        client.headers["x-csrf-token"] = found_token.group(1)
    t0 = time.time()
    answer = client.post(
        "/generate", data={"wish": wish, "model": MODEL}, headers={"HX-Request": "true"}
    )
    found = SSE_LINK.search(answer.text)
    if answer.status_code != 200 or not found:
        raise RuntimeError(f"POST /generate: HTTP {answer.status_code}, no sse-connect")
    result = Wish(found.group(1), t0)
    url = f"/generations/{result.gen_id}/events"
    with client.stream("GET", url, headers={"Accept": "text/event-stream"}) as events:
        name, data = "", []
        for line in events.iter_lines():
            if line:
                field, _, value = line.partition(":")
                if field == "event":
                    name = value.strip()
                elif field == "data":
                    data.append(value.removeprefix(" "))
                continue
            at = time.time() - t0  # a blank line: the event is complete
            if name == "result":
                result.recipe = at
            if PICTURE in "\n".join(data) and math.isnan(result.picture):
                result.picture = at
            if name == "end":
                break
            name, data = "", []
    return result


def add_app_side(wishes: list[Wish], database: Path, image_log: Path) -> None:
    """First token (the app's record) and image request arrival (the fake's log)."""
    asked = [
        float(line.split()[1])
        for line in image_log.read_text().splitlines()
        if line.startswith(IMAGE_LOG)
    ]
    with contextlib.closing(sqlite3.connect(database)) as db:
        for i, w in enumerate(wishes):
            end = wishes[i + 1].t0 if i + 1 < len(wishes) else float("inf")
            mine = [t for t in asked if w.t0 <= t < end]
            if mine:
                w.image_asked = mine[0] - w.t0
            row = db.execute(
                "SELECT first_token_at, output_tokens FROM generation WHERE id = ?", (w.gen_id,)
            ).fetchone()
            if row and row[0]:
                w.first_token = datetime.fromisoformat(str(row[0])).timestamp() - w.t0
                w.tokens = int(row[1] or 0)


# --- Main -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wishes", type=int, default=3)
    parser.add_argument("--recipe-seconds", type=float, default=10.0)
    parser.add_argument("--image-seconds", type=float, default=8.0)
    parser.add_argument("--serve-images", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_images:
        serve_images(args.serve_images, args.image_seconds)
        return

    wish = "something fresh with gin and basil"
    n_tokens, prompt_token = recipe_plan(wish)
    rate = n_tokens / (args.recipe_seconds - TTFT)
    image_expected = TTFT + prompt_token / rate
    print(
        f"Fake model: {n_tokens} tokens, ttft {TTFT:g} s + {rate:.2f} tokens/s = "
        f"{args.recipe_seconds:g} s per recipe; image_prompt complete at token "
        f"{prompt_token + 1}/{n_tokens} (expected {image_expected:.2f} s after the app's request)"
    )
    print(f"Fake image server: {args.image_seconds:g} s per picture (Stability AI v1 API)")
    print(f"Cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} (3 servers + guest)")

    with tempfile.TemporaryDirectory(prefix="barapp-overlap-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k != "OLLAMA_MODELS"}
        procs: list[Proc] = []
        try:
            ollama_args = ["-m", "tests.fake_ollama", "--port", "{port}", "--scenario", "ok"]
            ollama_args += ["--tokens-per-second", repr(rate), "--ttft", repr(TTFT), "--quiet"]
            fake_env = {**env, "PYTHONPATH": str(ROOT)}
            procs.append(spawn("fake-ollama", ollama_args, fake_env, root, "/api/version"))
            images_args = [__file__, "--serve-images", "{port}"]
            images_args += ["--image-seconds", repr(args.image_seconds)]
            procs.append(spawn("fake-images", images_args, env, root, "/_fake/scenario"))
            media_dir = root / "media"
            env.update(
                DATABASE_URL=f"sqlite:///{root / 'bench.sqlite3'}",
                SECRET_KEY="bench-secret-key-not-for-production",
                MEDIA_DIR=str(media_dir),
                OLLAMA_HOST=procs[0].url,
                OLLAMA_DEFAULT_MODEL=MODEL,
                DEFAULT_LANGUAGE="en",
                BAR_NAME=BAR_NAME,
                GUEST_WISHES_PER_HOUR="0",
                IP_WISHES_PER_HOUR="0",
                IMAGE_PROVIDER="stability",
                STABILITY_API_KEY="sk-test",
                STABILITY_API_HOST=procs[1].url,
            )
            serve = ["-m", "barapp", "serve", "--host", "127.0.0.1", "--port", "{port}"]
            procs.append(spawn("app", serve, env, root, "/healthz"))
            timeout = httpx.Timeout(args.recipe_seconds + args.image_seconds + 60)
            with httpx.Client(base_url=procs[2].url, timeout=timeout) as client:
                wishes = [run_wish(client, wish, media_dir) for _ in range(args.wishes)]
            add_app_side(wishes, root / "bench.sqlite3", procs[1].log_path)
        finally:
            for proc in reversed(procs):
                proc.stop()
    report(wishes, args, n_tokens, image_expected)


def report(wishes: list[Wish], args: argparse.Namespace, n_tokens: int, expected: float) -> None:
    heads = ("first token", "image asked", "recipe", "picture")
    print("\n" + f"{'wish':>4}" + "".join(f"{h:>13}" for h in heads) + "   (s after POST)")
    for i, w in enumerate(wishes, 1):
        cells = (w.first_token, w.image_asked, w.recipe, w.picture)
        print(f"{i:>4}" + "".join(f"{c:>13.2f}" for c in cells))
    if any(w.tokens != n_tokens for w in wishes):
        print(f"  (the app counted {[w.tokens for w in wishes]} tokens, {n_tokens} expected)")
    if any(math.isnan(w.picture) for w in wishes):
        print("  (nan picture: no <img src=/media/...> arrived; see the picture's image_error)")
    recipe_s, image_s = args.recipe_seconds, args.image_seconds
    recipe = statistics.median(w.recipe for w in wishes)
    picture = statistics.median(w.picture for w in wishes)
    late = statistics.median(w.picture - max(w.recipe, w.image_asked + image_s) for w in wishes)
    sequential = recipe + image_s
    print(f"\nmedian time to recipe:   {recipe:6.2f} s")
    print(f"median time to picture:  {picture:6.2f} s   (wish -> <img src=/media/...> event)")
    print(f"  beyond max(recipe, image asked + {image_s:g} s): {late:.2f} s (store, save, send)")
    ideal = max(recipe_s, expected + image_s)
    print(f"  ideal overlap: max({recipe_s:g}, {expected:.2f} + {image_s:g}) = {ideal:.2f} s")
    print(
        f"sequential pipeline:     {sequential:6.2f} s   (measured recipe + {image_s:g} s;"
        f" nominal {recipe_s:g} + {image_s:g} = {recipe_s + image_s:g} s)"
    )
    print(f"saved by the overlap:    {sequential - picture:6.2f} s")
    verdict = "met" if picture <= TARGET_SECONDS else "NOT met"
    print(f"target: time to picture <= {TARGET_SECONDS:g} s: {verdict}")


if __name__ == "__main__":
    main()
