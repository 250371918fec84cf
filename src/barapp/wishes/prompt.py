"""What barapp asks the model: the system prompt and the JSON schema of the answer.

The answer is one of two shapes, told apart by their first property: a cocktail (`"kind":
"cocktail"`, then the recipe in the order of `store/recipe.py`, which is the order the card
fills) or an off-topic wish (`"kind": "off_topic"` and a message, nothing else). Two shapes let
the grammar demand ingredients and a step of a cocktail without asking a refusal for any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from barapp.store.recipe import Recipe

if TYPE_CHECKING:  # the shelf's offer is built from this module's SCHEMA
    from barapp.wishes.shelf_schema import Shelf


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """msgspec's schema with its `$ref`s inlined, without titles and defaults, and with the
    bounds asked of the model (`"x-model"`) in place of the store's: the shape Ollama
    turns into a grammar (every property required, so the model writes each one)."""
    if isinstance(schema, list):
        return [_inline(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inline(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    out = {k: _inline(v, defs) for k, v in schema.items() if k not in ("title", "default")}
    out.update(out.pop("x-model", {}))
    if "properties" in schema:  # names, not keywords: a property may be called "title"
        out["properties"] = {k: _inline(v, defs) for k, v in schema["properties"].items()}
    if "anyOf" in out and {"type": "null"} in out["anyOf"]:  # "number or null" in one type
        (kind,) = [option for option in out.pop("anyOf") if option != {"type": "null"}]
        out.update(kind, type=[kind["type"], "null"])
    if out.get("type") == "object":
        out["required"] = list(out["properties"])
    return out


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


MESSAGE_LIMIT = 300


def _schema() -> dict[str, Any]:
    (recipe_schema,), components = msgspec.json.schema_components([Recipe])
    recipe = _inline(recipe_schema, components)
    cocktail = {"kind": {"type": "string", "enum": ["cocktail"]}, **recipe["properties"]}
    off_topic = {
        "kind": {"type": "string", "enum": ["off_topic"]},
        # A sentence, not "...": a 270M model measured on llama.cpp took the two-field branch
        # as the cheap way out of on-topic wishes when any message would do.
        "message": {"type": "string", "minLength": 20, "maxLength": MESSAGE_LIMIT},
    }
    return {"anyOf": [_object(cocktail), _object(off_topic)]}


SCHEMA: dict[str, Any] = _schema()
"""The answer: a cocktail exactly as `store/recipe.py` defines it (with the bounds asked of the
model), or an off-topic wish with its message."""
COCKTAIL_SCHEMA, OFF_TOPIC_SCHEMA = SCHEMA["anyOf"]

SYSTEM_PROMPT = """\
You are the head bartender of {bar_name}, a skilled and balanced mixologist. A guest tells you \
what they would like; you invent ONE original cocktail for them.

Rules for the drink:
- It must be makeable behind an ordinary bar: common spirits, liqueurs, juices, syrups, \
bitters, herbs, fruit. Real quantities: every ingredient has a number and a unit \
(cl, ml, oz, dash, leaves, bar spoon...), or amount null only for "top up".
- Balance: a base spirit (or a non-alcoholic base), sour and sweet in proportion, at most one \
or two liqueurs. Never overly sweet, never a pile of liqueurs. 3 to 7 ingredients, each \
written once.
- If the guest asks for no alcohol (or a mocktail, virgin, sans alcool), make it alcohol-free \
and set "alcoholic" to false.
- 2 to 6 short, precise steps (build, shake, stir, strain, garnish).
- A music track that really exists and fits the mood: title and artist.

Language: write "name", "description", "glass", "garnish", ingredient names, notes, units and \
steps in the language of the guest's wish. Write "image_prompt" ALWAYS in English: one or two \
sentences describing the finished drink for an image generator (glass, colour, ice, garnish, \
setting), consistent with "glass" and "garnish".

Answer with JSON only, following the schema.
- For a cocktail, the fields in this order: "kind": "cocktail", name, glass, garnish, \
image_prompt, description, alcoholic, ingredients, steps, music.
- If the wish has nothing to do with drinks (a general question, a request for other help), \
do not make a cocktail: answer only {{"kind": "off_topic", "message": "..."}} with one short, \
friendly sentence in the guest's language that steers them back to cocktails.
"""


AFTER_A_LOOP = """\
(Your last answer wrote the same ingredient or step again and again. Write each one once, \
then go on to the steps and the music.)"""


AVOID = """\
The guest cannot have: {allergens}. Use no ingredient that holds any of them, not even in a \
foam, a float or the garnish (no egg white, cream, milk, nut syrup or liqueur if they say so).
"""

PREFER = """\
The bar's shelf, what it has in stock today: {names}. Use these ingredients (water and ice are \
always there) and only add another one when the drink really needs it. The garnish is free.
"""

STRICT = """\
The bar's shelf, the ONLY ingredients you may use, each name written exactly as here: {names}.
{garnish}
"""
GARNISH_FROM = 'The garnish: exactly one of {garnishes}, or "" for none.'
NO_GARNISH = 'The garnish: "" (the shelf has nothing to garnish with).'


def _listed(names: tuple[str, ...]) -> str:
    return "; ".join(names)


def shelf_rules(shelf: Shelf | None) -> str:
    """What the system prompt adds for the shelf and the guest's allergens ("" in free mode
    without allergens: the prompt stays as it always was)."""
    if shelf is None:
        return ""
    rules = ""
    if shelf.mode == "prefer" and shelf.ingredients:
        rules += PREFER.format(names=_listed(shelf.ingredients))
    elif shelf.mode == "strict":
        garnishes = _listed(tuple(g for g in shelf.garnishes if g))
        garnish = GARNISH_FROM.format(garnishes=garnishes) if garnishes else NO_GARNISH
        rules += STRICT.format(names=_listed(shelf.ingredients), garnish=garnish)
    if shelf.avoid:
        rules += AVOID.format(allergens=", ".join(shelf.avoid))
    return rules


def messages(
    wish: str, bar_name: str, looped: bool = False, shelf: Shelf | None = None
) -> list[dict[str, str]]:
    """The chat: the system prompt (and what the shelf and the guest's allergens add to it)
    and the guest's wish (with a word about the last answer's loop, when it is asked again
    after one: the grammar cannot forbid repeats)."""
    system = SYSTEM_PROMPT.format(bar_name=bar_name)
    rules = shelf_rules(shelf)
    return [
        {"role": "system", "content": f"{system}\n{rules}" if rules else system},
        {"role": "user", "content": f"{wish}\n\n{AFTER_A_LOOP}" if looped else wish},
    ]
