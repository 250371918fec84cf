"""`barapp import` / `barapp export`: round trip, idempotence, all-or-nothing rejection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from barapp.cocktails.transfer import ImportRejected, export_documents, import_text
from barapp.settings import Settings
from barapp.store.tables import Cocktail
from tests.conftest import prepare_database
from tests.factories import cocktail_doc

ROOT = Path(__file__).resolve().parents[1]


async def test_export_then_import_into_an_empty_database_is_identical(
    database: Settings, tmp_path: Path
) -> None:
    menu = (ROOT / "examples" / "house-menu.json").read_text()
    summary = await import_text(menu)
    assert (summary.created, summary.updated) == (5, 0)
    exported = await export_documents()
    assert [doc["slug"] for doc in exported] == [
        "negroni",
        "basil-smash",
        "virgin-mojito",
        "espresso-martini",
        "paloma",
    ]

    await prepare_database(database)  # a fresh, empty database
    assert await Cocktail.count() == 0
    await import_text(json.dumps(exported))
    assert await export_documents() == exported


async def test_import_is_idempotent(database: Settings) -> None:
    text = json.dumps([cocktail_doc("Negroni"), cocktail_doc("Paloma")])
    assert (await import_text(text)).created == 2
    again = await import_text(text)
    assert (again.created, again.updated) == (0, 2)
    assert await Cocktail.count() == 2


async def test_same_id_or_same_slug_updates(database: Settings) -> None:
    ident = str(uuid.uuid4())
    await import_text(json.dumps([cocktail_doc("Negroni", id=ident, slug="house-negroni")]))
    # Same id, new name and slug: the cocktail is renamed, not duplicated.
    await import_text(json.dumps([cocktail_doc("Negroni Sbagliato", id=ident, slug="sbagliato")]))
    # Same slug, no id: updates the same row.
    await import_text(json.dumps([cocktail_doc("Sbagliato", slug="sbagliato", glass="Flute")]))
    rows = await Cocktail.select(Cocktail.id, Cocktail.name, Cocktail.slug, Cocktail.glass)
    assert rows == [
        {"id": uuid.UUID(ident), "name": "Sbagliato", "slug": "sbagliato", "glass": "Flute"}
    ]


async def test_id_and_slug_of_two_different_cocktails_is_refused(database: Settings) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    await import_text(json.dumps([cocktail_doc("A", id=a), cocktail_doc("B", id=b)]))
    with pytest.raises(
        ImportRejected, match=r"entry 1 \(line 1, 'A'\): its id belongs to cocktail 'a'"
    ):
        await import_text(json.dumps([cocktail_doc("A", id=a, slug="b")]))


def _ingredient(**fields: Any) -> list[dict[str, Any]]:
    return [{"name": "Gin", "amount": 3, "unit": "cl", **fields}]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"description": "no name"},
            "entry 3 (line 4): name: Object missing required field `name`",
        ),
        (cocktail_doc("  "), "entry 3 (line 4): name: must not be blank"),
        (
            cocktail_doc("Bad", ingredients=_ingredient(amount="two")),
            "entry 3 (line 4, 'Bad'): ingredients[0].amount: Expected `float | null`, got `str`",
        ),
        (
            cocktail_doc("Bad", ingredients=_ingredient(amount=-1)),
            "entry 3 (line 4, 'Bad'): ingredients[0].amount: Expected `float` >= 0.0",
        ),
        (
            cocktail_doc("Bad", ingredients=[]),
            "entry 3 (line 4, 'Bad'): ingredients: Expected `array` of",
        ),
        (
            cocktail_doc("Bad", colour="red"),
            "entry 3 (line 4, 'Bad'): colour: Object contains unknown field",
        ),
        (
            cocktail_doc("Bad", visibility="secret"),
            "entry 3 (line 4, 'Bad'): visibility: Invalid enum value 'secret'",
        ),
        (
            cocktail_doc("Bad", slug="Not A Slug"),
            "entry 3 (line 4, 'Bad'): slug: Expected `str` matching",
        ),
        (cocktail_doc("Bad", id="42"), "entry 3 (line 4, 'Bad'): id: Invalid UUID"),
        (
            cocktail_doc("Bad", created_at="yesterday"),
            "entry 3 (line 4, 'Bad'): created_at: Invalid RFC3339",
        ),
        (cocktail_doc("Negroni"), "entry 3 (line 4, 'Negroni'): same slug negroni as entry 1"),
        ("not an object", "entry 3 (line 4): Expected `object`, got `str`"),
    ],
)
async def test_a_bad_entry_names_entry_and_field_and_imports_nothing(
    database: Settings, entry: Any, message: str
) -> None:
    # One entry a line after the "[" line, as a hand-written file would be: entry 3 is on line 4.
    entries = [cocktail_doc("Negroni"), cocktail_doc("Paloma"), entry]
    text = "[\n" + ",\n".join(json.dumps(e) for e in entries) + "\n]\n"
    with pytest.raises(ImportRejected) as excinfo:
        await import_text(text)
    assert str(excinfo.value).startswith(message), str(excinfo.value)
    assert await Cocktail.count() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"name": "x",]', "not valid JSON (line 1, column 15"),
        ('{"name": "x"}', "the file must hold a JSON list of cocktails"),
    ],
)
async def test_a_file_that_is_not_a_list_is_refused(
    database: Settings, text: str, message: str
) -> None:
    with pytest.raises(ImportRejected, match=message.replace("(", r"\(")):
        await import_text(text)


async def test_a_failure_while_writing_rolls_back_the_whole_file(database: Settings) -> None:
    await import_text(json.dumps([cocktail_doc("A"), cocktail_doc("B")]))
    b = await Cocktail.select(Cocktail.id).where(Cocktail.slug == "b").first()
    # Entry 2 passes the format check but clashes with the database (B's id, A's slug): the
    # refusal comes after entry 1 was written, and entry 1 must not stay.
    text = json.dumps([cocktail_doc("New One"), cocktail_doc("A", id=str(b["id"]), slug="a")])
    with pytest.raises(ImportRejected, match="entry 2"):
        await import_text(text)
    assert sorted(r["slug"] for r in await Cocktail.select(Cocktail.slug)) == ["a", "b"]


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "barapp", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_import_export_round_trip(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    menu = ROOT / "examples" / "house-menu.json"
    first = run_cli("import", str(menu), env=env)
    assert first.returncode == 0, first.stderr
    assert "5 added, 0 updated" in first.stdout
    again = run_cli("import", str(menu), env=env)
    assert "0 added, 5 updated" in again.stdout

    out = tmp_path / "backup.json"
    assert run_cli("export", str(out), env=env).returncode == 0
    backup = json.loads(out.read_text())
    assert [doc["name"] for doc in backup][:2] == ["Negroni", "Gin Basil Smash"]
    stdout = run_cli("export", env=env).stdout
    assert json.loads(stdout) == backup


def test_cli_import_of_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    bad = tmp_path / "menu.json"
    bad.write_text(json.dumps([cocktail_doc("Ok"), cocktail_doc("Bad", alcoholic="yes")]))
    result = run_cli("import", str(bad), env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"barapp: {bad} was not imported, nothing changed: "
        "entry 2 (line 1, 'Bad'): alcoholic: Expected `bool`, got `str`"
    )
    assert json.loads(run_cli("export", env=env).stdout) == []
    missing = run_cli("import", str(tmp_path / "nope.json"), env=env)
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
