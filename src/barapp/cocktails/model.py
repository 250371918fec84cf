"""The cocktail as a document: the JSON format of import/export (documented in the README),
its validation, and its mapping to a `Cocktail` row.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Text200 = Annotated[str, Meta(max_length=200)]
Text2000 = Annotated[str, Meta(max_length=2000)]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Ingredient(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    # null for "top up" style quantities with no number.
    amount: Annotated[float, Meta(ge=0, le=10_000)] | None = None
    unit: Annotated[str, Meta(max_length=20)] = ""
    note: Text200 = ""


class Music(msgspec.Struct, forbid_unknown_fields=True):
    title: Text200 = ""
    artist: Text200 = ""


class Image(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["none", "pending", "ready", "failed", "filtered"] = "none"
    file: Annotated[str, Meta(max_length=200, pattern=r"^[A-Za-z0-9._-]*$")] = ""
    provider: Annotated[str, Meta(max_length=50)] = ""
    model: Annotated[str, Meta(max_length=100)] = ""
    error: Text2000 = ""


class CocktailRecord(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    ingredients: Annotated[list[Ingredient], Meta(min_length=1, max_length=40)]
    id: uuid.UUID | None = None
    slug: Annotated[str, Meta(max_length=120, pattern=SLUG_PATTERN)] | None = None
    description: Annotated[str, Meta(max_length=4000)] = ""
    steps: Annotated[list[Text2000], Meta(max_length=40)] = []
    glass: Annotated[str, Meta(max_length=100)] = ""
    garnish: Text200 = ""
    alcoholic: bool = True
    music: Music = msgspec.field(default_factory=Music)
    image_prompt: Text2000 = ""
    image: Image = msgspec.field(default_factory=Image)
    llm_model: Annotated[str, Meta(max_length=100)] = ""
    wish: Annotated[str, Meta(max_length=2000)] = ""
    language: Annotated[str, Meta(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")] = "fr"
    visibility: Literal["visible", "hidden", "pending"] = "visible"
    featured: bool = False
    created_at: datetime | None = None


class InvalidRecord(ValueError):
    """A document that does not fit the format; the message names the field."""


def parse_record(data: Any) -> CocktailRecord:
    try:
        record = msgspec.convert(data, CocktailRecord)
    except msgspec.ValidationError as exc:
        raise InvalidRecord(_readable(str(exc))) from None
    if not record.name.strip():
        raise InvalidRecord("name: must not be blank")
    for i, ingredient in enumerate(record.ingredients):
        if not ingredient.name.strip():
            raise InvalidRecord(f"ingredients[{i}].name: must not be blank")
    if record.created_at is not None and record.created_at.tzinfo is None:
        record.created_at = record.created_at.replace(tzinfo=UTC)
    return record


def _readable(message: str) -> str:
    """msgspec says "Expected `int`, got `str` - at `$.ingredients[0].amount`"; lead with the
    field, which is what the bar owner needs to find in the file."""
    text, sep, where = message.rpartition(" - at `")
    if not sep:
        named = re.search(r"field `([^`]+)`", message)
        return f"{named.group(1)}: {message}" if named else message
    field = where.rstrip("`").removeprefix("$").lstrip(".")
    named = re.search(r"field `([^`]+)`", text)
    if named:
        field = f"{field}.{named.group(1)}" if field else named.group(1)
    return f"{field}: {text}" if field else text


def fold(text: str) -> str:
    """Lowercase without accents: "Crème de Cassis" -> "creme de cassis" (search and sort)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:80].rstrip("-") or "cocktail"


def search_text(record: CocktailRecord) -> str:
    parts = [record.name, record.description, *(i.name for i in record.ingredients)]
    return fold("\n".join(parts))


def to_row(record: CocktailRecord) -> dict[str, Any]:
    """Column values for a `Cocktail` row (id, slug and created_at are settled by the caller)."""
    return {
        "name": record.name.strip(),
        "description": record.description.strip(),
        "ingredients": [msgspec.to_builtins(i) for i in record.ingredients],
        "steps": [s.strip() for s in record.steps if s.strip()],
        "glass": record.glass.strip(),
        "garnish": record.garnish.strip(),
        "alcoholic": record.alcoholic,
        "music_title": record.music.title.strip(),
        "music_artist": record.music.artist.strip(),
        "image_prompt": record.image_prompt.strip(),
        "image_status": record.image.status,
        "image_file": record.image.file,
        "image_provider": record.image.provider,
        "image_model": record.image.model,
        "image_error": record.image.error,
        "llm_model": record.llm_model.strip(),
        "wish": record.wish,
        "language": record.language,
        "visibility": record.visibility,
        "featured": record.featured,
        "search_text": search_text(record),
        "sort_name": fold(record.name.strip())[:200],
    }


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """The exported document of a row (the inverse of `to_row`)."""
    return {
        "id": str(row["id"]),
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "ingredients": row["ingredients"],
        "steps": row["steps"],
        "glass": row["glass"],
        "garnish": row["garnish"],
        "alcoholic": row["alcoholic"],
        "music": {"title": row["music_title"], "artist": row["music_artist"]},
        "image_prompt": row["image_prompt"],
        "image": {
            "status": row["image_status"],
            "file": row["image_file"],
            "provider": row["image_provider"],
            "model": row["image_model"],
            "error": row["image_error"],
        },
        "llm_model": row["llm_model"],
        "wish": row["wish"],
        "language": row["language"],
        "visibility": row["visibility"],
        "featured": row["featured"],
        "created_at": row["created_at"].astimezone(UTC).isoformat(),
    }
