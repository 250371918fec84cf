"""Import files written by anyone: whatever they hold, an import either keeps the drinks with
their text cleaned (`barapp/text.py`) or refuses the file in one line that names the entry,
its line and the problem, and changes nothing. An export always imports, on either engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from barapp.cocktails.transfer import (
    ImportRejected,
    export_documents,
    export_text,
    import_text,
    parse_file,
)
from barapp.settings import Settings
from barapp.store.tables import Cocktail
from tests.conftest import make_settings, prepare_database
from tests.factories import cocktail_doc
from tests.test_transfer import run_cli

# What a hand-edited file or another program can put in a text, and what the bar keeps of it.
DIRTY = "Ne\x00gro\x01ni\x7f \x9f\ud800\ufdd0\U0010ffff\u2028bitter"
KEPT = "Negroni \ufffd\nbitter"


def dirty_doc(**fields: Any) -> dict[str, Any]:
    return cocktail_doc(
        DIRTY,
        description=DIRTY,
        ingredients=[{"name": DIRTY, "amount": 3, "unit": "cl\x00", "note": DIRTY}],
        steps=[DIRTY, "\x00\x01"],
        music={"title": DIRTY, "artist": DIRTY},
        wish=DIRTY,
        **fields,
    )


def assert_kept(doc: dict[str, Any]) -> None:
    for field in ("name", "description", "wish"):
        assert doc[field] == KEPT, field
    assert doc["ingredients"] == [{"name": KEPT, "amount": 3.0, "unit": "cl", "note": KEPT}]
    assert doc["steps"] == [KEPT]  # the step that was only controls is gone
    assert doc["music"] == {"title": KEPT, "artist": KEPT}


@pytest.mark.parametrize("form", ["escaped", "raw"])
async def test_nul_surrogates_and_controls_are_cleaned_on_import(
    database: Settings, form: str
) -> None:
    # Escaped (`\u0000`, `\ud800`) as json.dumps writes them, or raw characters in the text:
    # JSON forbids raw controls inside a string, but the cleaning rule is there to drop them.
    text = json.dumps([dirty_doc()], ensure_ascii=form == "escaped")
    if form == "raw":
        text = text.replace("\\u0000", "\x00").replace("\\u0001", "\x01")
        assert "\x00" in text and "\ud800" in text
    summary = await import_text(text)
    assert summary.created == 1
    [doc] = await export_documents()
    assert_kept(doc)
    assert doc["slug"] == "negroni-bitter"


async def test_a_sqlite_export_with_nul_imports_into_postgresql_and_back(
    sqlite_settings: Settings, postgres_url: str, tmp_path: Path
) -> None:
    await prepare_database(sqlite_settings)
    await import_text(json.dumps([cocktail_doc("Negroni"), cocktail_doc("Paloma")]))
    # What SQLite keeps from before the cleaning rule (or from a hand-edited database): any text.
    dirty = {"name": DIRTY.replace("\ud800", ""), "amount": 3.0, "unit": "cl\x00", "note": " \x00"}
    await Cocktail.update(
        {
            Cocktail.name: "\x00 Negroni\x85",
            Cocktail.description: DIRTY.replace("\ud800", "\ufffd"),
            Cocktail.ingredients: [dirty, {"name": "Campari\x00", "amount": None}],
            Cocktail.steps: ["Stir\x00.", "\x00"],
            Cocktail.music_artist: "Paolo\x00 Conte",
        },
        force=True,
    ).where(Cocktail.slug == "negroni")
    exported = await export_text()
    assert "\\u0000" not in exported and "\x00" not in exported
    negroni = json.loads(exported)[0]
    assert negroni["name"] == "Negroni"  # cleaned, then trimmed as an import would
    assert negroni["steps"] == ["Stir."]
    assert negroni["ingredients"][1] == {"name": "Campari", "amount": None, "unit": "", "note": ""}

    await prepare_database(make_settings(postgres_url, tmp_path))
    assert (await import_text(exported)).created == 2
    assert await export_text() == exported
    await prepare_database(sqlite_settings)  # and back into a fresh SQLite
    assert (await import_text(exported)).created == 2
    assert await export_text() == exported


def lines(*entries: Any) -> str:
    """A file with one entry per line, after a `[` line: entry N starts on line N + 1."""
    return "[\n" + ",\n".join(json.dumps(e) for e in entries) + "\n]\n"


GOOD = cocktail_doc("Negroni")
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b" \n\t\r\n", "the file is empty"),
        ("\ufeff", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (DEEP, "entry 1 (line 1): nested too deeply"),
        (
            lines(GOOD, cocktail_doc(json.loads("[" * 200 + "]" * 200))),
            "entry 2 (line 3): nested too deeply",
        ),
        ("[\n" + json.dumps(GOOD) + ",\n" + DEEP + "\n]", "entry 2 (line 3): nested too deeply"),
        (
            lines(GOOD, cocktail_doc("Old", created_at="0001-01-01T00:00:00+01:00")),
            "entry 2 (line 3, 'Old'): created_at: must be from the year 1000 to 9998",
        ),
        (
            lines(cocktail_doc("Late", created_at="9999-12-31T23:59:59-01:00")),
            "entry 1 (line 2, 'Late'): created_at: must be from the year 1000 to 9998",
        ),
        (
            lines(cocktail_doc("Year 1", created_at="0001-01-01T00:00:00Z")),
            "entry 1 (line 2, 'Year 1'): created_at: must be from the year 1000 to 9998",
        ),
        (lines(GOOD, GOOD["name"]), "entry 2 (line 3): Expected `object`, got `str`"),
        (lines(None), "entry 1 (line 2): Expected `object`, got `null`"),
        (lines([GOOD]), "entry 1 (line 2): Expected `object`, got `array`"),
        (lines(cocktail_doc(name=12)), "entry 1 (line 2): name: Expected `str`, got `int`"),
        (
            lines(cocktail_doc("Bad", steps="Stir.")),
            "entry 1 (line 2, 'Bad'): steps: Expected `array`, got `str`",
        ),
        (
            lines(cocktail_doc("Bad", featured=1)),
            "entry 1 (line 2, 'Bad'): featured: Expected `bool`, got `int`",
        ),
        ("42", "line 1: the file must hold a JSON list of cocktails"),
        ("\n\nnull", "line 3: the file must hold a JSON list of cocktails"),
        ('"[]"', "line 1: the file must hold a JSON list of cocktails"),
        (
            lines(cocktail_doc("Big", ingredients=[{"name": "Gin", "amount": 1e999}])),
            "entry 1 (line 2, 'Big'): ingredients[0].amount: Expected `float` <= 10000.0",
        ),
        (
            lines(cocktail_doc("Big", ingredients=[{"name": "Gin", "amount": 10**400}])),
            "entry 1 (line 2, 'Big'): ingredients[0].amount: Number out of range",
        ),
        (
            '[\n{"name": "Big", "ingredients": [{"name": "Gin", "amount": 1' + "0" * 5000 + "}]}]",
            "entry 1 (line 2): a number with too many digits",
        ),
        (
            '[{"name": "NaN", "ingredients": [{"name": "Gin", "amount": NaN}]}]',
            "entry 1 (line 1, 'NaN'): ingredients[0].amount: Expected `float` >= 0.0",
        ),
        (b'[{"name": "Caf\xe9"}]', "not UTF-8 text (line 1: byte 0xe9)"),
        (b'[\n\n{"name": "\xed\xa0\x80"}]', "not UTF-8 text (line 3: byte 0xed)"),
        (
            "[]".encode("utf-16"),
            "not UTF-8 text (line 1: byte 0xff; a UTF-16 file? save it as UTF-8)",
        ),
        (
            '[{"name": "x",]',
            "not valid JSON (line 1, column 15: Expecting property name enclosed in double quotes)",
        ),
        ("[\n\x01{}]", "not valid JSON (line 2, column 1: Expecting value)"),
        ("[{} {}]", "not valid JSON (line 1, column 5: Expecting ',' delimiter)"),
        ("[{},\n]", "not valid JSON (line 2, column 1: Expecting value)"),
        ("[\n{}", "not valid JSON (line 2, column 3: Expecting ',' delimiter)"),
        ("[] []", "not valid JSON (line 1, column 4: Extra data)"),
        (
            lines(cocktail_doc("Long", **{"x" * 10_000: 1})),
            "entry 1 (line 2, 'Long'): xxxxxxxxxxxxxxxxxxxx",
        ),
        (
            lines(cocktail_doc("N" * 200, glass=5)),
            f"entry 1 (line 2, '{'N' * 39}…'): glass: Expected `str`, got `int`",
        ),
    ],
)
def test_a_hostile_file_is_refused_in_one_line(data: str | bytes, message: str) -> None:
    with pytest.raises(ImportRejected) as excinfo:
        parse_file(data)
    refusal = str(excinfo.value)
    assert refusal.startswith(message), refusal
    assert "\n" not in refusal and len(refusal) <= 300, refusal


@pytest.mark.parametrize("prefix", ["\ufeff", b"\xef\xbb\xbf"], ids=["text", "bytes"])
async def test_a_byte_order_mark_is_skipped(database: Settings, prefix: str | bytes) -> None:
    text = json.dumps([GOOD])
    data = prefix + text if isinstance(prefix, str) else prefix + text.encode()
    assert (await import_text(data)).created == 1


@pytest.mark.parametrize(
    "data",
    [
        DEEP,
        lines(GOOD, cocktail_doc("Old", created_at="0001-01-01T00:00:00+01:00")),
        lines(GOOD, cocktail_doc("Late", created_at="9999-12-31T23:59:59-01:00")),
        lines(GOOD, cocktail_doc("Big", ingredients=[{"name": "Gin", "amount": 10**400}])),
    ],
    ids=["deep", "year-1", "year-9999", "huge"],
)
async def test_a_refused_file_changes_nothing(database: Settings, data: str | bytes) -> None:
    await import_text(json.dumps([cocktail_doc("Paloma")]))
    before = await export_documents()
    with pytest.raises(ImportRejected):
        await import_text(data)
    assert await export_documents() == before


async def test_dates_at_the_edges_of_the_range_are_kept(database: Settings) -> None:
    text = lines(
        cocktail_doc("First", created_at="1000-01-01T00:30:00+00:30"),
        cocktail_doc("Last", created_at="9998-12-31T13:59:59.999999-10:00"),
    )
    await import_text(text)
    assert [doc["created_at"] for doc in await export_documents()] == [
        "1000-01-01T00:00:00+00:00",
        "9998-12-31T23:59:59.999999+00:00",
    ]


def test_the_cli_refuses_a_hostile_file_in_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    files = {
        "deep.json": DEEP.encode(),
        "latin1.json": b'[{"name": "Caf\xe9"}]',
        "old.json": lines(cocktail_doc("Old", created_at="0001-01-01T00:00:00+01:00")).encode(),
    }
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = run_cli("import", str(path), env=env)
        assert result.returncode == 1, (name, result.stderr)
        assert "Traceback" not in result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith(f"barapp: {path} was not imported, nothing changed: "), line
    dirty = tmp_path / "dirty.json"
    dirty.write_text(json.dumps([dirty_doc()]))
    result = run_cli("import", str(dirty), env=env)
    assert result.returncode == 0, result.stderr
    [doc] = json.loads(run_cli("export", env=env).stdout)
    assert_kept(doc)
