"""The real-model tier: barapp against small real models served by llama.cpp (`make test-real`).

Starts `tests/real/llamacpp_ollama.py` in the scratch venv that has llama-cpp-python and the
model packages, then `barapp serve` on a fresh SQLite database pointed at it (pictures: the
built-in illustration, no quotas), and makes wishes through barapp's own HTTP interface as a
browser does: the form's CSRF token, `POST /generate`, then the generation's row until the
wish ends. Prints, per model, a table of the outcomes and a summary.

It measures, it does not judge the models: the exit status is non-zero only when barapp (or
the model server) logged a traceback, or could not be started.

    .venv/bin/python -m tests.real.run --models gemma3:270m --wishes 8
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = Path.home() / ".cache" / "barapp-real" / "venv"
# The model packages' GGUF files, by the Ollama name they are served under. The Gemma package
# ships four parts: `make test-real` assembles them into the venv's models/ folder.
MODEL_FILES = {"smollm2:135m": "SmolLM2-135M*.gguf", "gemma3:270m": "gemma*270m*.gguf"}
FINAL = ("done", "refused", "failed", "stopped", "interrupted")


@dataclass(frozen=True)
class Wish:
    text: str
    lang: str
    on_topic: bool = True


def _en(text: str) -> Wish:
    return Wish(text, "en")


def _fr(text: str) -> Wish:
    return Wish(text, "fr")


# Interleaved (English, French, an off-topic one early) so that `--wishes 8` is a fair sample.
WISHES = [
    _en("a negroni twist"),
    _fr("un negroni revisité"),
    Wish("what's the capital of Peru?", "en", on_topic=False),
    _en("something fresh with gin and cucumber for a hot afternoon"),
    _fr("quelque chose de frais au concombre et au gin"),
    Wish("écris-moi un poème sur la mer", "fr", on_topic=False),
    _en("I'm tired and a bit sad, cheer me up"),
    _fr("je suis fatigué, remonte-moi le moral"),
    _en("a smoky mezcal sour"),
    _fr("un mojito mais à la fraise"),
    _en("a non-alcoholic drink for a designated driver who likes bitter flavours"),
    _fr("un cocktail sans alcool pour une femme enceinte, pas trop sucré"),
    Wish("write me a Python function that sorts a list", "en", on_topic=False),
    _en("an old fashioned, but with rum"),
    _fr("un cocktail au calvados pour un soir d'automne"),
    _en(
        "It's my sister's 30th birthday: she loves raspberries and prosecco but hates anything"
        " too sweet, we are on a rooftop at sunset and I would like something pink and elegant"
        " to toast with, maybe with a herbal note like basil or thyme"
    ),
    _fr(
        "Nous fêtons l'anniversaire de mariage de mes parents : ils adorent le champagne et les"
        " fruits rouges, mais mon père n'aime pas les boissons trop sucrées. J'aimerais un"
        " cocktail élégant et pétillant, avec une touche florale, à servir en coupe"
    ),
    Wish("quel temps fera-t-il demain à Lyon ?", "fr", on_topic=False),
    _en("something tropical"),
    _fr("quelque chose d'amer et de sec"),
    _en("a cosy winter drink with whisky and spices"),
    _fr("un digestif à la chartreuse"),
    _en("surprise me"),
    _fr("surprends-moi"),
]


@dataclass
class Outcome:
    wish: Wish
    outcome: str
    """saved, refused or failed"""
    reason: str
    detail: str
    tokens: int | None
    seconds: float


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def find_models(venv: Path, names: list[str]) -> dict[str, Path]:
    found = {}
    for name in names:
        if name not in MODEL_FILES:
            raise SystemExit(f"unknown model {name!r}; known: {', '.join(MODEL_FILES)}")
        pattern = MODEL_FILES[name]
        files = sorted(venv.glob(f"models/{pattern}")) or sorted(
            venv.glob(f"lib/python3*/site-packages/**/{pattern}")
        )
        if not files:
            raise SystemExit(f"no GGUF for {name} in {venv} (make test-real installs them)")
        found[name] = files[0]
    return found


def grammar_cost(venv: Path, vocab: Path) -> str:
    """The table of tests/real/grammar_cost.py for barapp's schema as it is now."""
    from barapp.wishes.prompt import SCHEMA

    command = [str(venv / "bin" / "python"), str(ROOT / "tests/real/grammar_cost.py")]
    result = subprocess.run(
        [*command, "--vocab", str(vocab)],
        input=json.dumps(SCHEMA),
        capture_output=True,  # llama.cpp prints the grammar it refuses: kept out of the report
        text=True,
        check=True,
    )
    return result.stdout


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} did not start (exit {process.returncode}):\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:g} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def running(command: list[str], log: Path, **popen: object) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)  # type: ignore[call-overload]
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- one wish ----------------------------------------------------------------------------


def make_wish(http: httpx.Client, db: Path, wish: Wish, model: str, timeout: float) -> Outcome:
    start = time.monotonic()
    form = http.get("/generate")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    data = {"wish": wish.text, "model": model, "csrf_token": token[1] if token else ""}
    answer = http.post("/generate", data=data)
    if answer.status_code != 303:
        detail = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))[:120]
        return Outcome(wish, "failed", f"HTTP {answer.status_code}", detail, None, 0.0)
    gen_id = answer.headers["location"].rsplit("/", 1)[1]
    row = None
    while time.monotonic() - start < timeout:
        row = generation(db, gen_id)
        if row and row["status"] in FINAL:
            break
        time.sleep(0.5)
    else:  # barapp's own timeouts should have ended it long before
        http.post(f"/generations/{gen_id}/stop", data={"csrf_token": data["csrf_token"]})
        return Outcome(
            wish,
            "failed",
            "runner timeout",
            f"still {row and row['status']}",
            None,
            time.monotonic() - start,
        )
    seconds = time.monotonic() - start
    assert row is not None
    tokens = row["output_tokens"]
    if row["status"] == "done":
        return Outcome(wish, "saved", "", describe_cocktail(db, row["cocktail"]), tokens, seconds)
    if row["status"] == "refused":
        return Outcome(wish, "refused", "off_topic", row["detail"], tokens, seconds)
    return Outcome(wish, "failed", row["reason"] or row["status"], row["detail"], tokens, seconds)


def connect(db: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    connection.row_factory = sqlite3.Row
    return connection


def generation(db: Path, gen_id: str) -> sqlite3.Row | None:
    with contextlib.closing(connect(db)) as connection:
        row: sqlite3.Row | None = connection.execute(
            "SELECT * FROM generation WHERE id = ?", (gen_id,)
        ).fetchone()
        return row


def describe_cocktail(db: Path, cocktail_id: str) -> str:
    with contextlib.closing(connect(db)) as connection:
        row = connection.execute(
            "SELECT name, ingredients, steps, alcoholic FROM cocktail WHERE id = ?", (cocktail_id,)
        ).fetchone()
    if row is None:
        return "?"
    ingredients = json.loads(row["ingredients"])
    names = ", ".join(str(i.get("name", "")) for i in ingredients[:4])
    more = "…" if len(ingredients) > 4 else ""
    soft = "" if row["alcoholic"] else ", no alcohol"
    steps = len(json.loads(row["steps"]))
    return f"{row['name']} ({len(ingredients)} ingr.: {names}{more}; {steps} steps{soft})"


# --- the report --------------------------------------------------------------------------


def cell(text: str, width: int) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(model: str, outcomes: list[Outcome]) -> str:
    lines = [
        f"### {model}",
        "",
        "| # | wish | lang | topic | outcome | reason | detail | tokens | s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n, o in enumerate(outcomes, 1):
        topic = "on" if o.wish.on_topic else "OFF"
        tokens = "" if o.tokens is None else str(o.tokens)
        lines.append(
            f"| {n} | {cell(o.wish.text, 48)} | {o.wish.lang} | {topic} | {o.outcome} | "
            f"{o.reason} | {cell(o.detail, 110)} | {tokens} | {o.seconds:.0f} |"
        )
    return "\n".join([*lines, "", summary(model, outcomes)])


def summary(model: str, outcomes: list[Outcome]) -> str:
    on = [o for o in outcomes if o.wish.on_topic]
    off = [o for o in outcomes if not o.wish.on_topic]

    def share(part: int, whole: int) -> str:
        return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"

    saved = sum(o.outcome == "saved" for o in on)
    refused = sum(o.outcome == "refused" for o in off)
    failures = Counter(o.reason for o in outcomes if o.outcome == "failed")
    failed = ", ".join(f"{reason} {n}" for reason, n in failures.most_common()) or "none"
    seconds = [o.seconds for o in outcomes]
    total = sum(seconds)
    median = statistics.median(seconds) if seconds else 0.0
    return (
        f"**{model}**: saved {share(saved, len(on))} of on-topic, refused "
        f"{share(refused, len(off))} of off-topic; failures: {failed}; "
        f"{len(outcomes)} wishes in {total:.0f} s (median {median:.0f} s)"
    )


def tracebacks(log: Path) -> int:
    return log.read_text(errors="replace").count("Traceback (most recent call last)")


# --- main --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODEL_FILES), help="comma-separated")
    parser.add_argument("--wishes", type=int, default=len(WISHES), help="per model (max 24)")
    parser.add_argument("--venv", type=Path, default=SCRATCH, help="the scratch venv")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per wish")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    models = find_models(args.venv, names)
    wishes = WISHES[: max(1, args.wishes)]
    work = Path(tempfile.mkdtemp(prefix="barapp-real-"))
    db = work / "barapp.sqlite3"
    llama_port, app_port = free_port(), free_port()
    llama_log, app_log = work / "llamacpp.log", work / "barapp.log"
    server = [
        str(args.venv / "bin" / "python"),
        str(ROOT / "tests/real/llamacpp_ollama.py"),
        "--port",
        str(llama_port),
        "--transcript",
        str(work / "transcript.jsonl"),
        *(f"--model={name}={path}" for name, path in models.items()),
    ]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "MEDIA_DIR": str(work / "media"),
        "OLLAMA_HOST": f"127.0.0.1:{llama_port}",
        "OLLAMA_DEFAULT_MODEL": names[0],
        "OLLAMA_MODELS": ",".join(names),
        "IMAGE_PROVIDER": "illustration",
        "GUEST_WISHES_PER_HOUR": "0",
        "IP_WISHES_PER_HOUR": "0",
        "OLLAMA_WARM_UP": "false",
    }
    app = [str(ROOT / ".venv" / "bin" / "barapp"), "serve", "--port", str(app_port)]
    print(f"barapp-real: models {', '.join(names)}, {len(wishes)} wishes each; logs in {work}")
    began = time.monotonic()
    grammar = grammar_cost(args.venv, next(iter(models.values())))
    print(f"\nbarapp's schema as a grammar:\n\n{grammar}", flush=True)
    results: dict[str, list[Outcome]] = {}
    with running(server, llama_log) as llama, running(app, app_log, cwd=work, env=env) as barapp:
        wait_until_up(f"http://127.0.0.1:{llama_port}/api/version", llama, llama_log, 300)
        base = f"http://127.0.0.1:{app_port}"
        wait_until_up(f"{base}/generate", barapp, app_log, 60)
        for name in names:
            results[name] = []
            for n, wish in enumerate(wishes, 1):
                # A browser of the wish's language (the app records it and answers in it).
                headers = {"accept-language": wish.lang}
                with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                    outcome = make_wish(http, db, wish, name, args.timeout)
                results[name].append(outcome)
                print(
                    f"  {name} {n}/{len(wishes)} {outcome.outcome:<7} {outcome.reason:<15} "
                    f"{outcome.seconds:5.0f} s  {cell(wish.text, 50)}",
                    flush=True,
                )
    elapsed = time.monotonic() - began
    print(f"\n### barapp's schema as a grammar\n\n{grammar}")
    for name, outcomes in results.items():
        print(table(name, outcomes), end="\n\n")
    print(f"Total: {elapsed:.0f} s ({elapsed / 60:.1f} min) for {len(names)} model(s).")
    crashes = {"barapp": tracebacks(app_log), "llama.cpp server": tracebacks(llama_log)}
    bad = {who: n for who, n in crashes.items() if n}
    for who, n in bad.items():
        print(f"FAIL: {n} traceback(s) in the {who} log", file=sys.stderr)
    if args.keep or bad:
        print(f"Logs and the models' answers (transcript.jsonl): {work}")
    else:
        shutil.rmtree(work)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
