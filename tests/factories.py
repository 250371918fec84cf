"""Test data in the import format."""

from __future__ import annotations

from typing import Any

from barapp.cocktails.model import parse_record
from barapp.cocktails.transfer import import_records


def cocktail_doc(name: str = "Negroni", **fields: Any) -> dict[str, Any]:
    """A valid cocktail document (the import format), with any field overridden."""
    doc: dict[str, Any] = {
        "name": name,
        "description": f"A drink called {name}.",
        "ingredients": [
            {"name": "Gin", "amount": 3, "unit": "cl"},
            {"name": "Campari", "amount": 3, "unit": "cl"},
        ],
        "steps": ["Stir with ice.", "Strain."],
        "glass": "Rocks glass",
        "garnish": "Orange peel",
        "music": {"title": "Via con me", "artist": "Paolo Conte"},
        "llm_model": "llama3.1:8b",
        "wish": "something bitter",
    }
    doc.update(fields)
    return doc


async def add_cocktails(*docs: dict[str, Any]) -> None:
    await import_records([parse_record(doc) for doc in docs])
