"""What the bar stocks: the `ShelfItem` rows, read as `Item`s."""

from __future__ import annotations

from dataclasses import dataclass

from barapp.shelf.knowledge import Allergen, Category, Known, base
from barapp.store.tables import ShelfItem


@dataclass(frozen=True)
class Item:
    key: str
    name_en: str
    name_fr: str
    category: Category
    abv: float | None
    allergens: frozenset[Allergen]
    in_stock: bool
    custom: bool

    def name(self, lang: str) -> str:
        return (self.name_fr if lang == "fr" else self.name_en) or self.name_en or self.name_fr

    @property
    def known(self) -> Known | None:
        """The knowledge base's ingredient (None for the bar's own)."""
        return None if self.custom else base().get(self.key)


def _item(row: dict[str, object]) -> Item:
    return Item(
        key=str(row["key"]),
        name_en=str(row["name_en"]),
        name_fr=str(row["name_fr"]),
        category=Category(str(row["category"])),
        abv=float(row["abv"]) if row["abv"] is not None else None,  # type: ignore[arg-type]
        allergens=frozenset(Allergen(a) for a in row["allergens"]),  # type: ignore[attr-defined]
        in_stock=bool(row["in_stock"]),
        custom=bool(row["custom"]),
    )


async def items() -> list[Item]:
    """Every item on the shelf, in stock or not."""
    rows = await ShelfItem.select().order_by(ShelfItem.key).output(load_json=True)
    return [_item(row) for row in rows]


async def in_stock() -> list[Item]:
    return [item for item in await items() if item.in_stock]
