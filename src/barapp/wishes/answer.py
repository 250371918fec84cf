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
