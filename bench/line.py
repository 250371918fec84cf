"""The line for the model: how long the next guest waits for the model while the previous
drink's picture is still being drawn (or never comes: a hanging image service).

    python bench/line.py [--wishes 3] [--tokens-per-second 60] [--images hang|slow]
    python bench/line.py --src /path/to/an/older/checkout/src   # the same, for older code

Three processes beside this one, over real HTTP on 127.0.0.1: `barapp serve` with
OLLAMA_CONCURRENCY=1 (SQLite in a temporary folder; `--src` runs the barapp package found
there instead of this checkout's), the fake Ollama and the fake Stability AI of tests/ (their
CLIs; `--images hang` accepts each picture request and never answers, `slow` answers after
`--image-seconds`). The wishes are all sent at once, by different guests; then, from the
database, per wish after the first: the gap between the previous recipe's end (its cocktail
saved) and this wish's turn with the model (`generation.started_at`). A line for the model
only keeps that gap near zero whatever the pictures do; a line that waits for pictures makes
it the picture's time (or the image service's timeout, when it hangs).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from stream import Proc, free_port, spawn, wait_ready

ROOT = Path(__file__).resolve().parent.parent
MODEL = "llama3.1:8b"


def start(name: str, args: list[str], env: dict[str, str], work: Path, ready: str) -> Proc:
    """`python ARGS --port P`, once GET <ready> answers 200 ("" once it answers at all)."""
    port = free_port()
    proc = spawn(name, [sys.executable, *args, "--port", str(port)], env, work, port)
    if ready:
        wait_ready(proc, ready)
        return proc
    for _ in range(300):
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(proc.url, timeout=2)
            return proc
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start:\n{proc.log_tail()}")


def wish(url: str, text: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as guest:  # a guest of their own
        form = guest.get("/generate").text
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        answer = guest.post("/generate", data={"csrf_token": csrf, "wish": text, "model": MODEL})
        assert answer.status_code == 303, answer.text[:300]


def rows(database: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        return db.execute(
            "SELECT g.started_at, g.status, c.created_at AS saved FROM generation g"
            " LEFT JOIN cocktail c ON c.id = g.cocktail ORDER BY g.created_at"
        ).fetchall()


def seconds(value: str | None) -> float:
    return datetime.fromisoformat(str(value)).timestamp() if value else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wishes", type=int, default=3)
    parser.add_argument("--tokens-per-second", type=float, default=60.0)
    parser.add_argument("--images", choices=("hang", "slow"), default="hang")
    parser.add_argument("--image-seconds", type=float, default=20.0)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="barapp's package folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="barapp-line-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    fake = ["-m", "tests.fake_ollama", "--quiet", "--models", MODEL, "--scenario", "ok"]
    fake += ["--tokens-per-second", str(args.tokens_per_second), "--ttft", "0.2"]
    images = ["-m", "tests.fake_images", "--quiet", "--scenario", args.images]
    images += ["--seconds-per-image", str(args.image_seconds)]
    procs = [start("ollama", fake, env, work, "/api/version")]
    procs.append(start("images", images, env, work, ""))
    database = work / "barapp.sqlite3"
    app_env = {
        **os.environ,
        "PYTHONPATH": str(args.src),
        "DATABASE_URL": f"sqlite:///{database}",
        "MEDIA_DIR": str(work / "media"),
        "OLLAMA_HOST": procs[0].url,
        "OLLAMA_CONCURRENCY": "1",
        "OLLAMA_WARM_UP": "false",
        "STABILITY_API_KEY": "sk-test",
        "STABILITY_API_HOST": procs[1].url,
        "IMAGE_TIMEOUT": "60",
        "IMAGE_RETRIES": "0",
        "GUEST_WISHES_PER_HOUR": "0",
        "IP_WISHES_PER_HOUR": "0",
    }
    procs.append(start("barapp", ["-m", "barapp", "serve"], app_env, work, "/healthz"))
    try:
        began = time.time()
        for n in range(args.wishes):
            wish(procs[2].url, f"a gin basil smash number {n}")
        deadline = time.monotonic() + 60 * args.wishes + 120
        while time.monotonic() < deadline:
            found = rows(database)
            if len(found) == args.wishes and all(r["saved"] for r in found):
                break
            time.sleep(0.2)
        found = rows(database)
    finally:
        for proc in reversed(procs):
            proc.stop()
    gaps = [
        seconds(later["started_at"]) - seconds(earlier["saved"])
        for earlier, later in itertools.pairwise(found)
    ]
    ends = [seconds(r["saved"]) - began for r in found]
    print(f"barapp from {args.src}; images: {args.images}; {args.wishes} wishes sent at once")
    print("recipe saved at (s after the first wish): " + ", ".join(f"{e:.1f}" for e in ends))
    print(
        "the next wish's turn, after the previous recipe (s): "
        + ", ".join(f"{g:.2f}" for g in gaps)
    )
    if gaps:
        print(f"median gap: {statistics.median(gaps):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
