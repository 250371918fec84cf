"""What barapp's JSON schema costs as a grammar: the time llama.cpp's json-schema-to-grammar
takes to write it (GBNF), the time llama.cpp takes to parse it into a sampler (paid again at
every chat: llama-cpp-python builds a new sampler per completion), and how many rules that
makes. Also with every string `maxLength` capped (200, 500), for comparison: a bounded
repetition `x{0,N}` becomes N nested rules.

Runs in the scratch venv; the schema comes on stdin (barapp is not installed there):

    .venv/bin/python -c 'import json; from barapp.wishes.prompt import SCHEMA; \\
        print(json.dumps(SCHEMA))' | ~/.cache/barapp-real/venv/bin/python \\
        tests/real/grammar_cost.py --vocab /path/model.gguf
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import Any

import llama_cpp
from llama_cpp import Llama, llama_grammar

PYTHON_PORT = llama_grammar._build_repetition
# Imported after the line above: it replaces the repetitions with those Ollama writes.
from llamacpp_ollama import repetition, schema_gbnf  # noqa: E402

# A string literal, a character class, a comment, or a repetition bound: what the rule count
# has to tell apart from the grouping and repetition operators.
TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|\[(?:\\.|[^\]\\])*\]|#[^\n]*|\{(\d*)(,?)(\d*)\}|[()*+?]')


def capped(schema: Any, cap: int | None) -> Any:
    if cap is None or not isinstance(schema, dict | list):
        return schema
    if isinstance(schema, list):
        return [capped(item, cap) for item in schema]
    out = {k: capped(v, cap) for k, v in schema.items()}
    if isinstance(out.get("maxLength"), int):
        out["maxLength"] = min(out["maxLength"], cap)
    return out


def parsed_rules(gbnf: str) -> int:
    """The rules llama.cpp's parser makes (llama-grammar.cpp): one per definition, one per
    parenthesised group, one per `*` `+` `?`, and one per optional step of `{m,n}`."""
    rules = len(re.findall(r"^\s*[\w-]+\s*::=", gbnf, re.MULTILINE))
    for match in TOKENS.finditer(gbnf):
        token = match[0]
        if token in "()*+?" and token != ")":
            rules += 1
        elif token.startswith("{"):
            # Past 2000 the parser drops the bound: one rule, as for `*`.
            low, high = int(match[1] or 0), int(match[3] or 0)
            rules += high - low if match[3] and high <= 2000 else 1
    return rules


def measure(schema: Any, vocab: Any) -> str:
    """One row: the times to write and to parse, the grammar's size and rules."""
    began = time.perf_counter()
    text = schema_gbnf(schema)
    written = time.perf_counter()
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, text.encode(), b"root")
    parsed = time.perf_counter()
    if sampler:
        llama_cpp.llama_sampler_free(sampler)
    ms = (parsed - written) * 1000
    parse = f"{ms:.1f} ms" if sampler else f"refused ({ms:.1f} ms)"
    rules = len(re.findall(r"^\s*[\w-]+\s*::=", text, re.MULTILINE))
    return (
        f"{(written - began) * 1000:.1f} ms | {parse} | {len(text):,} | {rules} | "
        f"{f'{parsed_rules(text):,}' if sampler else '-'} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vocab", required=True, help="a GGUF (only its vocabulary is loaded)")
    args = parser.parse_args()
    schema = json.load(sys.stdin)
    llm = Llama(model_path=args.vocab, vocab_only=True, verbose=False)
    longest = max(int(n) for n in re.findall(r'"maxLength": (\d+)', json.dumps(schema)))
    print(
        "| converter | maxLength | to GBNF | llama.cpp parse | GBNF chars | GBNF rules "
        "| parsed rules |\n|---|---|---|---|---|---|---|"
    )
    for label, build in (("as Ollama (x{m,n})", repetition), ("Python port", PYTHON_PORT)):
        llama_grammar._build_repetition = build
        for cap in (None, 500, 200):
            limit = f"as is (≤ {longest})" if cap is None else f"capped at {cap}"
            print(f"| {label} | {limit} | {measure(capped(schema, cap), llm._model.vocab)}")
    llama_grammar._build_repetition = repetition
    return 0


if __name__ == "__main__":
    sys.exit(main())
