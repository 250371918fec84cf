"""Property tests of the import (issue 11, points 4 and 11): any text in any field, any JSON
document, any bytes, on both engines. Never a traceback: either a one-line refusal that
changes nothing, or cocktails saved whose every text reads back cleaned, and whose export
imports again to the same export."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from barapp.cocktails.model import CocktailRecord
from barapp.cocktails.transfer import ImportRejected, export_documents, import_text, parse_file
from barapp.settings import Settings
from barapp.store.tables import Cocktail
from barapp.text import clean
from tests.factories import cocktail_doc

# Few examples (each one imports on a real database, twice on PostgreSQL's side of the suite):
# the cases known to break are in test_import_hostile.py; these look for the unknown ones.
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the database is emptied by each example itself
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Every code point: controls, lone surrogates, non-characters, line separators, astral ones.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
any_text = st.text(ANY_CHAR, max_size=30)


def without_model_bounds(schema: Any) -> Any:
    """The document's JSON schema without the bounds asked of the model (`x-model`), which
    hypothesis-jsonschema does not know; `created_at` as the date-time it is."""
    if isinstance(schema, list):
        return [without_model_bounds(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {k: without_model_bounds(v) for k, v in schema.items() if k != "x-model"}


_SCHEMA = without_model_bounds(msgspec.json.schema(CocktailRecord))
_SCHEMA["$defs"]["CocktailRecord"]["properties"]["created_at"] = {
    "type": "string",
    "format": "date-time",
}
records = from_schema({**_SCHEMA["$defs"]["CocktailRecord"], "$defs": _SCHEMA["$defs"]})
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def altered_records(draw: st.DrawFn) -> Any:
    """A document the schema admits with one field, at any depth, replaced by any value."""
    record = draw(records)
    target, key = record, draw(st.sampled_from(sorted(record)))
    while isinstance(target[key], dict) and target[key] and draw(st.booleans()):
        target, key = target[key], draw(st.sampled_from(sorted(target[key])))
    target[key] = draw(json_values)
    return record


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value, *(s for item in value.values() for s in strings_in(item))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


async def import_or_refuse(data: str | bytes) -> list[dict[str, Any]] | None:
    """The export after importing `data`, or None when it is refused: in one line, and with
    nothing changed."""
    before = await export_documents()
    try:
        await import_text(data)
    except ImportRejected as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) <= 300, message
        assert await export_documents() == before
        event("refused")
        return None
    event("imported")
    after = await export_documents()
    assert all(clean(s) == s for s in strings_in(after))
    return after


def encoded(document: Any, ascii_only: bool) -> str:
    # Escaped, lone surrogates are `\ud800` in the file; raw, they are in the text itself.
    return json.dumps(document, ensure_ascii=ascii_only)


@EXAMPLES
@given(
    name=any_text,
    texts=st.lists(any_text, min_size=8, max_size=8),
    unit=st.text(ANY_CHAR, max_size=20),
    steps=st.lists(any_text, max_size=3),
    ascii_only=st.booleans(),
)
async def test_any_text_in_any_field_is_kept_cleaned_or_the_file_refused(
    database: Settings,
    name: str,
    texts: list[str],
    unit: str,
    steps: list[str],
    ascii_only: bool,
) -> None:
    await Cocktail.delete(force=True)
    description, glass, garnish, ingredient, note, title, artist, wish = texts
    document = cocktail_doc(
        name,
        description=description,
        glass=glass,
        garnish=garnish,
        ingredients=[{"name": ingredient, "amount": 1.5, "unit": unit, "note": note}],
        steps=steps,
        music={"title": title, "artist": artist},
        wish=wish,
    )
    saved = await import_or_refuse(encoded([document], ascii_only))
    # Refused exactly when a name is nothing once cleaned: the rest is always kept.
    assert (saved is None) == (not clean(name).strip() or not clean(ingredient).strip())
    if saved is None:
        return
    [kept] = saved
    assert kept["name"] == clean(name).strip()
    assert kept["description"] == clean(description).strip()
    assert kept["ingredients"] == [
        {
            "name": clean(ingredient).strip(),
            "amount": 1.5,
            "unit": clean(unit).strip(),
            "note": clean(note).strip(),
        }
    ]
    assert kept["steps"] == [clean(s).strip() for s in steps if clean(s).strip()]
    assert kept["music"] == {"title": clean(title).strip(), "artist": clean(artist).strip()}
    assert kept["wish"] == clean(wish)


@EXAMPLES
@given(
    document=st.lists(records | altered_records() | json_values, max_size=3) | json_values,
    ascii_only=st.booleans(),
)
async def test_any_json_document_is_imported_cleaned_or_refused(
    database: Settings, document: Any, ascii_only: bool
) -> None:
    await Cocktail.delete(force=True)
    saved = await import_or_refuse(encoded(document, ascii_only))
    if saved is None:
        return
    assert isinstance(document, list) and len(saved) <= len(document)
    # What was kept is a file the bar can import again, to the same cocktails.
    assert await import_or_refuse(json.dumps(saved)) == saved


GOOD_FILE = json.dumps([cocktail_doc("Negroni"), cocktail_doc("Paloma")], indent=2).encode()


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=200)
    | st.text(ANY_CHAR, max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass"))
    | st.tuples(st.integers(0, len(GOOD_FILE)), st.binary(min_size=1, max_size=8)).map(
        lambda cut: GOOD_FILE[: cut[0]] + cut[1] + GOOD_FILE[cut[0] :]
    )
)
def test_any_bytes_are_read_or_refused_in_one_line(data: bytes) -> None:
    try:
        entries = parse_file(data)
    except ImportRejected as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) <= 300, message
        return
    assert all(clean(s) == s for entry in entries for s in strings_in(entry.record.name))
