"""A faithful fake Ollama: a real HTTP server on 127.0.0.1 for tests, benchmarks and GPU-less
development, answering what barapp asks (through the real `ollama.AsyncClient` and httpx) the
way Ollama does (server/routes.go, api/types.go, /work/shared/reference/ollama-api.md):

- `POST /api/chat` streams `application/x-ndjson` with chunked transfer, one Go-encoded JSON
  object per token (compact, `<>&` escaped as `\\u003c`..., RFC3339Nano UTC times), flushed as
  produced, paced by a time to first token and a token rate; then a final chunk with
  `done_reason` and nanosecond metrics measured from the pacing actually used.
  `options.num_predict` is honoured (`done_reason: "length"`); a chat without messages only
  loads the model (`done_reason: "load"`, or `"unload"` with `keep_alive: 0`), as warm-up does.
- Errors as Ollama sends them: a status with `{"error": ...}` before streaming, a last
  `{"error": ...}` line with HTTP 200 once streaming began; a dropped connection; a stall.
- `GET /api/tags` (the models on offer) and `GET /api/version` (the health check).

The grammar: what the "model" writes is forced into the request's JSON schema (`format`) as
Ollama's grammar (llama.cpp's json-schema-to-grammar) forces a model, keyword by keyword:
`anyOf` (the option the document's `kind` names), `type` (one or a list), `enum` (a value
outside it becomes the option naming the same ingredient by `knowledge.key_of`, else the one
sharing most words, else the first not yet used), `properties` in their order with `required`
ones written and others dropped, `minLength`/`maxLength` (cut or padded), `minItems`/`maxItems`
(cut, or padded with an empty item), `minimum`/`maximum` for integers only (llama.cpp's
converter bounds no other number). `conform()` does it; a scenario's own content is forced too
with `grammar=True` (by default it is sent as scripted: a model served without a grammar).

The "model" invents a cocktail for each wish: the same wish always gives the same drink, other
wishes other drinks (the spirit, herb, juice or liqueur the wish names, the rest drawn from the
wish's text), in French when the wish looks French.

Use from tests::

    with FakeOllama(scenario="ok") as fake:            # or fake.start() / fake.stop()
        client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(10))
        fake.set_scenario("invalid_json", "ok")         # 1st chat invalid, then ok from then on
        ...
        fake.last_chat.body["format"]                   # what the app sent
        json.loads(fake.last_chat.content)              # the cocktail the fake answered

From a shell (no GPU needed)::

    python -m tests.fake_ollama --port 11434 --scenario ok --tokens-per-second 40 --ttft 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import logging
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from barapp.shelf.knowledge import key_of, normal
from tests.fake_server import Exchange, ThreadedServer, pick, serve_until_signal

OLLAMA_VERSION = "0.12.6"
DEFAULT_MODELS = ("llama3.1:8b", "qwen3:8b", "mistral:7b")
# Ollama's own error texts (server/routes.go, server/sched.go, llm/server.go)
ERR_BUSY = "server busy, please try again.  maximum pending requests exceeded"
ERR_RUNNER_STOPPED = (
    "model runner has unexpectedly stopped, this may be due to resource limitations or an "
    "internal error, check ollama server logs for details"
)
ERRORS = {429: "too many requests, please try again later", 500: ERR_RUNNER_STOPPED,
          503: ERR_BUSY}  # fmt: skip
_JSON = "application/json; charset=utf-8"


def not_found_error(model: str) -> str:
    return f"model '{model}' not found"


# --------------------------------------------------------------------------------------------
# Go's encoding/json, as Ollama writes every response

_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_json(value: Any) -> str:
    """`json.Marshal` output: compact, UTF-8 as is, `<`, `>`, `&`, U+2028/9 escaped. (Those
    characters only ever occur inside strings, so translating the whole text is exact.)"""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_GO_ESCAPES)


def go_time() -> str:
    """`time.Now().UTC()` marshalled by Go: RFC3339Nano, trailing zeros of the fraction trimmed."""
    second, frac = divmod(time.time_ns(), 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return text + ("." + f"{frac:09d}".rstrip("0") if frac else "") + "Z"


# --------------------------------------------------------------------------------------------
# What the "model" writes

_FRENCH = frozenset(
    re.split(
        r"\s+",
        "je j un une avec pour sans le la les des du de et au aux quelque chose plaît veux voudrais "
        "aimerais envie frais fraîche sucré amer boisson soir moi très peu pas",
    )
)
_ZERO_PROOF = ("virgin", "mocktail", "alcohol-free", "alcohol free", "non-alcoholic",
               "no alcohol", "without alcohol", "zero proof", "sans alcool", "pas d'alcool")  # fmt: skip


def looks_french(text: str) -> bool:
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    hits = sum(word in _FRENCH for word in words)
    return hits >= 2 or (hits >= 1 and bool(re.search(r"[éèêàùç]", text.lower())))


def last_user_message(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


# Each row: the words of a wish that ask for it, then its English and French texts.
SPIRITS = (
    (("gin",), "Gin", "Gin"),
    (("rum", "rhum"), "White rum", "Rhum blanc"),
    (("vodka",), "Vodka", "Vodka"),
    (("tequila",), "Tequila blanco", "Tequila blanco"),
    (("mezcal", "smoky", "fumé"), "Mezcal", "Mezcal"),
    (("whisky", "whiskey", "bourbon"), "Bourbon", "Bourbon"),
    (("cognac", "brandy"), "Cognac", "Cognac"),
)
ZERO_PROOF_BASE = ((), "Cold-brewed green tea", "Thé vert infusé à froid")
# ... then the article the French steps use, the amount and units, the garnish.
HERBS = (
    (("basil", "basilic"), "Basil", "Basilic", "le basilic", 6, "leaves", "feuilles",
     "Basil leaf", "Feuille de basilic"),
    (("mint", "menthe"), "Mint", "Menthe", "la menthe", 8, "leaves", "feuilles",
     "Mint sprig", "Brin de menthe"),
    (("ginger", "gingembre"), "Fresh ginger", "Gingembre frais", "le gingembre", 3, "slices",
     "tranches", "Candied ginger", "Gingembre confit"),
    (("cucumber", "concombre"), "Cucumber", "Concombre", "le concombre", 3, "slices",
     "tranches", "Cucumber ribbon", "Ruban de concombre"),
    (("rosemary", "romarin"), "Rosemary", "Romarin", "le romarin", 1, "sprig", "brin",
     "Rosemary sprig", "Brin de romarin"),
    (("thyme", "thym"), "Thyme", "Thym", "le thym", 2, "sprigs", "brins",
     "Thyme sprig", "Brin de thym"),
)  # fmt: skip
# ... then the colour the image prompt gives the drink, and whether it holds alcohol.
MODIFIERS = (
    (("violet", "violette", "purple"), "Crème de violette", "Crème de violette", "pale violet",
     True),
    (("elderflower", "sureau"), "Elderflower liqueur", "Liqueur de sureau", "pale golden", True),
    (("orange",), "Orange liqueur", "Liqueur d'orange", "amber", True),
    (("cherry", "cerise"), "Maraschino liqueur", "Marasquin", "clear", True),
    (("honey", "miel"), "Honey syrup", "Sirop de miel", "golden", False),
    (("passion",), "Passion fruit syrup", "Sirop de passion", "yellow", False),
    (("raspberry", "framboise", "pink", "rose"), "Raspberry syrup", "Sirop de framboise", "pink",
     False),
)  # fmt: skip
# ... then the twist of the garnish.
SOURS = (
    (("lemon", "citron"), "Lemon juice", "Jus de citron", "lemon twist", "zeste de citron"),
    (("lime",), "Lime juice", "Jus de citron vert", "lime wheel", "rondelle de citron vert"),
    (("grapefruit", "pamplemousse"), "Grapefruit juice", "Jus de pamplemousse",
     "grapefruit peel", "zeste de pamplemousse"),
)  # fmt: skip
LONG_DRINK = frozenset(
    re.split(r"\s+", "long tall highball fizz spritz soda sparkling pétillant bulles")
)
GLASSES = ((("coupe",), "Coupe", "Coupe"), (("nick",), "Nick & Nora", "Nick & Nora"),
           (("rocks", "old"), "Rocks glass", "Verre old fashioned"))  # fmt: skip
NAME_WORDS = (("Midnight", "de Minuit"), ("Summer", "d'Été"), ("Harbour", "du Port"),
              ("Velvet", "de Velours"), ("Misty", "des Brumes"), ("Amber", "d'Ambre"),
              ("Evening", "du Soir"), ("Moonlit", "de Lune"))  # fmt: skip
NAME_NOUNS = (("Garden", "Jardin"), ("Lantern", "Lanterne"), ("Comet", "Comète"),
              ("Lagoon", "Lagune"), ("Orchard", "Verger"), ("Mirage", "Mirage"),
              ("Meadow", "Prairie"), ("Storm", "Orage"))  # fmt: skip
TASTES = (("crisp", "frais"), ("floral", "floral"), ("bright", "vif"), ("dry", "sec"),
          ("herbaceous", "herbacé"), ("mellow", "doux"), ("tangy", "acidulé"),
          ("silky", "velouté"))  # fmt: skip
MOODS = (("mysterious", "mystérieux"), ("summery", "estival"), ("cheeky", "canaille"),
         ("dreamy", "rêveur"))  # fmt: skip
SETTINGS = ("dark marble bar lit by candlelight", "sunny terrace table",
            "copper bar top with soft bokeh lights", "wooden counter by a rainy window")  # fmt: skip
TRACKS = (("Midnight City", "M83"), ("Clair de lune", "Claude Debussy"),
          ("Harvest Moon", "Neil Young"), ("La Mer", "Charles Trenet"),
          ("Teardrop", "Massive Attack"), ("Sunny", "Bobby Hebb"), ("Dreams", "Fleetwood Mac"),
          ("Sea of Love", "Cat Power"))  # fmt: skip


def cocktail_document(wish: str = "", french: bool | None = None) -> dict[str, Any]:
    """The cocktail the fake invents for this wish (in French if it looks French), as a
    `SCHEMA` document: what the wish names (a spirit, a herb, a liqueur, a juice, a glass, a
    long drink, no alcohol) is in it, the rest is drawn from the wish's text. No wish: the
    house classic, a gin sour with basil and crème de violette named "Midnight Garden"."""
    fr = looks_french(wish) if french is None else french
    text = wish.strip().lower()
    words = set(re.findall(r"[a-zà-ÿ]+", text))
    rng = random.Random(text) if text else None

    def choose(rows: Sequence[Any], keyed: bool = True) -> Any:
        wanted = [r for r in rows if keyed and words & set(r[0])]
        return (wanted or rows)[0] if rng is None or wanted else rng.choice(rows)

    def say(english: str, french: str) -> str:
        return french if fr else english

    zero = any(phrase in text for phrase in _ZERO_PROOF)
    spirit = ZERO_PROOF_BASE if zero else choose(SPIRITS)
    herb, sour = choose(HERBS), choose(SOURS)
    modifier = choose([m for m in MODIFIERS if not zero or not m[4]])
    short = "sour" in words or any(words & set(g[0]) for g in GLASSES)
    long = bool(words & LONG_DRINK) or (not short and rng is not None and rng.random() < 0.25)
    glass = ((), "Highball", "Verre highball") if long else choose(GLASSES)
    adjective, noun, taste, mood, setting, track = (
        choose(rows, keyed=False) for rows in (NAME_WORDS, NAME_NOUNS, TASTES, MOODS, SETTINGS,
                                               TRACKS))  # fmt: skip
    taste2 = TASTES[(TASTES.index(taste) + 1) % len(TASTES)]
    bitters = not zero and not long and (rng is None or rng.random() < 0.5)

    garnish = say(f"{herb[7]} & {sour[3]}", f"{herb[8]} & {sour[4]}")
    parts = say(f"{spirit[1]}, {herb[1].lower()} and {modifier[1].lower()}",
                f"{spirit[2]}, {herb[2].lower()} et {modifier[2].lower()}")  # fmt: skip
    description = say(f'{parts}: {taste[0]}, {taste2[0]} and a little "{mood[0]}".',
                      f'{parts} : {taste[1]}, {taste2[1]} et un brin "{mood[1]}".')  # fmt: skip
    colour = ("An " if modifier[3][0] in "aeiou" else "A ") + modifier[3]
    in_glass = glass[1] if "&" in glass[1] else glass[1].lower()
    served = "long drink in a highball glass over ice" if long else f"sour in a chilled {in_glass}"
    image_prompt = (
        f"{colour} {spirit[1].lower()} {served}, garnished with {herb[7].lower()} and a "
        f"{sour[3]}, on a {setting}"
    )

    def item(name: str, amount: float | None, unit: str, note: str = "") -> dict[str, Any]:
        return {"name": name, "amount": amount, "unit": unit, "note": note}

    ingredients = [
        item(say(spirit[1], spirit[2]), 8 if zero else 5, "cl"),
        item(say(modifier[1], modifier[2]), 1.5, "cl"),
        item(say(sour[1], sour[2]), 2, "cl", say("freshly squeezed", "fraîchement pressé")),
        item(say(herb[1], herb[2]), herb[4], say(herb[5], herb[6])),
    ]
    if bitters:
        ingredients.append(item(say("Orange bitters", "Bitter à l'orange"), 2, "dash"))
    if long:
        ingredients.append(item(say("Soda water", "Eau gazeuse"), None, "",
                                say("top up", "pour allonger")))  # fmt: skip
    where = say("the glass", "le verre") if long else say("the shaker", "le shaker")
    steps = [say(f"Gently muddle the {herb[1].lower()} in {where}.",
                 f"Écraser délicatement {herb[3]} dans {where}.")]  # fmt: skip
    if long:
        steps += [
            say("Fill with ice, add the other ingredients except the soda water and stir.",
                "Remplir de glace, ajouter les autres ingrédients sauf l'eau gazeuse et remuer."),
            say(f"Top up with soda water, stir once and garnish with {garnish.lower()}.",
                f"Allonger d'eau gazeuse, remuer une fois ; décorer : {garnish.lower()}."),
        ]  # fmt: skip
    else:
        steps += [
            say("Add the other ingredients, fill with ice and shake hard for 10 seconds.",
                "Ajouter les autres ingrédients, remplir de glace et secouer 10 secondes."),
            say(f"Double strain into a chilled {in_glass}; garnish with {garnish.lower()}.",
                f"Filtrer deux fois dans le verre bien froid ; décorer : {garnish.lower()}."),
        ]  # fmt: skip
    return {
        "kind": "cocktail",
        "name": say(f"{adjective[0]} {noun[0]}", f"{noun[1]} {adjective[1]}"),
        "glass": say(glass[1], glass[2]),
        "garnish": garnish,
        "image_prompt": image_prompt,
        "description": description,
        "alcoholic": not zero,
        "ingredients": ingredients,
        "steps": steps,
        "music": {"title": track[0], "artist": track[1]},
    }


def off_topic_document(french: bool = False) -> dict[str, Any]:
    message = (
        "Ici, je ne prépare que des cocktails : dites-moi une saveur, une humeur ou un alcool "
        "qui vous plaît et je vous en invente un !"
        if french
        else "I only mix drinks here: tell me a flavour, a mood or a spirit you like and I'll "
        "invent a cocktail for you!"
    )
    return {"kind": "off_topic", "message": message}


def branch(value: Any, schema: Any) -> Any:
    """The option of an `anyOf` the value's `kind` names (the first one otherwise)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("anyOf"), list):
        return schema
    kind = value.get("kind") if isinstance(value, dict) else None
    for option in schema["anyOf"]:
        if kind in option.get("properties", {}).get("kind", {}).get("enum", ()):
            return option
    return schema["anyOf"][0]


def _order_like_schema(value: Any, schema: Any) -> Any:
    """A grammar-constrained model writes properties in the schema's order."""
    schema = branch(value, schema)
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        props = schema["properties"]
        ordered = {k: _order_like_schema(value[k], props[k]) for k in props if k in value}
        return ordered | {k: v for k, v in value.items() if k not in ordered}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_order_like_schema(item, schema["items"]) for item in value]
    return value


def dump_document(doc: Any, schema: Any = None) -> str:
    """Lightly spaced JSON, as llama-family models write under a JSON grammar. The first
    non-ASCII letter is written as a `\\u00e8`-style escape, as small models sometimes do."""
    text = json.dumps(_order_like_schema(doc, schema), ensure_ascii=False)
    accent = re.search(r"[\u00c0-\u00ff]", text)
    return text.replace(accent[0], f"\\u{ord(accent[0]):04x}", 1) if accent else text


def written_whole(value: Any, schema: Any) -> Any:
    """Under a grammar a model writes exactly the properties of the schema (of the branch its
    `kind` chose): the ones this fake's drinks do not know (a field the app added since) are
    written empty, as a model would, and the ones the schema does not have are not written."""
    schema = branch(value, schema)
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        props = schema["properties"]
        return {k: value[k] if k in value else _empty(props[k]) for k in props}
    return value


def _empty(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return written_whole({}, schema)
    return {"string": "", "boolean": False, "array": []}.get(str(kind))


def admits(schema: Any, kind: str) -> bool:
    """Whether a grammar from `schema` lets a model write a document of this `kind` (a schema
    without kinds admits anything)."""
    if not isinstance(schema, dict):
        return True
    options = schema.get("anyOf", [schema])
    kinds = [o.get("properties", {}).get("kind", {}).get("enum") for o in options]
    return any(k is None or kind in k for k in kinds)


# --------------------------------------------------------------------------------------------
# The grammar

_KINDS: dict[type, str] = {str: "string", bool: "boolean", int: "integer", float: "number",
                           type(None): "null", dict: "object", list: "array"}  # fmt: skip
PAD = "."
"""What a string too short for its `minLength` is padded with (a model forced to go on)."""


def _kind_of(value: Any) -> str:
    return _KINDS.get(type(value), "string")


def conform(value: Any, schema: Any, used: dict[int, list[Any]] | None = None) -> Any:
    """`value` as a model under the grammar of `schema` writes it: never outside it, as near
    to what it meant as the grammar lets it. `used` holds the enum values already written in
    this document, by enum (a second pick goes to another one)."""
    if not isinstance(schema, dict):
        return value
    used = {} if used is None else used
    if isinstance(schema.get("anyOf"), list):
        return conform(value, branch(value, schema), used)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return _enum(value, schema["enum"], used.setdefault(id(schema), []))
    allowed = schema.get("type")
    kinds = allowed if isinstance(allowed, list) else [allowed] if allowed else []
    kind = _kind_of(value)
    if kind == "integer" and "integer" not in kinds and "number" in kinds:
        kind = "number"
    elif kind == "number" and "number" not in kinds and "integer" in kinds:
        value, kind = round(value), "integer"
    if kinds and kind not in kinds:
        value, kind = _empty_of(kinds[0], schema), kinds[0]
    if kind == "string":
        text = str(value)[: schema.get("maxLength", None)]
        return text + PAD * max(0, int(schema.get("minLength", 0)) - len(text))
    if kind == "integer":
        if isinstance(schema.get("minimum"), int | float):
            value = max(value, schema["minimum"])
        if isinstance(schema.get("maximum"), int | float):
            value = min(value, schema["maximum"])
        return value
    if kind == "object":
        return _object(value, schema, used)
    if kind == "array":
        return _array(value, schema, used)
    return value


def _enum(value: Any, options: list[Any], used: list[Any]) -> Any:
    if value in options:
        choice = value
    else:
        fresh = [o for o in options if o not in used] or options
        key = key_of(str(value)) if isinstance(value, str) else None
        words = set(normal(str(value)).split())

        def shared(option: Any) -> int:
            return len(words & set(normal(str(option)).split()))

        named = [o for o in fresh if isinstance(o, str) and key_of(o) == key]
        best = max(fresh, key=shared)  # the first of the best
        choice = named[0] if named else best if shared(best) else fresh[0]
    used.append(choice)
    return choice


def _empty_of(kind: str, schema: dict[str, Any]) -> Any:
    return {"string": "", "boolean": False, "integer": 0, "number": 0.0, "null": None,
            "object": {}, "array": []}.get(kind, schema.get("minimum", 0))  # fmt: skip


def _object(value: dict[str, Any], schema: dict[str, Any], used: dict[int, list[Any]]) -> Any:
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or ())
    out = {}
    for name, prop in props.items():  # the schema's order; nothing else is writable
        if name in value:
            out[name] = conform(value[name], prop, used)
        elif name in required:
            out[name] = conform(_empty(prop), prop, used)
    return out


def _array(value: list[Any], schema: dict[str, Any], used: dict[int, list[Any]]) -> Any:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    high = schema.get("maxItems")
    kept = value[:high] if isinstance(high, int) else list(value)
    kept += [_empty(items)] * max(0, int(schema.get("minItems", 0)) - len(kept))
    return [conform(item, items, used) for item in kept]


def _wish_document(body: dict[str, Any]) -> dict[str, Any]:
    if not admits(body.get("format"), "cocktail"):  # the grammar leaves a refusal only
        return _off_topic(body)
    return written_whole(cocktail_document(last_user_message(body)), body.get("format"))


def _off_topic(body: dict[str, Any]) -> dict[str, Any]:
    if not admits(body.get("format"), "off_topic"):  # the grammar leaves a cocktail only
        return written_whole(cocktail_document(last_user_message(body)), body.get("format"))
    document = off_topic_document(looks_french(last_user_message(body)))
    return written_whole(document, body.get("format"))


def _schema_violation(body: dict[str, Any]) -> dict[str, Any]:
    doc = cocktail_document(last_user_message(body))
    del doc["glass"]
    doc["ingredients"][0].pop("unit")
    return doc


def _invalid_json(body: dict[str, Any]) -> str:
    doc = json.dumps(_wish_document(body), ensure_ascii=False, indent=2)
    return f"Here is your cocktail!\n\n```json\n{doc}\n```\n\nEnjoy your drink!"


Content = str | dict[str, Any] | list[Any] | Callable[[dict[str, Any]], Any] | None


def render_content(content: Content, body: dict[str, Any], grammar: bool | None = None) -> str:
    """The exact text a scenario's content produces for a request body: forced into the
    request's schema when `grammar` is True, or None and the content is the fake's own."""
    own = content is None
    if content is None:
        content = _wish_document
    if callable(content):
        content = content(body)
    if isinstance(content, str):
        return content
    schema = body.get("format")
    if (own if grammar is None else grammar) and isinstance(schema, dict):
        content = conform(content, schema)
    return dump_document(content, schema)


# --------------------------------------------------------------------------------------------
# Tokens

_ATOM = re.compile(
    r"\\u[0-9a-fA-F]{4}|\\.|\s?[^\W\d_]+|\d{1,3}|\s?[^\w\s\\]+|\n+|[^\S\n]+|.", re.DOTALL
)


@functools.lru_cache(maxsize=256)
def tokenize(text: str, seed: int = 0) -> tuple[str, ...]:
    """Token-sized fragments whose concatenation is `text`: words with their leading space,
    long words cut in 2-5 character pieces, punctuation runs in 1-3 characters, `\\uXXXX`
    escapes cut after `\\u00` and `\\"` escapes sometimes cut after the backslash."""
    rng = random.Random(seed)
    tokens: list[str] = []
    for atom in (match.group() for match in _ATOM.finditer(text)):
        if atom[0] == "\\" and len(atom) == 6:
            tokens += [atom[:4], atom[4:]]
        elif atom[0] == "\\" and len(atom) == 2 and rng.random() < 0.5:
            tokens += ["\\", atom[1]]
        elif (len(atom) > 8 and atom.strip().isalpha()) or (
            len(atom) > 1 and not atom.strip().isalnum() and not atom.isspace()
        ):
            low, high = (2, 5) if atom.strip().isalpha() else (1, 3)
            cut = 0
            while cut < len(atom):
                step = rng.randint(low, high)
                tokens.append(atom[cut : cut + step])
                cut += step
        else:
            tokens.append(atom)
    return tuple(tokens)


@functools.lru_cache(maxsize=256)
def _encoded(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(go_json(t) for t in tokens)


def _prompt_tokens(body: dict[str, Any]) -> int:
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    chars = sum(len(str(m.get("content") or "")) + 16 for m in messages)
    return max(1, (chars + len(json.dumps(body.get("format") or "")) // 2) // 4)


# --------------------------------------------------------------------------------------------
# Scenarios


@dataclass(frozen=True)
class Scenario:
    """How the fake answers a chat request. Token counts are counts of streamed chunks."""

    name: str = "custom"
    content: Content = None
    """The text to stream: None = the cocktail of the wish, a str verbatim, a dict/list dumped
    as lightly spaced JSON in the request schema's property order, or a callable(request_body)
    returning one of those."""
    ttft: float = 0.02
    """Seconds from request to first token once the model is loaded (prompt evaluation)."""
    tokens_per_second: float = 2000.0
    load_time: float = 0.0
    """Extra seconds before the first token of the fake's first chat with a model (cold)."""
    status: int | None = None
    """Answer at once with this HTTP status and {"error": ...} (404, 429, 500, 503...)."""
    error: str | None = None
    """Error text for status / error_after_tokens (default: Ollama's text for the case)."""
    error_after_tokens: int | None = None
    """After N chunks, send a last line {"error": ...} with HTTP 200 (0: a 500 before any)."""
    reset_after_tokens: int | None = None
    """After N chunks, drop the TCP connection without finishing the chunked body."""
    stall_after_tokens: int | None = None
    """After N chunks, send nothing more; hold the connection until the client leaves."""
    max_tokens: int | None = None
    """Stop after N chunks with done_reason "length" (what num_predict does)."""
    seed: int = 0
    """Seed of the tokenizer (which fragments the content is cut into)."""
    grammar: bool | None = None
    """Force the document into the request's schema, as Ollama's grammar does: None for the
    fake's own drinks only (a scripted `content` is sent as written), True for any document,
    False never."""


PRESETS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("ok"),
        Scenario("realistic", ttft=0.5, tokens_per_second=40.0, load_time=2.0),
        Scenario("slow", ttft=3.0, tokens_per_second=12.0, load_time=8.0),
        Scenario("not_found", status=404),
        Scenario("rate_limited", status=429),
        Scenario("internal_error", status=500),
        Scenario("busy", status=503),
        Scenario("error_mid_stream", error_after_tokens=20),
        Scenario("reset", reset_after_tokens=20),
        Scenario("stall", stall_after_tokens=20),
        Scenario("invalid_json", content=_invalid_json),
        Scenario("schema_violation", content=_schema_violation),
        Scenario("length", max_tokens=60),
        Scenario("off_topic", content=_off_topic),
    )
}


def scenario(spec: str | Scenario, **changes: Any) -> Scenario:
    """A preset by name (or a Scenario), with fields replaced."""
    result: Scenario = pick(PRESETS, spec, **changes)
    return result


# --------------------------------------------------------------------------------------------
# The server


class FakeOllama(ThreadedServer):
    """A fake Ollama on 127.0.0.1, served by uvicorn in a background thread.

    `scenario` is a preset name, a Scenario, or a sequence of them: a sequence answers
    consecutive chat requests in order and its last scenario then answers all the next ones.
    Load-only requests (`"messages": []`) never consume a queued scenario; they use the
    standing one (only its `status` and `load_time` matter to them)."""

    label = "fake Ollama"
    backlog = 4096
    presets = PRESETS

    def __init__(
        self,
        scenario: str | Scenario | Sequence[str | Scenario] = "ok",
        models: Iterable[str] | None = None,
        *,
        version: str = OLLAMA_VERSION,
        min_write_interval: float = 0.0,
        **server: Any,
    ) -> None:
        """`server`: host, port, record, log_level, access_log (see ThreadedServer)."""
        super().__init__(scenario, **server)
        self.models = [
            m if ":" in m else m + ":latest" for m in (DEFAULT_MODELS if models is None else models)
        ]
        self.version = version
        self.min_write_interval = min_write_interval
        """Seconds between two writes of one stream (0: each token is written when due).
        A benchmark of 1000+ streams may set e.g. 0.1 to spare CPU; lines stay one per token."""
        self.loaded: set[str] = set()

    @property
    def host(self) -> str:
        """127.0.0.1:PORT, the OLLAMA_HOST form without a scheme."""
        return f"{self.bind_host}:{self.port}"

    @property
    def chat_requests(self) -> list[Any]:
        return [r for r in self.requests if r.path == "/api/chat"]

    @property
    def last_chat(self) -> Any:
        chats = self.chat_requests
        if not chats:
            raise LookupError("no /api/chat request was received")
        return chats[-1]

    def reset(self, scenario: str | Scenario = "ok") -> None:
        """Back to a fresh state: records cleared, scenario set, models unloaded."""
        super().reset(scenario)
        self.loaded.clear()

    def find_model(self, name: str) -> str | None:
        """Ollama's lookup: a missing tag means :latest, case does not matter."""
        wanted = (name if ":" in name.rsplit("/", 1)[-1] else name + ":latest").casefold()
        return next((m for m in self.models if m.casefold() == wanted), None)

    @staticmethod
    def _tag(name: str) -> dict[str, Any]:
        digest = hashlib.sha256(name.encode()).hexdigest()
        size = re.search(r":(\d+(?:\.\d+)?)b", name)
        family = re.sub(r"[^a-z].*", "", name) or "llama"
        details = {"parent_model": "", "format": "gguf", "family": family, "families": [family],
                   "parameter_size": f"{float(size[1]) if size else 8.0:.1f}B",
                   "quantization_level": "Q4_K_M"}  # fmt: skip
        return {"name": name, "model": name, "modified_at": "2025-09-18T14:03:27.512634871+02:00",
                "size": 4_000_000_000 + int(digest[:7], 16), "digest": digest,
                "details": details}  # fmt: skip

    # --- the HTTP API ----------------------------------------------------------------------

    async def handle(self, ex: Exchange) -> None:
        route = (ex.method, ex.path)
        if route == ("GET", "/api/version"):
            await self._json(ex, 200, {"version": self.version})
        elif route == ("GET", "/api/tags"):
            await self._json(ex, 200, {"models": [self._tag(m) for m in self.models]})
        elif route == ("POST", "/api/chat"):
            await self._chat(ex)
        else:
            await ex.respond(404, b"404 page not found", "text/plain")

    @staticmethod
    async def _json(ex: Exchange, status: int, value: Any) -> None:
        await ex.respond(status, go_json(value).encode("utf-8", "replace"), _JSON)

    async def _chat(self, ex: Exchange) -> None:
        body = ex.body if isinstance(ex.body, dict) else {}
        messages = body.get("messages") or []
        sc = self.next_scenario(consume=bool(messages))
        ex.record.scenario = sc.name
        model = body.get("model") if isinstance(body.get("model"), str) else ""
        if sc.status is not None:
            text = sc.error or (not_found_error(model) if sc.status == 404 else None)
            return await self._json(ex, sc.status, {"error": text or ERRORS.get(sc.status, "")})
        if not model:
            return await self._json(ex, 400, {"error": "model is required"})
        name = self.find_model(model)
        if name is None:
            return await self._json(ex, 404, {"error": not_found_error(model)})
        start_ns = time.perf_counter_ns()
        cold = name not in self.loaded
        self.loaded.add(name)  # loading counts as loaded: a second chat waits for the same load
        if cold and not await ex.sleep(sc.load_time):
            return None
        loaded_ns = time.perf_counter_ns()
        if not messages:
            unload = body.get("keep_alive") in (0, "0")
            if unload:
                self.loaded.discard(name)
            return await self._json(ex, 200, {
                "model": model, "created_at": go_time(),
                "message": {"role": "assistant", "content": ""},
                "done_reason": "unload" if unload else "load", "done": True,
            })  # fmt: skip
        with self._busy():
            await self._stream(ex, sc, body, model, start_ns, loaded_ns)
        return None

    async def _stream(
        self, ex: Exchange, sc: Scenario, body: dict[str, Any], model: str, start_ns: int,
        loaded_ns: int,
    ) -> None:  # fmt: skip
        content = ex.record.content = render_content(sc.content, body, sc.grammar)
        tokens = tokenize(content, sc.seed)
        limit, done_reason = len(tokens), "stop"
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        for cap in (sc.max_tokens, options.get("num_predict")):
            if isinstance(cap, int | float) and not isinstance(cap, bool) and 0 < cap < limit:
                limit, done_reason = int(cap), "length"
        cuts = [(max(0, at), i, kind) for i, (kind, at) in enumerate((
            ("error", sc.error_after_tokens), ("reset", sc.reset_after_tokens),
            ("stall", sc.stall_after_tokens))) if at is not None and at <= limit]  # fmt: skip
        stop_at, _, event = min(cuts, default=(limit, 0, None))

        if not await ex.sleep(sc.ttft):
            return
        first_ns = time.perf_counter_ns()
        rate = max(sc.tokens_per_second, 1e-6)
        prefix = '{"model":' + go_json(model) + ',"created_at":"'
        encoded = _encoded(tokens)
        middle = '","message":{"role":"assistant","content":'
        # Each token is written (and flushed) when due. When the loop runs late, all tokens due
        # go in one write, so pacing holds under load; min_write_interval coalesces on purpose.
        sent = 0
        loop = asyncio.get_running_loop()
        t_first = last_write = loop.time()
        gap = self.min_write_interval
        while sent < stop_at:
            if ex.abort.is_set():
                return
            now = loop.time()
            due = min(stop_at, int((now - t_first) * rate) + 1)
            if due > sent and (gap <= 0 or now - last_write >= gap or sent == 0):
                stamp = go_time()
                lines = [f'{prefix}{stamp}{middle}{encoded[i]}}},"done":false}}\n'
                         for i in range(sent, due)]  # fmt: skip
                await self._write(ex, "".join(lines))
                sent, last_write = due, now
                continue
            wake = t_first + sent / rate
            await asyncio.sleep((max(wake, last_write + gap) if gap > 0 else wake) - now)

        if event is None:  # the end-of-sequence token takes one more step
            await asyncio.sleep(max(0.0, t_first + sent / rate - loop.time()))
            if ex.abort.is_set():
                return
        end_ns = time.perf_counter_ns()
        if event == "error":
            error = {"error": sc.error or ERR_RUNNER_STOPPED}
            if ex.started:
                await self._write(ex, go_json(error) + "\n", last=True)
            else:
                await self._json(ex, 500, error)
        elif event == "reset":
            await ex.drop()
        elif event == "stall":
            await ex.wait(None)  # until the client leaves or the server stops
        else:
            final = {
                "model": model, "created_at": go_time(),
                "message": {"role": "assistant", "content": ""}, "done_reason": done_reason,
                "done": True, "total_duration": end_ns - start_ns,
                "load_duration": max(1, loaded_ns - start_ns),
                "prompt_eval_count": _prompt_tokens(body),
                "prompt_eval_duration": max(1, first_ns - loaded_ns), "eval_count": sent,
                "eval_duration": max(1, end_ns - first_ns),
            }  # fmt: skip
            await self._write(ex, go_json(final) + "\n", last=True)

    async def _write(self, ex: Exchange, data: str, last: bool = False) -> None:
        """One write of NDJSON lines (the first one starts the 200 answer)."""
        if not ex.started:
            await ex.start(200, "application/x-ndjson")
        await ex.write(data.encode("utf-8", "replace"), last)


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_ollama",
        description="A fake Ollama server (no GPU): streams invented cocktails like Ollama does.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=11434, help="0 picks a free port")
    add("--scenario", default="realistic", help="a preset, or several separated by commas for "
        f"consecutive chats (the last one stays); presets: {', '.join(PRESETS)}")  # fmt: skip
    add("--tokens-per-second", type=float, default=None)
    add("--ttft", type=float, default=None, help="seconds to first token")
    add("--load-time", type=float, default=None, help="cold model load, seconds")
    add("--models", default=",".join(DEFAULT_MODELS), help="comma-separated")
    add("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    given = {"tokens_per_second": args.tokens_per_second, "ttft": args.ttft,
             "load_time": args.load_time}  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    try:
        scenarios = [scenario(name.strip(), **changes) for name in args.scenario.split(",")]
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    fake = FakeOllama(
        scenarios, [m.strip() for m in args.models.split(",") if m.strip()], host=args.host,
        port=args.port, record=False, log_level="warning" if args.quiet else "info",
        access_log=not args.quiet,
    )  # fmt: skip
    last = scenarios[-1]
    return serve_until_signal(fake, lambda: [
        f"  Ollama {fake.version}, scenario {args.scenario} ({last.tokens_per_second:g} "
        f"tokens/s, ttft {last.ttft:g} s, cold load {last.load_time:g} s)",
        f"  models: {', '.join(fake.models)}",
        f"Point barapp at it:  export OLLAMA_HOST={fake.url}   (or OLLAMA_HOST= in .env)",
        f'Switch scenario:     curl -d \'{{"scenario": "busy"}}\' {fake.url}/_fake/scenario',
    ])  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
