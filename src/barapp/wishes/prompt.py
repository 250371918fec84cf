"""What barapp asks the model: the system prompt and the JSON schema of the answer.

The schema's property order is the order the model writes, so it is the order the card fills:
the verdict first (cocktail or off-topic), then the recipe in the order of `store/recipe.py`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from barapp.store.recipe import Recipe


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """msgspec's schema with its `$ref`s inlined and without titles and defaults: the shape
    Ollama turns into a grammar (every property required, so the model writes each one)."""
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inline(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    out = {k: _inline(v, defs) for k, v in schema.items() if k not in ("title", "default")}
    if "properties" in schema:  # names, not keywords: a property may be called "title"
        out["properties"] = {k: _inline(v, defs) for k, v in schema["properties"].items()}
    if "anyOf" in out and {"type": "null"} in out["anyOf"]:  # "number or null" in one type
        (kind,) = [option for option in out.pop("anyOf") if option != {"type": "null"}]
        out.update(kind, type=[kind["type"], "null"])
    if out.get("type") == "object":
        out["required"] = list(out["properties"])
    # A refusal leaves the recipe empty: minimums hold for a cocktail only, and are repaired
    # (cocktails/repair.py) rather than written into the grammar.
    out.pop("minLength", None)
    out.pop("minItems", None)
    return out


def _schema() -> dict[str, Any]:
    (recipe_schema,), components = msgspec.json.schema_components([Recipe])
    recipe = _inline(recipe_schema, components)
    verdict = {
        "kind": {"type": "string", "enum": ["cocktail", "off_topic"]},
        "message": {"type": "string", "maxLength": 300},
    }
    properties = {**verdict, **recipe["properties"]}
    return {"type": "object", "properties": properties, "required": list(properties)}


SCHEMA: dict[str, Any] = _schema()
"""The answer: the verdict (a cocktail, or an off-topic wish with a message), then the recipe
exactly as `store/recipe.py` defines it, its limits included."""

SYSTEM_PROMPT = """\
You are the head bartender of {bar_name}, a skilled and balanced mixologist. A guest tells you \
what they would like; you invent ONE original cocktail for them.

Rules for the drink:
- It must be makeable behind an ordinary bar: common spirits, liqueurs, juices, syrups, \
bitters, herbs, fruit. Real quantities: every ingredient has a number and a unit \
(cl, ml, oz, dash, leaves, bar spoon...), or amount null only for "top up".
- Balance: a base spirit (or a non-alcoholic base), sour and sweet in proportion, at most one \
or two liqueurs. Never overly sweet, never a pile of liqueurs. 3 to 7 ingredients.
- If the guest asks for no alcohol (or a mocktail, virgin, sans alcool), make it alcohol-free \
and set "alcoholic" to false.
- 2 to 6 short, precise steps (build, shake, stir, strain, garnish).
- A music track that really exists and fits the mood: title and artist.

Language: write "name", "description", "glass", "garnish", ingredient names, notes, units and \
steps in the language of the guest's wish. Write "image_prompt" ALWAYS in English: one or two \
sentences describing the finished drink for an image generator (glass, colour, ice, garnish, \
setting), consistent with "glass" and "garnish".

Answer with JSON only, following the schema, fields in this order: kind, message, name, \
glass, garnish, image_prompt, description, alcoholic, ingredients, steps, music.
- For a cocktail: "kind": "cocktail" and "message": "".
- If the wish has nothing to do with drinks (a general question, a request for other help), \
do not make a cocktail: "kind": "off_topic", "message": one short, friendly sentence in the \
guest's language that steers them back to cocktails, and every other field empty \
("", false, [], and empty music).
"""


def messages(wish: str, bar_name: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(bar_name=bar_name)},
        {"role": "user", "content": wish},
    ]
