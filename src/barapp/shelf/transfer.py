"""`barapp shelf export` / `barapp shelf import`: the bar's shelf as a JSON list of items.

    [{"key": "gin", "name_en": "Gin", "name_fr": "Gin", "category": "spirit", "abv": 40.0,
      "allergens": [], "in_stock": true, "custom": false}, ...]

For an item of the knowledge base only `key` and `in_stock` are read back: its names, category,
strength and allergens are the base's (exported for a person to read, ignored on import, so a
newer base's facts win). A custom item (`"custom": true`) carries its own facts; its key is
derived from its English name (`stock.custom_key`), so a file's `key` for it may be left out.

The import is all or nothing (every entry checked first, one write transaction), idempotent
(an item already there is updated to what the file says: importing the same file twice
changes nothing the second time) and leaves the items the file does not name alone, unless
`only` (`--replace`) removes them. It marks the shelf seeded: an imported shelf is never filled
over from the saved drinks (`seed.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from barapp.shelf import stock
from barapp.shelf.knowledge import Allergen, Category, base
from barapp.shelf.seed import mark_seeded
from barapp.store import db
from barapp.text import clean

_MESSAGE_LIMIT = 300


class ShelfImportRejected(ValueError):
    """The file is refused as a whole; the one-line message names the entry and the field."""


Name = Annotated[str, msgspec.Meta(max_length=100)]


class ShelfEntry(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    key: Annotated[str, msgspec.Meta(max_length=100)] = ""
    name_en: Name = ""
    name_fr: Name = ""
    category: Category = Category.OTHER
    abv: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    allergens: list[Allergen] = []
    in_stock: bool = True
    custom: bool = False


@dataclass(frozen=True)
class ShelfFile:
    known: dict[str, bool]
    customs: list[stock.Custom]


def _refused(message: str) -> ShelfImportRejected:
    one_line = " ".join(message.split())
    if len(one_line) > _MESSAGE_LIMIT:
        one_line = one_line[: _MESSAGE_LIMIT - 1] + "…"
    return ShelfImportRejected(one_line)


def _label(number: int, value: Any) -> str:
    name = value.get("name_en") or value.get("key") if isinstance(value, dict) else None
    if isinstance(name, str) and name.strip():
        name = clean(name.strip())
        return f"entry {number} ({(name if len(name) <= 40 else name[:39] + '…')!r})"
    return f"entry {number}"


def _cleaned(value: Any) -> Any:
    """Every string of the entry, keys too, cleaned by the one rule (`barapp/text.py`)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean(str(k)): _cleaned(v) for k, v in value.items()}
    return value


def parse_file(data: str | bytes) -> ShelfFile:
    """The file checked entry by entry, or `ShelfImportRejected` for the first problem."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _refused(f"the file is not UTF-8 text (byte {exc.start})") from None
    data = data.removeprefix("\ufeff")
    if not data.strip():
        raise _refused("the file is empty")
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:
        where = f"line {exc.lineno}: " if isinstance(exc, json.JSONDecodeError) else ""
        raise _refused(f"{where}not JSON ({getattr(exc, 'msg', 'too deep')})") from None
    if not isinstance(raw, list):
        raise _refused('the file must hold a JSON list of shelf items: [ {"key": ...}, ... ]')
    known: dict[str, bool] = {}
    customs: dict[str, stock.Custom] = {}
    seen: dict[str, int] = {}
    for number, value in enumerate(raw, 1):
        label = _label(number, value)
        try:
            entry = msgspec.convert(_cleaned(value), ShelfEntry)
        except msgspec.ValidationError as exc:
            raise _refused(f"{label}: {exc}") from None
        key = _key_of(entry, label)
        if key in seen:
            raise _refused(f"{label}: same key {key!r} as entry {seen[key]}")
        seen[key] = number
        if entry.custom:
            customs[key] = stock.Custom(
                name=" ".join(entry.name_en.split()) or " ".join(entry.name_fr.split()),
                category=entry.category,
                abv=entry.abv,
                allergens=frozenset(entry.allergens),
                in_stock=entry.in_stock,
                name_fr=" ".join(entry.name_fr.split()),
            )
        else:
            known[key] = entry.in_stock
    return ShelfFile(known, list(customs.values()))


def _key_of(entry: ShelfEntry, label: str) -> str:
    if not entry.custom:
        if entry.key not in base():
            raise _refused(
                f"{label}: key {entry.key!r} is not in barapp's ingredient base "
                '(a bar\'s own item needs "custom": true and a name_en)'
            )
        return entry.key
    name = " ".join(entry.name_en.split()) or " ".join(entry.name_fr.split())
    if not name:
        raise _refused(f"{label}: a custom item needs a name_en")
    key = stock.custom_key(name)
    if key == stock.custom_key(""):
        raise _refused(f"{label}: a custom item's name needs a letter or a digit")
    if entry.key and entry.key != key:
        raise _refused(
            f"{label}: a custom item's key is {key!r} (from its name), not {entry.key!r}"
        )
    return key


async def import_file(shelf: ShelfFile, only: bool = False) -> None:
    async def work() -> set[str]:
        changed = await stock.write_all(shelf.known, shelf.customs, only)
        await mark_seeded()
        return changed

    await stock.told(await db.write(work))


async def import_text(data: str | bytes, only: bool = False) -> ShelfFile:
    shelf = parse_file(data)
    await import_file(shelf, only)
    return shelf


async def export_documents() -> list[dict[str, Any]]:
    return [
        {
            "key": item.key,
            "name_en": item.name_en,
            "name_fr": item.name_fr,
            "category": item.category.value,
            "abv": item.abv,
            "allergens": sorted(a.value for a in item.allergens),
            "in_stock": item.in_stock,
            "custom": item.custom,
        }
        for item in await stock.items()
    ]


async def export_text() -> str:
    return json.dumps(await export_documents(), ensure_ascii=False, indent=2) + "\n"
