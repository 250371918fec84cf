"""A recipe as a model wrote it, repaired gently into one the bar can keep.

The grammar Ollama builds from the schema enforces the recipe's limits, but not every model
is served with a grammar, and a small model stuck in a loop repeats itself until it is cut
off. None of that is a reason to lose a drink: text is trimmed and cut to its limit at a word,
a unit too long to be a unit moves into the note, an amount out of range becomes "to taste",
repeated ingredients and steps are dropped, a missing name is made from the ingredients.
The one thing that cannot be repaired is a cocktail without a single named ingredient.
"""

from __future__ import annotations

from typing import Any

import msgspec

from barapp.store.recipe import Ingredient, Music, Recipe, fields


class Unpourable(ValueError):
    """A cocktail the model wrote without any usable ingredient."""


def _limits(struct: type[msgspec.Struct]) -> dict[str, msgspec.inspect.Type]:
    return {field.name: field.type for field in fields(struct)}


RECIPE, INGREDIENT, MUSIC = _limits(Recipe), _limits(Ingredient), _limits(Music)


def _max(kind: msgspec.inspect.Type) -> int:
    if isinstance(kind, msgspec.inspect.StrType | msgspec.inspect.ListType):
        return kind.max_length if kind.max_length is not None else 1 << 30
    raise TypeError(kind)


def clean_text(value: Any, limit: int | None = None) -> str:
    """A string the database and the page can hold (no NUL, no lone surrogate: PostgreSQL and
    the SSE stream refuse both), trimmed, and cut at a word to fit `limit`."""
    if not isinstance(value, str):
        return "" if value is None or isinstance(value, dict | list) else str(value)
    text = value.replace("\x00", "")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").strip()
    if limit is not None and len(text) > limit:
        cut = text[: limit - 1]
        word = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut
        text = word.rstrip(" ,;:-") + "…"
    return text


def _amount(value: Any) -> float | None:
    kind = INGREDIENT["amount"]
    number = kind.types[0] if isinstance(kind, msgspec.inspect.UnionType) else kind
    assert isinstance(number, msgspec.inspect.FloatType)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    low, high = number.ge or 0.0, number.le or float("inf")
    return float(value) if low <= value <= high else None


def _ingredient(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    name = clean_text(item.get("name"), _max(INGREDIENT["name"]))
    if not name:
        return None
    unit = clean_text(item.get("unit"))
    note = clean_text(item.get("note"))
    if len(unit) > _max(INGREDIENT["unit"]):  # "cl of freshly squeezed juice": not a unit
        unit, note = "", f"{unit} {note}".strip()
    return {
        "name": name,
        "amount": _amount(item.get("amount")),
        "unit": unit,
        "note": clean_text(note, _max(INGREDIENT["note"])),
    }


def _unique(items: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def repair(document: dict[str, Any]) -> Recipe:
    """The recipe in `document` (the model's answer), repaired; raises `Unpourable`."""
    raw = [_ingredient(item) for item in _list(document.get("ingredients"))]
    ingredients = _unique([item for item in raw if item])[: _max(RECIPE["ingredients"])]
    if not ingredients:
        raise Unpourable("no ingredient")
    steps = [
        clean_text(step, _max(_items(RECIPE["steps"]))) for step in _list(document.get("steps"))
    ]
    music = document.get("music")
    music = music if isinstance(music, dict) else {}
    values: dict[str, Any] = {
        name: clean_text(document.get(name), _max(kind))
        for name, kind in RECIPE.items()
        if isinstance(kind, msgspec.inspect.StrType)
    }
    values.update(
        alcoholic=document.get("alcoholic") is not False,
        ingredients=ingredients,
        steps=_unique([step for step in steps if step])[: _max(RECIPE["steps"])],
        music={name: clean_text(music.get(name), _max(kind)) for name, kind in MUSIC.items()},
    )
    if not values["name"]:
        values["name"] = " & ".join(item["name"] for item in ingredients[:2])[:100]
    return msgspec.convert(values, Recipe)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _items(kind: msgspec.inspect.Type) -> msgspec.inspect.Type:
    assert isinstance(kind, msgspec.inspect.ListType)
    return kind.item_type
