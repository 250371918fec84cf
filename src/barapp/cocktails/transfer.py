"""`barapp import` / `barapp export`: a bar's house menu and its backups, as a JSON list of
cocktail documents (format in records.py and the README).

Import is all-or-nothing (every entry is checked before anything is written, and the writes
share one transaction) and idempotent (an entry whose id or slug exists updates that cocktail).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from barapp.cocktails.model import (
    CocktailRecord,
    InvalidRecord,
    from_row,
    parse_record,
    slugify,
    to_row,
)
from barapp.store import db
from barapp.store.tables import Cocktail


class ImportRejected(ValueError):
    """The file is refused as a whole; the message names the entry and the field."""


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0


def _label(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    named = isinstance(name, str) and name.strip()
    return f"entry {index + 1}" + (f" ({name!r})" if named else "")


def parse_file(text: str) -> list[CocktailRecord]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, list):
        raise ImportRejected("the file must hold a JSON list of cocktails: [ {...}, {...} ]")
    records: list[CocktailRecord] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(data):
        try:
            record = parse_record(entry)
        except InvalidRecord as exc:
            raise ImportRejected(f"{_label(index, entry)}: {exc}") from None
        for key in (f"id {record.id}" if record.id else "", f"slug {_slug_of(record)}"):
            if key and key in seen:
                raise ImportRejected(f"{_label(index, entry)}: same {key} as entry {seen[key] + 1}")
            if key:
                seen[key] = index
        records.append(record)
    return records


def _slug_of(record: CocktailRecord) -> str:
    return record.slug or slugify(record.name)


async def import_records(records: list[CocktailRecord]) -> ImportSummary:
    summary = ImportSummary()
    async with db.write_transaction():
        for index, record in enumerate(records):
            await _upsert(index, record, summary)
    return summary


async def _upsert(index: int, record: CocktailRecord, summary: ImportSummary) -> None:
    slug = _slug_of(record)
    by_id = (
        await Cocktail.select(Cocktail.id, Cocktail.slug).where(Cocktail.id == record.id).first()
        if record.id
        else None
    )
    by_slug = await Cocktail.select(Cocktail.id, Cocktail.slug).where(Cocktail.slug == slug).first()
    if by_id and by_slug and by_id["id"] != by_slug["id"]:
        raise ImportRejected(
            f"entry {index + 1} ({record.name!r}): its id belongs to cocktail "
            f"{by_id['slug']!r} but its slug {slug!r} to another cocktail"
        )
    values: dict[Any, Any] = to_row(record)
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


async def import_text(text: str) -> ImportSummary:
    return await import_records(parse_file(text))


async def export_documents() -> list[dict[str, Any]]:
    rows = await Cocktail.select().order_by(Cocktail.created_at).output(load_json=True)
    return [from_row(row) for row in rows]


async def export_text() -> str:
    return json.dumps(await export_documents(), ensure_ascii=False, indent=2) + "\n"
