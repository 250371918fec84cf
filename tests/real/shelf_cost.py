"""What strict shelf mode costs on a real model: the ingredient name as an `enum` of 15 items
(a small bar) and of 300 (the knowledge base), against free mode. For each, the exact request
barapp sends (`shelf_schema.offer`/`schemas`, `prompt.messages`), and the 300-item enum with
the 15-item prompt (the grammar's cost alone, without the longer prompt):

- the grammar's build: the schema to GBNF (llama.cpp's json-schema-to-grammar, as Ollama
  converts it) and GBNF to a sampler (llama.cpp's parser, paid at every chat);
- the time to the first token (template, grammar sampler, prompt evaluation, first sample),
  cold (the whole prompt evaluated: the first wish after a shelf change or a model load) and
  warm (the prompt's prefix reused from the context, as Ollama does for the next wish with the
  same system prompt), and the tokens per second after it: medians of a few runs, the same
  seeds in every case;
- whether every ingredient written is an enum value (the grammar's promise), and the drinks.

Run from the checkout with barapp's venv; the measurements run in the scratch venv
(`make $HOME/.cache/barapp-real/venv/.installed`), fed the requests on stdin:

    .venv/bin/python -m tests.real.shelf_cost --runs 3 [--model gemma3:270m] [--csv FILE]

`--csv` reads the items from another `ingredients.csv` (same columns) when the shipped base
has fewer than 300. Numbers are noisy on a shared machine: compare cases of one session.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRATCH = Path.home() / ".cache" / "barapp-real" / "venv"
MODEL_FILES = {"smollm2:135m": "SmolLM2-135M*.gguf", "gemma3:270m": "gemma*270m*.gguf"}
WISHES = (
    "something fresh and sour for a summer evening",
    "a bitter, stirred drink before dinner",
    "un cocktail pétillant et fruité",
)
SMALL_BAR = (
    "gin", "vodka", "white_rum", "tequila", "campari", "sweet_vermouth", "triple_sec",
    "lime_juice", "lemon_juice", "simple_syrup", "angostura", "egg_white", "soda_water", "mint",
    "orange",
)  # fmt: skip


# --- the requests (barapp's venv) ---------------------------------------------------------


def _items(csv_path: Path | None) -> list[Any]:
    from barapp.shelf.knowledge import Allergen, Category, base
    from barapp.shelf.stock import Item

    if csv_path is None:
        rows = [
            {"key": k.key, "category": k.category, "abv": k.abv, "allergens": k.allergens,
             "en": k.en, "fr": k.fr}
            for k in base().values()
        ]  # fmt: skip
    else:
        with csv_path.open(encoding="utf-8") as fh:
            rows = [
                {**row, "abv": float(row["abv"]) if row["abv"] else None,
                 "allergens": frozenset(Allergen(a) for a in row["allergens"].split("|") if a)}
                for row in csv.DictReader(line for line in fh if not line.startswith("#"))
            ]  # fmt: skip
    return [
        Item(row["key"], row["en"], row["fr"], Category(row["category"]), row["abv"],
             frozenset(row["allergens"]), True, False)
        for row in rows
    ]  # fmt: skip


def requests(csv_path: Path | None, wishes: int) -> list[dict[str, Any]]:
    """The cases: a name, then per wish the messages and the schema barapp sends."""
    from barapp.wishes import prompt, shelf_schema
    from barapp.wishes.topic import shape_of

    items = _items(csv_path)
    by_key = {item.key: item for item in items}
    small = [by_key[key] for key in SMALL_BAR if key in by_key]
    large = [item for item in items if item.key not in ("water", "ice")][:300]
    if len(large) < 300:
        sys.exit(f"the base has {len(large)} items, not 300: pass --csv with a larger one")
    shelves = {
        "free": shelf_schema.offer("free", [], "en"),
        "strict 15": shelf_schema.offer("strict", small, "en"),
        "strict 300": shelf_schema.offer("strict", large, "en"),
    }
    cases = []
    for name, prompt_shelf, schema_shelf in (
        ("free", "free", "free"),
        ("strict 15", "strict 15", "strict 15"),
        ("strict 300", "strict 300", "strict 300"),
        ("300 enum, 15 prompt", "strict 15", "strict 300"),
    ):
        chats = []
        for wish in WISHES[:wishes]:
            schema = shelf_schema.schemas(shelves[schema_shelf])[shape_of(wish)]
            messages = prompt.messages(wish, "barapp", shelf=shelves[prompt_shelf])
            chats.append({"wish": wish, "messages": messages, "format": schema})
        enum = list(shelves[schema_shelf].ingredients)
        cases.append({"name": name, "enum": enum, "chats": chats})
    return cases


# --- the measurements (the scratch venv) ------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure(cases: list[dict[str, Any]], model_path: str, runs: int, limit: int) -> None:
    sys.path.insert(0, str(HERE))
    import llama_cpp
    from llamacpp_ollama import Model, schema_gbnf

    model = Model("model", Path(model_path), 4096, 2)
    vocab = model.llm._model.vocab
    grammar: dict[str, tuple[list[float], list[float], int]] = {}
    for case in cases:
        converts, parses = [], []
        for _ in range(max(runs, 5)):
            began = time.perf_counter()
            gbnf = schema_gbnf(case["chats"][0]["format"])
            converted = time.perf_counter()
            sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
            parses.append(time.perf_counter() - converted)
            converts.append(converted - began)
            llama_cpp.llama_sampler_free(sampler)
        grammar[case["name"]] = (converts, parses, len(gbnf))
        start_s, name_s = apply_times(model, gbnf, max(runs, 5))
        print(
            f"{case['name']}: the grammar checks the vocabulary in {start_s * 1000:.1f} ms at "
            f"the start, {name_s * 1000:.1f} ms at an ingredient's name",
            flush=True,
        )
    if os.environ.get("SHELF_COST_GRAMMAR_ONLY"):
        return
    # A warm-up answer (the first one pays for the model's pages), then the cases taken in
    # turn in each run, so that the machine's load falls on all of them alike.
    list(model.chat({**cases[0]["chats"][0], "options": {"num_predict": 8}}))
    seen: dict[str, dict[str, list[Any]]] = {c["name"]: {} for c in cases}
    for run in range(runs):
        for case in cases:
            for chat in case["chats"]:
                # Cold: the context emptied, the whole prompt evaluated (the first wish after a
                # shelf change or a model load). Warm: the same prompt again, its prefix reused
                # from the context as Ollama reuses it for the next wish with the same prompt.
                for warmth in ("cold", "warm"):
                    if warmth == "cold":
                        model.llm.reset()
                    seed = 1000 + 2 * run + (warmth == "warm")
                    _answer(model, case, chat, seed, limit, seen[case["name"]], warmth)
    print("| case | enum | to GBNF | GBNF parse | GBNF chars | prompt tokens | first token cold "
          "| first token warm | tokens/s | tokens | only shelf items |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")  # fmt: skip
    for case in cases:
        row, (converts, parses, size) = seen[case["name"]], grammar[case["name"]]
        faithful = row.get("faithful", [])
        shelf_only = f"{sum(faithful)}/{len(faithful)}" if case["enum"] else "-"
        print(
            f"| {case['name']} | {len(case['enum']) or '-'} | {_median(converts) * 1000:.1f} ms "
            f"| {_median(parses) * 1000:.1f} ms | {size:,} | {_median(row['prompt']):.0f} "
            f"| {_median(row['cold']):.2f} s | {_median(row['warm']):.2f} s "
            f"| {_median(row['rate']):.1f} "
            f"| {_median(row['tokens']):.0f} | {shelf_only} |",
            flush=True,
        )
    print()
    for case in cases:
        print(f"{case['name']}:")
        for line in seen[case["name"]]["drinks"]:
            print(f"  {line}")


PREFIX = (
    '{"kind": "cocktail", "name": "Sour", "glass": "coupe", "garnish": "", "image_prompt": "", '
    '"description": "", "alcoholic": true, "ingredients": [{"name": "'
)
"""A document written up to an ingredient's name: where the enum's alternatives all open."""


def apply_times(model: Any, gbnf: str, runs: int) -> tuple[float, float]:
    """Seconds the grammar sampler takes to check the whole vocabulary once (what it does at
    every token in llama-cpp-python's sampler chain): at the document's start, and at an
    ingredient's name, where the enum's alternatives are open."""
    import ctypes

    import llama_cpp

    vocab = model.llm._model.vocab
    size = llama_cpp.llama_vocab_n_tokens(vocab)
    data = (llama_cpp.llama_token_data * size)()
    at_name = model.llm.tokenize(PREFIX.encode(), add_bos=False, special=False)
    times: list[list[float]] = [[], []]
    for _ in range(runs):
        for where, prefix in enumerate(([], at_name)):
            sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
            for token in prefix:
                llama_cpp.llama_sampler_accept(sampler, token)
            for i in range(size):
                data[i].id, data[i].logit, data[i].p = i, 0.0, 0.0
            candidates = llama_cpp.llama_token_data_array(
                data=data, size=size, selected=-1, sorted=False
            )
            began = time.perf_counter()
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
            times[where].append(time.perf_counter() - began)
            llama_cpp.llama_sampler_free(sampler)
    return _median(times[0]), _median(times[1])


def _answer(
    model: Any,
    case: dict[str, Any],
    chat: dict[str, Any],
    seed: int,
    limit: int,
    row: dict[str, list[Any]],
    warmth: str,
) -> None:
    """One answer's figures, added to its case's row."""
    options = {"temperature": 0.8, "seed": seed, "num_predict": limit}
    start = time.perf_counter()
    first, text, final = None, [], {}
    for chunk in model.chat({**chat, "options": options}):
        if chunk["message"]["content"] and first is None:
            first = time.perf_counter() - start
        text.append(chunk["message"]["content"])
        final = chunk
    rate = final["eval_count"] / max(final["eval_duration"] / 1e9, 1e-9)
    names = _names("".join(text))
    for key, value in ((warmth, first or float("nan")), ("rate", rate),
                       ("tokens", final["eval_count"]),
                       ("prompt", final["prompt_eval_count"])):  # fmt: skip
        row.setdefault(key, []).append(value)
    if names:
        row.setdefault("faithful", []).append(
            all(n in case["enum"] for n in names) if case["enum"] else True
        )
    cut = "" if final["done_reason"] == "stop" else " [cut at num_predict]"
    row.setdefault("drinks", []).append(
        f"{chat['wish']!r} ({warmth}): {', '.join(names) or '(no ingredient yet)'}{cut}"
    )


def _names(text: str) -> list[str]:
    """The ingredient names of an answer, whole or cut."""
    try:
        doc = json.loads(text)
        return [str(i.get("name")) for i in doc.get("ingredients", [])]
    except (ValueError, AttributeError):
        if '"ingredients"' not in text:
            return []
        part = text.split('"ingredients"', 1)[1].split('"steps"', 1)[0]
        return [json.loads(f'"{n}"') for n in re.findall(r'"name"\s*:\s*"((?:\\.|[^"\\])*)"', part)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gemma3:270m", choices=sorted(MODEL_FILES))
    parser.add_argument("--runs", type=int, default=3, help="runs per wish and case")
    parser.add_argument("--wishes", type=int, default=2, help="wishes per case (at most 3)")
    parser.add_argument("--num-predict", type=int, default=700)
    parser.add_argument("--csv", type=Path, help="items from this ingredients.csv")
    parser.add_argument("--venv", type=Path, default=SCRATCH)
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # the model file, in the venv
    args = parser.parse_args()
    if args.worker:
        measure(json.load(sys.stdin), args.worker, args.runs, args.num_predict)
        return 0
    found = sorted(args.venv.rglob(MODEL_FILES[args.model]))
    if not found:
        sys.exit(f"no {args.model} GGUF under {args.venv}: make {args.venv}/.installed")
    cases = json.dumps(requests(args.csv, args.wishes))
    print(f"{args.model} ({found[0].name}), {args.runs} runs x {args.wishes} wishes per case, "
          f"num_predict {args.num_predict}", flush=True)  # fmt: skip
    worker = [str(args.venv / "bin" / "python"), str(Path(__file__).resolve()),
              "--worker", str(found[0]), "--runs", str(args.runs),
              "--num-predict", str(args.num_predict)]  # fmt: skip
    return subprocess.run(worker, input=cases, text=True, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
