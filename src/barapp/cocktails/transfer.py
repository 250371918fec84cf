"""`barapp import` / `barapp export`: a bar's house menu and its backups, as a JSON list of
cocktail documents (format in model.py and the README).

Import is all-or-nothing (every entry is checked before anything is written, and the writes
share one transaction) and idempotent (an entry whose id or slug exists updates that cocktail).
The file is hostile until read (`jsonlist.py`): whatever it holds, the import keeps its text
cleaned by the one rule or refuses it with a one-line message, never a traceback. An export is
cleaned the same way, so it imports into either engine.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from barapp.cocktails import jsonlist
from barapp.cocktails.model import (
    CocktailRecord,
    InvalidRecord,
    from_row,
    parse_record,
    slugify,
    to_row,
)
from barapp.shelf import stock
from barapp.shelf.allergens import Own
from barapp.store import db
from barapp.store.tables import Cocktail


class ImportRejected(ValueError):
    """The file is refused as a whole; the message (one line) names the entry, the line it
    starts on and the field."""


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0


@dataclass(frozen=True)
class Entry:
    record: CocktailRecord
    label: str  # how messages name it: "entry 2 (line 14, 'Paloma')"


# A message quotes at most this much of the file (a 10,000-character field name, say).
_NAME_LIMIT = 40
_MESSAGE_LIMIT = 300


def _label(number: int, line: int | None, name: Any) -> str:
    """How messages name an entry, with what the bar owner can look for in the file:
    "entry 2 (line 14, 'Paloma')"."""
    parts = [f"line {line}"] if line is not None else []
    if isinstance(name, str) and name.strip():
        name = name.strip()
        parts.append(repr(name if len(name) <= _NAME_LIMIT else name[: _NAME_LIMIT - 1] + "…"))
    return f"entry {number}" + (f" ({', '.join(parts)})" if parts else "")


def _refused(message: str) -> ImportRejected:
    one_line = " ".join(message.split("\n"))
    if len(one_line) > _MESSAGE_LIMIT:
        one_line = one_line[: _MESSAGE_LIMIT - 1] + "…"
    return ImportRejected(one_line)


def parse_file(data: str | bytes) -> list[Entry]:
    """Every entry of the file checked, its text cleaned (`jsonlist`): the file as it will be
    written, or `ImportRejected` for the first problem."""
    try:
        raw = jsonlist.read_list(data)
    except jsonlist.Unreadable as exc:
        raise _refused(str(exc)) from None
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for item in raw:
        name = item.value.get("name") if isinstance(item.value, dict) else None
        label = _label(item.number, item.line, name)
        try:
            record = parse_record(item.value)
        except InvalidRecord as exc:
            raise _refused(f"{label}: {exc}") from None
        for key in (f"id {record.id}" if record.id else "", f"slug {_slug_of(record)}"):
            if key and key in seen:
                raise _refused(f"{label}: same {key} as entry {seen[key]}")
            if key:
                seen[key] = item.number
        entries.append(Entry(record, label))
    return entries


def _slug_of(record: CocktailRecord) -> str:
    return record.slug or slugify(record.name)


async def import_records(records: list[CocktailRecord]) -> ImportSummary:
    """Records checked by `parse_record` (tests, a house menu built in code)."""
    return await import_entries(
        [Entry(record, _label(n, None, record.name)) for n, record in enumerate(records, 1)]
    )


async def import_entries(entries: list[Entry]) -> ImportSummary:
    summary = ImportSummary()
    own = await stock.own_allergens()
    async with db.write_transaction():
        for entry in entries:
            await _upsert(entry, summary, own)
    return summary


async def _upsert(entry: Entry, summary: ImportSummary, own: Own) -> None:
    record = entry.record
    slug = _slug_of(record)
    by_id = (
        await Cocktail.select(Cocktail.id, Cocktail.slug).where(Cocktail.id == record.id).first()
        if record.id
        else None
    )
    by_slug = await Cocktail.select(Cocktail.id, Cocktail.slug).where(Cocktail.slug == slug).first()
    if by_id and by_slug and by_id["id"] != by_slug["id"]:
        raise _refused(
            f"{entry.label}: its id belongs to cocktail "
            f"{by_id['slug']!r} but its slug {slug!r} to another cocktail"
        )
    values: dict[Any, Any] = to_row(record, own)
    if record.created_at:
        values["created_at"] = record.created_at
    target = by_id or by_slug
    if target:
        if record.slug or not by_id:
            values["slug"] = slug
        await Cocktail.update(dict(values), force=True).where(Cocktail.id == target["id"])
        summary.updated += 1
    else:
        values["id"] = record.id or uuid.uuid4()
        values["slug"] = slug
        values.setdefault("created_at", datetime.now(UTC))
        await Cocktail.insert(Cocktail(**values))
        summary.created += 1


async def import_text(data: str | bytes) -> ImportSummary:
    return await import_entries(parse_file(data))


async def export_documents() -> list[dict[str, Any]]:
    rows = await Cocktail.select().order_by(Cocktail.created_at).output(load_json=True)
    return [_exported(row) for row in rows]


def _exported(row: dict[str, Any]) -> dict[str, Any]:
    """A row's document as an import would keep it: cleaned by the one rule and tidied by
    `parse_record`, so that an export of any database (SQLite keeps a NUL that PostgreSQL
    refuses, and rows older than the rule may hold one) imports anywhere, and exports back
    the same."""
    document = jsonlist.cleaned(from_row(row))
    try:
        record = parse_record(document)
    except InvalidRecord:
        # A row the import would refuse, written before its rules (a name of nothing but
        # controls, a date in the year 1): exported cleaned as it is, never lost; importing
        # it names the entry and the field to fix.
        return dict(document)
    kept: dict[str, Any] = msgspec.to_builtins(record)
    kept["created_at"] = document["created_at"]  # "+00:00", as exports always wrote it
    return kept


async def export_text() -> str:
    return json.dumps(await export_documents(), ensure_ascii=False, indent=2) + "\n"
