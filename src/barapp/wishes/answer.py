"""The model's answer, read in one call: a recipe (repaired if need be) or a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from barapp.cocktails.repair import Unpourable, clean_text, repair
from barapp.store.recipe import Recipe
from barapp.wishes.prompt import MESSAGE_LIMIT


class InvalidOutput(Exception):
    """The answer is not valid JSON, or not a cocktail anyone could pour (retried once)."""


@dataclass(frozen=True)
class Refusal:
    """An off-topic wish: the model's friendly sentence back to cocktails (may be empty)."""

    message: str


def read_answer(document: Any) -> Recipe | Refusal:
    if not isinstance(document, dict):
        raise InvalidOutput("the answer is not a JSON object")
    kind = document.get("kind")
    if kind == "off_topic":
        return Refusal(clean_text(document.get("message"), MESSAGE_LIMIT))
    if kind not in ("cocktail", None):
        raise InvalidOutput(f"kind: {clean_text(kind, 40)!r}")
    try:
        return repair(document)
    except Unpourable as exc:
        raise InvalidOutput(str(exc)) from None


def salvage(document: Any) -> Recipe | None:
    """The recipe in a cut-off answer, if it is one the bar can pour: a name, two ingredients
    and a step (the rest of the card may be missing). None otherwise."""
    if not isinstance(document, dict) or document.get("kind") not in ("cocktail", None):
        return None
    if not clean_text(document.get("name")):
        return None
    try:
        recipe = repair(document)
    except Unpourable:
        return None
    return recipe if len(recipe.ingredients) >= 2 and recipe.steps else None
