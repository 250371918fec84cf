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

from typing import Annotated, Any

import msgspec
from msgspec import Meta

Text2000 = Annotated[str, Meta(max_length=2000)]


def asked(**bounds: int) -> dict[str, Any]:
    """Bounds asked of the model, tighter than the ones the bar keeps.

    `Meta`'s own bounds are what the bar keeps: a bartender's edit, an import, or a model served
    without a grammar (repaired to fit by `cocktails/repair.py`). These, in JSON-schema words,
    replace them in the schema sent to Ollama (`wishes/prompt.py`), which compiles them into
    the grammar; there a bounded repetition costs one rule per step, so they stay in the
    hundreds (docs/architecture.md has the grammar's size). A field without them is asked
    with the bar's bounds."""
    return {"x-model": bounds}


class Ingredient(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100, extra_json_schema=asked(maxLength=60))]
    # null for "top up" style quantities with no number.
    amount: (
        Annotated[float, Meta(ge=0, le=10_000, extra_json_schema=asked(maximum=1000))] | None
    ) = None
    unit: Annotated[str, Meta(max_length=20)] = ""
    note: Annotated[str, Meta(max_length=200, extra_json_schema=asked(maxLength=60))] = ""


class Music(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, Meta(max_length=200, extra_json_schema=asked(maxLength=100))] = ""
    artist: Annotated[str, Meta(max_length=200, extra_json_schema=asked(maxLength=100))] = ""


class Recipe(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, extra_json_schema=asked(maxLength=80))]
    glass: Annotated[str, Meta(max_length=100, extra_json_schema=asked(maxLength=60))] = ""
    garnish: Annotated[str, Meta(max_length=200, extra_json_schema=asked(maxLength=80))] = ""
    image_prompt: Annotated[str, Meta(max_length=2000, extra_json_schema=asked(maxLength=300))] = ""
    description: Annotated[str, Meta(max_length=4000, extra_json_schema=asked(maxLength=240))] = ""
    alcoholic: bool = True
    # A drink the bar can pour has two ingredients and a step at least, and few of either
    # (small models measured on llama.cpp filled every list to its bound with filler): the
    # grammar asks for that; the bar still keeps a one-ingredient drink a bartender wrote.
    # The texts asked are short for the same reason (a 270M model on a CPU wrote notes of a
    # hundred characters on every ingredient: a minute of the guest's wait).
    ingredients: Annotated[
        list[Ingredient],
        Meta(
            min_length=1,
            max_length=40,
            extra_json_schema=asked(minItems=2, maxItems=8),
        ),
    ]
    steps: Annotated[
        list[
            Annotated[
                str, Meta(max_length=2000, extra_json_schema=asked(minLength=8, maxLength=160))
            ]
        ],
        Meta(max_length=40, extra_json_schema=asked(minItems=1, maxItems=6)),
    ] = msgspec.field(default_factory=list)
    music: Music = msgspec.field(default_factory=Music)


RECIPE_FIELDS = tuple(field.name for field in msgspec.structs.fields(Recipe))


def fields(struct: type[msgspec.Struct]) -> tuple[msgspec.inspect.Field, ...]:
    """A struct's fields as `msgspec.inspect` describes them, their types without the schema
    extras (`asked`), which `inspect` would wrap them in: the bar's own bounds."""
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType)
    return tuple(msgspec.structs.replace(field, type=_plain(field.type)) for field in info.fields)


def _plain(kind: msgspec.inspect.Type) -> msgspec.inspect.Type:
    if isinstance(kind, msgspec.inspect.Metadata):
        return _plain(kind.type)
    if isinstance(kind, msgspec.inspect.ListType):
        return msgspec.structs.replace(kind, item_type=_plain(kind.item_type))
    if isinstance(kind, msgspec.inspect.UnionType):
        return msgspec.structs.replace(kind, types=tuple(_plain(t) for t in kind.types))
    return kind
