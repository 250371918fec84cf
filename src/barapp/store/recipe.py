"""The recipe of a cocktail, typed once.

Everything that has the shape of a cocktail derives from these structs: the JSON schema sent to
the model (`wishes/prompt.py`: the grammar Ollama builds from it enforces every limit here),
the validation and gentle repair of its answer and of imported files (`cocktails/model.py`),
the import/export document (`cocktails/model.CocktailRecord` adds the bookkeeping fields) and
the recipe columns of the `Cocktail` table (`store/tables.py`, one column per field, nested
structs flattened as `music_title`...).

Field order is the card's order, and the order the model writes: the name the guest waits
for, then the glass, garnish and the English image prompt (so a picture can start while the
recipe is written, and agree with the glass and garnish), then the recipe itself and the music.
A new field is added here (with its limit), in the templates that show it, in a migration and
in the README's format table.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

Text200 = Annotated[str, Meta(max_length=200)]
Text2000 = Annotated[str, Meta(max_length=2000)]


class Ingredient(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    # null for "top up" style quantities with no number.
    amount: Annotated[float, Meta(ge=0, le=10_000)] | None = None
    unit: Annotated[str, Meta(max_length=20)] = ""
    note: Text200 = ""


class Music(msgspec.Struct, forbid_unknown_fields=True):
    title: Text200 = ""
    artist: Text200 = ""


class Recipe(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    glass: Annotated[str, Meta(max_length=100)] = ""
    garnish: Text200 = ""
    image_prompt: Text2000 = ""
    description: Annotated[str, Meta(max_length=4000)] = ""
    alcoholic: bool = True
    ingredients: Annotated[list[Ingredient], Meta(min_length=1, max_length=40)]
    steps: Annotated[list[Text2000], Meta(max_length=40)] = msgspec.field(default_factory=list)
    music: Music = msgspec.field(default_factory=Music)


RECIPE_FIELDS = tuple(field.name for field in msgspec.structs.fields(Recipe))
