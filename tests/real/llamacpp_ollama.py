"""A small Ollama over llama.cpp (llama-cpp-python), for the real-model tier (`make test-real`).

It answers what barapp asks of Ollama, with a real model behind it: `GET /api/version`,
`GET /api/tags`, `POST /api/show`, and `POST /api/chat` streaming NDJSON. A chat goes the way
Ollama takes it: the messages through the model's chat template, `format` (a JSON schema, or
"json") turned into a GBNF grammar by llama.cpp's json-schema-to-grammar that constrains
sampling, `options` honoured (num_predict, temperature, seed, top_p, top_k, repeat_penalty),
`keep_alive` ignored (every model stays loaded). The last chunk carries `done_reason` ("stop",
or "length" at num_predict), the token counts and durations in nanoseconds.

Runs in the scratch venv that has llama-cpp-python (never imported by `make test`):

    ~/.cache/barapp-real/venv/bin/python tests/real/llamacpp_ollama.py \\
        --model smollm2:135m=/path/SmolLM2.gguf --model gemma3:270m=/path/gemma3.gguf --port 11434

One stdlib thread per request; a model generates for one chat at a time (others wait on its
lock, as Ollama queues with OLLAMA_NUM_PARALLEL=1).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp import Llama, llama_grammar
from llama_cpp.llama_chat_format import Jinja2ChatFormatter
from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

VERSION = "0.12.6"

# Ollama's gemma3 template (the Gemma 3 GGUFs carry none): a system message is a user turn of
# its own, the first one, as Ollama renders `.Messages` with it.
GEMMA3_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m.role in ('user', 'system') %}<start_of_turn>user\n{{ m.content }}<end_of_turn>\n"
    "{% if loop.last %}<start_of_turn>model\n{% endif %}"
    "{% else %}<start_of_turn>model\n{{ m.content }}"
    "{% if not loop.last %}<end_of_turn>\n{% endif %}{% endif %}{% endfor %}"
)

# What Ollama samples with when the request does not say: its defaults (api/types.go), then
# the parameters of the model's Modelfile in Ollama's library (gemma3: top_k 64, top_p 0.95,
# temperature 1). Gemma 3 runs on Ollama's own engine, whose sampler has no repeat penalty.
DEFAULTS = {"temperature": 0.8, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}
FAMILY_DEFAULTS = {
    "gemma3": {"temperature": 1.0, "top_k": 64, "top_p": 0.95, "repeat_penalty": 1.0},
}
# general.file_type of a GGUF (llama.cpp's llama_ftype), for the tags' quantization_level.
FILE_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    15: "Q4_K_M",
    14: "Q4_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
}


def repetition(
    item_rule: str,
    min_items: int,
    max_items: int | None,
    separator_rule: str | None = None,
    item_rule_is_literal: bool = False,
) -> str:
    """llama.cpp's C++ `build_repetition` (common/json-schema-to-grammar.cpp), the converter
    Ollama runs: a bounded repetition is written `x{m,n}`, which llama.cpp's grammar parser
    expands into n - m rules, or, past 2000, reads as unbounded. The Python port in
    llama-cpp-python writes nested groups `(x (x ...)?)?` instead, which that parser refuses
    beyond ~1000 levels ("exceeds sane defaults"): a maxLength past that fails there (barapp's
    4000 did, before issue 11), and not in Ollama. The parameters are the port's: it calls
    this by keyword."""
    item, low, high = item_rule, min_items, max_items
    if high == 0:
        return ""
    if low == 0 and high == 1:
        return f"{item}?"
    if not separator_rule:
        if high is None:
            return f"{item}+" if low == 1 else f"{item}*" if low == 0 else f"{item}{{{low},}}"
        return f"{item}{{{low},{high}}}"
    rest = repetition(
        f"({separator_rule} {item})", max(low - 1, 0), None if high is None else high - 1
    )
    return f"{item} {rest}" if low else f"({item} {rest})?"


llama_grammar._build_repetition = repetition
# The two other rules where the port still differs from the C++ converter: a string excludes
# control characters (a raw newline in a string is not JSON: barapp would reject the answer),
# and the space between tokens may be a newline and an indent.
llama_grammar.SPACE_RULE = '| " " | "\\n"{1,2} [ \\t]{0,20}'
llama_grammar.PRIMITIVE_RULES["char"] = llama_grammar.BuiltinRule(
    r'[^"\\\x7F\x00-\x1F] | [\\] (["\\bfnrt] | "u" [0-9a-fA-F]{4})', []
)


def _no_extra_buffers() -> Any:
    params = _default_model_params()
    params.use_extra_bufts = False
    return params


# These machines' CPUs advertise AMX, a default build compiles llama.cpp's AMX kernels, and
# the first `ldtilecfg` faults (a general protection fault: the VM does not let AMX run).
# The AMX kernels come as an "extra buffer type" for the weights: without those, they are
# never used. (`Llama` takes no argument for it, so its default parameters are changed.)
_default_model_params = llama_cpp.llama_cpp.llama_model_default_params
llama_cpp.llama_cpp.llama_model_default_params = _no_extra_buffers


def schema_gbnf(schema: Any) -> str:
    """The GBNF Ollama makes of a JSON schema."""
    text: str = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)._grammar
    return text


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Model:
    """One GGUF, loaded once, with its chat template and the grammars it was asked for."""

    def __init__(self, name: str, path: Path, n_ctx: int, threads: int) -> None:
        self.name, self.path = name, path
        self.llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        meta = self.llm.metadata
        self.family = meta.get("general.architecture", "llama")
        self.template = meta.get("tokenizer.chat_template") or GEMMA3_TEMPLATE
        bos = self.llm.detokenize([self.llm.token_bos()], special=True).decode()
        eos = self.llm.detokenize([self.llm.token_eos()], special=True).decode()
        self.formatter = Jinja2ChatFormatter(self.template, eos_token=eos, bos_token=bos)
        self.details = {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": meta.get("general.size_label", ""),
            "quantization_level": FILE_TYPES.get(int(meta.get("general.file_type", -1)), ""),
        }
        self.lock = threading.Lock()
        self.grammars: dict[str, Any] = {}

    def tag(self) -> dict[str, Any]:
        stat = self.path.stat()
        digest = hashlib.sha256(f"{self.path}:{stat.st_size}".encode()).hexdigest()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat()
        return {
            "name": self.name,
            "model": self.name,
            "modified_at": modified,
            "size": stat.st_size,
            "digest": digest,
            "details": self.details,
        }

    def grammar(self, fmt: Any) -> Any:
        """The grammar for `format`, converted once per schema. Raises ValueError when
        llama.cpp cannot parse it (a sampler made of it would be NULL: a crash)."""
        if not fmt:
            return None
        key = json.dumps(fmt, sort_keys=True)
        if key not in self.grammars:
            gbnf = JSON_GBNF if fmt == "json" else schema_gbnf(fmt)
            sampler = llama_cpp.llama_sampler_init_grammar(
                self.llm._model.vocab, gbnf.encode(), b"root"
            )
            if not sampler:
                raise ValueError("llama.cpp could not parse the grammar of this format")
            llama_cpp.llama_sampler_free(sampler)
            self.grammars[key] = LlamaGrammar.from_string(gbnf, verbose=False)
        return self.grammars[key]

    def chat(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The chunks of one answer, the last with the stats. Blocking: the caller's thread
        generates, and holding the lock is the model's queue."""
        start = time.perf_counter_ns()
        options = {
            **DEFAULTS,
            **FAMILY_DEFAULTS.get(self.family, {}),
            **(body.get("options") or {}),
        }
        prompt = self.formatter(messages=body["messages"]).prompt
        # The template writes the special tokens itself (bos included): parse them, add none.
        tokens = self.llm.tokenize(prompt.encode(), add_bos=False, special=True)
        grammar = self.grammar(body.get("format"))
        num_predict = int(options.get("num_predict", -1))
        with self.lock:
            loaded = time.perf_counter_ns()
            first = None
            done_reason = "stop"
            for chunk in self.llm.create_completion(
                tokens,
                max_tokens=num_predict if num_predict > 0 else None,
                temperature=float(options["temperature"]),
                top_p=float(options["top_p"]),
                top_k=int(options["top_k"]),
                min_p=float(options.get("min_p", 0.0)),
                repeat_penalty=float(options["repeat_penalty"]),
                seed=int(options["seed"]) if "seed" in options else None,
                grammar=grammar,
                stream=True,
            ):
                choice = chunk["choices"][0]
                if choice["text"]:
                    first = first or time.perf_counter_ns()
                    yield self._chunk(choice["text"])
                if choice["finish_reason"]:
                    done_reason = choice["finish_reason"]
            end = time.perf_counter_ns()
            # The context holds prompt + answer, less the last token sampled at "length"
            # (sampled, never evaluated); an end-of-turn token is not part of the answer.
            evaluated = self.llm.n_tokens - len(tokens) + (done_reason == "length")
        first = first or end
        yield {
            **self._chunk(""),
            "done": True,
            "done_reason": done_reason,
            "total_duration": end - start,
            "load_duration": max(1, loaded - start),
            "prompt_eval_count": len(tokens),
            "prompt_eval_duration": max(1, first - loaded),
            "eval_count": evaluated,
            "eval_duration": max(1, end - first),
        }

    def _chunk(self, text: str) -> dict[str, Any]:
        return {
            "model": self.name,
            "created_at": now_iso(),
            "message": {"role": "assistant", "content": text},
            "done": False,
        }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked streams, as Ollama's Go server
    server: Server

    def handle(self) -> None:
        # barapp's client drops a connection rather than read the end of a stream it is done
        # with: that reset is the client's way of leaving, not an error.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()

    def do_GET(self) -> None:
        if self.path == "/api/version":
            self._json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            self._json(200, {"models": [m.tag() for m in self.server.models.values()]})
        else:
            self._json(404, {"error": "404 page not found"})

    def do_POST(self) -> None:
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
        except ValueError:
            return self._json(400, {"error": "invalid JSON body"})
        name = body.get("model") or body.get("name") or ""
        model = self.server.find(name)
        if self.path not in ("/api/chat", "/api/show"):
            return self._json(404, {"error": "404 page not found"})
        if not name:
            return self._json(400, {"error": "model is required"})
        if model is None:
            return self._json(404, {"error": f"model '{name}' not found"})
        try:
            model.grammar(body.get("format"))
        except ValueError as exc:
            return self._json(500, {"error": str(exc)})
        if self.path == "/api/show":
            arch = model.family
            info = {
                "general.architecture": arch,
                f"{arch}.context_length": model.llm.metadata.get(f"{arch}.context_length"),
            }
            return self._json(
                200,
                {
                    "modelfile": "",
                    "parameters": "",
                    "template": model.template,
                    "details": model.details,
                    "model_info": info,
                    "capabilities": ["completion"],
                },
            )
        if not body.get("messages"):  # Ollama: a chat without messages only loads the model
            return self._json(200, {**model._chunk(""), "done": True, "done_reason": "load"})
        if body.get("stream") is False:
            chunks = list(model.chat(body))
            text = "".join(c["message"]["content"] for c in chunks)
            return self._json(
                200, {**chunks[-1], "message": {"role": "assistant", "content": text}}
            )
        self._stream(model, body)
        return None

    def _stream(self, model: Model, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunks, text = model.chat(body), []
        try:
            for chunk in chunks:
                line = json.dumps(chunk, ensure_ascii=False).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
                text.append(chunk["message"]["content"])
                if chunk["done"]:
                    self.server.log_chat(model, body, chunk, "".join(text))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            # The client left (barapp's stall timeout, a stopped wish): stop generating now,
            # which frees the model for the next chat.
            chunks.close()
            self.close_connection = True
            self.server.record(model, body, {"done_reason": "client left"}, "".join(text))
        except Exception as exc:
            # As Ollama does once the stream began: the error as a last line, status 200.
            line = json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(line), line))
            raise

    def _json(self, status: int, value: Any) -> None:
        data = json.dumps(value, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        models: dict[str, Model],
        verbose: bool,
        transcript: Path | None,
    ) -> None:
        super().__init__(address, Handler)
        self.models, self.verbose, self.transcript = models, verbose, transcript
        self._log_lock = threading.Lock()

    def find(self, name: str) -> Model | None:
        wanted = name if ":" in name else name + ":latest"
        return self.models.get(wanted) or self.models.get(name)

    def log_chat(
        self, model: Model, body: dict[str, Any], final: dict[str, Any], content: str
    ) -> None:
        """One line per answer on stderr, and the whole answer in the transcript (JSONL)."""
        seconds = final["total_duration"] / 1e9
        rate = final["eval_count"] / max(final["eval_duration"] / 1e9, 1e-9)
        print(
            f"{model.name}: {final['prompt_eval_count']} prompt + {final['eval_count']} tokens, "
            f"{final['done_reason']}, {seconds:.1f} s ({rate:.1f} tokens/s)",
            file=sys.stderr,
            flush=True,
        )
        self.record(model, body, final, content)

    def record(
        self, model: Model, body: dict[str, Any], final: dict[str, Any], content: str
    ) -> None:
        """The answer in the transcript, a finished one or what was written before the client
        left (barapp stopping a loop)."""
        if self.transcript is None:
            return
        wish = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        record = {"model": model.name, "wish": wish, "stats": final, "content": content}
        with self._log_lock, self.transcript.open("a") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        metavar="NAME=PATH",
        help="a model to serve under an Ollama name (repeat for several)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--ctx", type=int, default=4096, help="context length (Ollama: 4096)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--transcript", type=Path, help="append every answer here (JSONL)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    models = {}
    for spec in args.model:
        name, _, path = spec.partition("=")
        models[name] = Model(name, Path(path), args.ctx, args.threads)
    server = Server((args.host, args.port), models, args.verbose, args.transcript)
    print(
        f"llama.cpp Ollama listening on http://{args.host}:{server.server_port} "
        f"({', '.join(models)})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
