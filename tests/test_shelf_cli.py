"""`barapp shelf export` / `barapp shelf import`: a round trip, idempotence, one-line refusals
that name the entry and change nothing, `--replace`; on SQLite and PostgreSQL, then the
commands themselves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from barapp.settings import Settings
from barapp.shelf import seed, stock, transfer
from barapp.shelf.knowledge import Allergen, Category, base, match
from barapp.shelf.transfer import ShelfImportRejected
from barapp.store.tables import ShelfItem


def key(name: str) -> str:
    known = match(name)
    assert known is not None, name
    return known.key


async def a_shelf() -> None:
    await stock.put_known({key("gin"): True, key("campari"): False})
    await stock.put_custom(
        stock.Custom(
            name="Orgeat maison",
            category=Category.SYRUP,
            abv=None,
            allergens=frozenset({Allergen.NUTS}),
        )
    )


async def test_export_then_import_into_an_empty_shelf_is_identical(database: Settings) -> None:
    await a_shelf()
    text = await transfer.export_text()
    documents = json.loads(text)
    assert {d["key"]: d["in_stock"] for d in documents} == {
        key("gin"): True,
        key("campari"): False,
        "custom-orgeat maison": True,
    }
    custom = next(d for d in documents if d["custom"])
    assert custom == {
        "key": "custom-orgeat maison",
        "name_en": "Orgeat maison",
        "name_fr": "Orgeat maison",
        "category": "syrup",
        "abv": None,
        "allergens": ["nuts"],
        "in_stock": True,
        "custom": True,
    }
    await ShelfItem.delete(force=True)
    await transfer.import_text(text)
    assert await transfer.export_text() == text


async def test_import_is_idempotent(database: Settings) -> None:
    await a_shelf()
    text = await transfer.export_text()
    rows = await ShelfItem.select(ShelfItem.id, ShelfItem.key, ShelfItem.in_stock).order_by(
        ShelfItem.key
    )
    await transfer.import_text(text)
    await transfer.import_text(text)
    assert await transfer.export_text() == text
    assert (
        await ShelfItem.select(ShelfItem.id, ShelfItem.key, ShelfItem.in_stock).order_by(
            ShelfItem.key
        )
        == rows
    )


async def test_a_base_items_facts_come_from_the_base_not_the_file(database: Settings) -> None:
    text = json.dumps(
        [
            {
                "key": key("gin"),
                "name_en": "Not gin",
                "abv": 99,
                "allergens": ["egg"],
                "in_stock": False,
            }
        ]
    )
    await transfer.import_text(text)
    (item,) = await stock.items()
    assert (
        item.name_en == base()[key("gin")].en != "Not gin"
        and item.abv != 99
        and Allergen.EGG not in item.allergens
    )
    assert item.in_stock is False and not item.custom
    # The minimal form: the key alone is in stock.
    await transfer.import_text(json.dumps([{"key": key("campari")}]))
    assert (await stock.get(key("campari"))) is not None


async def test_import_keeps_other_items_unless_replace(database: Settings) -> None:
    await a_shelf()
    only_gin = json.dumps([{"key": key("gin"), "in_stock": False}])
    await transfer.import_text(only_gin)
    assert len(await stock.items()) == 3
    await transfer.import_text(only_gin, only=True)
    assert [(i.key, i.in_stock) for i in await stock.items()] == [(key("gin"), False)]
    await transfer.import_text("[]", only=True)
    assert await stock.items() == []


async def test_an_imported_shelf_is_never_seeded_over(database: Settings) -> None:
    from tests.factories import add_cocktails, cocktail_doc

    await add_cocktails(cocktail_doc("Negroni"))
    await transfer.import_text(json.dumps([{"key": key("white rum")}]))
    assert await seed.is_seeded()
    assert await seed.seed_once() is None
    assert [i.key for i in await stock.items()] == [key("white rum")]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [{"key": "gin"}, {"key": "unicorn-tears"}],
            "entry 2 ('unicorn-tears'): key 'unicorn-tears' is not in barapp's ingredient base",
        ),
        (
            [{"key": "gin"}, {"key": "gin", "in_stock": False}],
            "entry 2 ('gin'): same key 'gin' as entry 1",
        ),
        (
            [{"key": "gin", "in_stock": "yes"}],
            "entry 1 ('gin'): Expected `bool`, got `str` - at `$.in_stock`",
        ),
        ([{"key": "gin", "stock": True}], "entry 1 ('gin'): Object contains unknown field `stock`"),
        (
            [{"custom": True, "name_en": "Rhum", "abv": 140}],
            "entry 1 ('Rhum'): Expected `float` <= 100",
        ),
        (
            [{"custom": True, "name_en": "Rhum", "category": "booze"}],
            "entry 1 ('Rhum'): Invalid enum value 'booze' - at `$.category`",
        ),
        (
            [{"custom": True, "name_en": "Rhum", "allergens": ["fish"]}],
            "Invalid enum value 'fish' - at `$.allergens[0]`",
        ),
        ([{"custom": True}], "entry 1: a custom item needs a name_en"),
        ([{"custom": True, "name_en": "???"}], "a custom item's name needs a letter or a digit"),
        (
            [{"custom": True, "name_en": "Rhum", "key": "custom-gin"}],
            "a custom item's key is 'custom-rhum' (from its name), not 'custom-gin'",
        ),
        ([{"custom": True, "name_en": "x" * 101}], "Expected `str` of length <= 100"),
        ([3], "entry 1: Expected `object`, got `int`"),
        ({"key": "gin"}, "the file must hold a JSON list of shelf items"),
    ],
)
async def test_a_bad_entry_is_refused_in_one_line_and_nothing_changes(
    database: Settings, entries: object, message: str
) -> None:
    await a_shelf()
    before = await transfer.export_text()
    with pytest.raises(ShelfImportRejected) as refused:
        await transfer.import_text(json.dumps(entries), only=True)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert await transfer.export_text() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b'[{"key": "gin"},\n oops]', "line 2: not JSON"),
        (b"\xff[]", "the file is not UTF-8 text (byte 0)"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_an_unreadable_file_is_refused_in_one_line(data: bytes, message: str) -> None:
    with pytest.raises(ShelfImportRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        transfer.parse_file(data)


def test_a_bom_and_control_characters_are_cleaned(tmp_path: Path) -> None:
    text = "\ufeff" + json.dumps([{"custom": True, "name_en": "Sirop\x00 maison"}])
    shelf = transfer.parse_file(text.encode())
    assert [c.name for c in shelf.customs] == ["Sirop maison"]


# The commands ------------------------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "barapp", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_shelf_export_and_import(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    assert json.loads(run_cli("shelf", "export", env=env).stdout) == []
    shelf = tmp_path / "shelf.json"
    shelf.write_text(
        json.dumps(
            [
                {"key": key("gin")},
                {"key": key("campari"), "in_stock": False},
                {
                    "custom": True,
                    "name_en": "Orgeat maison",
                    "category": "syrup",
                    "allergens": ["nuts"],
                },
            ]
        )
    )
    imported = run_cli("shelf", "import", str(shelf), env=env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"barapp: shelf imported from {shelf}: 3 items"
    out = tmp_path / "backup.json"
    exported = run_cli("shelf", "export", str(out), env=env)
    assert exported.returncode == 0 and "shelf exported to" in exported.stderr
    backup = json.loads(out.read_text())
    assert {d["key"]: d["in_stock"] for d in backup} == {
        key("gin"): True,
        key("campari"): False,
        "custom-orgeat maison": True,
    }
    # The export imports back as it is, and changes nothing.
    assert run_cli("shelf", "import", str(out), env=env).returncode == 0
    assert json.loads(run_cli("shelf", "export", env=env).stdout) == backup

    only = tmp_path / "only.json"
    only.write_text(json.dumps([{"key": key("gin")}]))
    replaced = run_cli("shelf", "import", "--replace", str(only), env=env)
    assert "every other item removed" in replaced.stdout
    assert [d["key"] for d in json.loads(run_cli("shelf", "export", env=env).stdout)] == [
        key("gin")
    ]


def test_cli_shelf_import_of_a_bad_file_changes_nothing(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3"}
    bad = tmp_path / "shelf.json"
    bad.write_text(json.dumps([{"key": key("gin")}, {"key": "unicorn-tears"}]))
    result = run_cli("shelf", "import", str(bad), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"barapp: {bad} was not imported, the shelf is unchanged: entry 2 ('unicorn-tears'): "
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(run_cli("shelf", "export", env=env).stdout) == []
    missing = run_cli("shelf", "import", str(tmp_path / "nope.json"), env=env)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
