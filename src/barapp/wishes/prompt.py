"""What barapp asks the model: the system prompt and the JSON schema of the answer.

The schema's property order is the order the model writes, so it is the order the card fills:
the verdict first (cocktail or off-topic), then the name the guest waits for, then the glass,
garnish and the English image prompt (so a picture can start while the recipe is written, and
agree with the glass and garnish), then the recipe itself and the music.
"""

from __future__ import annotations

from typing import Any

TEXT = {"type": "string"}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["cocktail", "off_topic"]},
        "message": TEXT,
        "name": TEXT,
        "glass": TEXT,
        "garnish": TEXT,
        "image_prompt": TEXT,
        "description": TEXT,
        "alcoholic": {"type": "boolean"},
        "ingredients": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": TEXT,
                    "amount": {"type": ["number", "null"]},
                    "unit": TEXT,
                    "note": TEXT,
                },
                "required": ["name", "amount", "unit", "note"],
            },
        },
        "steps": {"type": "array", "items": TEXT},
        "music": {
            "type": "object",
            "properties": {"title": TEXT, "artist": TEXT},
            "required": ["title", "artist"],
        },
    },
    "required": [
        "kind",
        "message",
        "name",
        "glass",
        "garnish",
        "image_prompt",
        "description",
        "alcoholic",
        "ingredients",
        "steps",
        "music",
    ],
}

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
