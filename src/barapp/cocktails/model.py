"""The cocktail as a document: the JSON format of import/export (documented in the README),
its validation, and its mapping to a `Cocktail` row, all derived from the recipe's one
definition (`store/recipe.py`).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from barapp.cocktails import derived
from barapp.shelf.allergens import NONE_OWN, Own
from barapp.store.recipe import Recipe, Text2000
from barapp.store.statuses import ImageStatus, PictureReason, Visibility

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Image(msgspec.Struct, forbid_unknown_fields=True):
    status: ImageStatus = ImageStatus.NONE
    file: Annotated[str, Meta(max_length=200, pattern=r"^[A-Za-z0-9._-]*$")] = ""
    provider: Annotated[str, Meta(max_length=50)] = ""
    model: Annotated[str, Meta(max_length=100)] = ""
    # One of `PictureReason`, or "" when the picture is fine.
    reason: Annotated[str, Meta(pattern=f"^(|{'|'.join(PictureReason)})$")] = ""
    detail: Text2000 = ""


class CocktailRecord(Recipe, forbid_unknown_fields=True, omit_defaults=False, kw_only=True):
    """A whole cocktail as imported and exported: the recipe, then what the bar knows of it."""

    id: uuid.UUID | None = None
    slug: Annotated[str, Meta(max_length=120, pattern=SLUG_PATTERN)] | None = None
    image: Image = msgspec.field(default_factory=Image)
    llm_model: Annotated[str, Meta(max_length=100)] = ""
    wish: Annotated[str, Meta(max_length=2000)] = ""
    language: Annotated[str, Meta(max_length=5, pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")] = "fr"
    visibility: Visibility = Visibility.VISIBLE
    featured: bool = False
    created_at: datetime | None = None


class InvalidRecord(ValueError):
    """A document that does not fit the format; the message names the field."""


def parse_record(data: Any) -> CocktailRecord:
    data = _upgraded(data)
    try:
        record = msgspec.convert(data, CocktailRecord)
    except msgspec.ValidationError as exc:
        raise InvalidRecord(_readable(str(exc))) from None
    if not record.name.strip():
        raise InvalidRecord("name: must not be blank")
    for i, ingredient in enumerate(record.ingredients):
        if not ingredient.name.strip():
            raise InvalidRecord(f"ingredients[{i}].name: must not be blank")
    if record.created_at is not None:
        record.created_at = _kept_date(record.created_at)
    _tidy(record)
    return record


# A date is shown and compared in other time zones (pages, PostgreSQL's session zone), where
# one in the year 1 or 9999 overflows `datetime`; from the year 1000 every ISO text of a date
# has four digits, so that SQLite, which stores them as text, sorts them right.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # excluded


def _kept_date(value: datetime) -> datetime:
    """The date in UTC (without a zone it is UTC), or InvalidRecord when out of range."""
    try:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in the year 0 in UTC
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise InvalidRecord("created_at: must be from the year 1000 to 9998")
    return utc


def _upgraded(data: Any) -> Any:
    """Files exported before reasons had a field of their own: `"error": "reason: detail"`."""
    image = data.get("image") if isinstance(data, dict) else None
    if isinstance(image, dict) and isinstance(image.get("error"), str):
        reason, _, detail = image["error"].partition(":")
        image = {k: v for k, v in image.items() if k != "error"}
        reason = reason.strip()
        known = reason in {r.value for r in PictureReason}
        image.update(reason=reason if known else "", detail=detail.strip() if known else "")
        data = {**data, "image": image}
    return data


def _tidy(value: msgspec.Struct) -> None:
    """Text as it is kept: without surrounding spaces, and no blank lines in lists of text."""
    for name in value.__struct_fields__:
        item = getattr(value, name)
        if isinstance(item, str) and name != "wish":
            setattr(value, name, item.strip())
        elif isinstance(item, msgspec.Struct):
            _tidy(item)
        elif isinstance(item, list):
            if all(isinstance(x, str) for x in item):
                setattr(value, name, [x.strip() for x in item if x.strip()])
            for x in item:
                if isinstance(x, msgspec.Struct):
                    _tidy(x)


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


def flatten(value: msgspec.Struct, prefix: str = "") -> dict[str, Any]:
    """A struct's fields as columns: nested structs become `music_title`, `image_status`..."""
    columns: dict[str, Any] = {}
    for name in value.__struct_fields__:
        item = getattr(value, name)
        if isinstance(item, msgspec.Struct):
            columns.update(flatten(item, prefix=f"{prefix}{name}_"))
        else:
            columns[prefix + name] = msgspec.to_builtins(item) if isinstance(item, list) else item
    return columns


def to_row(record: CocktailRecord, own: Own = NONE_OWN) -> dict[str, Any]:
    """Column values for a `Cocktail` row (id, slug and created_at are settled by the caller),
    with the derived search and shelf columns (`derived.py`; `own`: the allergens of the bar's
    own items, `stock.own_allergens()`)."""
    row = flatten(record)
    for key in ("id", "slug", "created_at"):
        del row[key]
    row["search_text"] = search_text(record)
    row["sort_name"] = fold(record.name)[:200]
    # What the knowledge base says of it (strength, allergens, ingredient keys): every writer
    # of a row comes through here.
    row.update(
        derived.derive(record.ingredients, record.steps, record.alcoholic, record.garnish, own)
    )
    return row


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """The exported document of a row (the inverse of `to_row`)."""
    document: dict[str, Any] = {}
    for field in msgspec.structs.fields(CocktailRecord):
        name = field.name
        struct = _struct_of(field.type)
        if struct is not None:
            document[name] = {sub: row[f"{name}_{sub}"] for sub in struct.__struct_fields__}
        else:
            document[name] = row[name]
    document["id"] = str(row["id"])
    document["created_at"] = row["created_at"].astimezone(UTC).isoformat()
    return document


def _struct_of(kind: Any) -> type[msgspec.Struct] | None:
    return kind if isinstance(kind, type) and issubclass(kind, msgspec.Struct) else None
