"""What the bar stocks: the `ShelfItem` rows, read as `Item`s, and the writes the shelf page
and the import make (each one `db.write`, the single writer).

A knowledge-base item's facts (names, category, strength, allergens) are read from the base,
not from its row: the row keeps a copy only so that an item whose key a newer base dropped
still reads as something. A custom item's facts are its row's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from barapp.shelf.allergens import Own
from barapp.shelf.knowledge import CUSTOM, Allergen, Category, Known, base, key_of, normal, pours
from barapp.store import db
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
    known = None if row["custom"] else base().get(str(row["key"]))
    if known is not None:
        return Item(
            key=known.key,
            name_en=known.en,
            name_fr=known.fr,
            category=known.category,
            abv=known.abv,
            allergens=known.allergens,
            in_stock=bool(row["in_stock"]),
            custom=False,
        )
    return Item(
        key=str(row["key"]),
        name_en=str(row["name_en"]),
        name_fr=str(row["name_fr"]),
        category=_category(str(row["category"])),
        abv=float(row["abv"]) if row["abv"] is not None else None,  # type: ignore[arg-type]
        allergens=frozenset(
            Allergen(a)
            for a in row["allergens"]  # type: ignore[attr-defined]
            if a in Allergen.__members__.values()
        ),
        in_stock=bool(row["in_stock"]),
        custom=bool(row["custom"]),
    )


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        return Category.OTHER


async def items() -> list[Item]:
    """Every item on the shelf, in stock or not."""
    rows = await ShelfItem.select().order_by(ShelfItem.key).output(load_json=True)
    return [_item(row) for row in rows]


async def in_stock() -> list[Item]:
    return [item for item in await items() if item.in_stock]


async def keys() -> set[str]:
    """The keys on the shelf, in stock or not."""
    return {row["key"] for row in await ShelfItem.select(ShelfItem.key)}


async def poured_keys() -> frozenset[str] | None:
    """The keys a recipe's ingredients may have to be poured now, or None when the bar has no
    shelf yet (nothing is then said missing): for "makeable now" and the bartender's
    "missing:" line. Only the columns it needs (`items()` builds every item: twice the time,
    on every page a bartender or "makeable now" opens)."""
    rows = await ShelfItem.select(
        ShelfItem.key, ShelfItem.in_stock, ShelfItem.custom, ShelfItem.name_en, ShelfItem.name_fr
    )
    if not rows:
        return None
    stocked = {str(row["key"]) for row in rows if row["in_stock"]}
    # A bar's own bottle a recipe reads as the base's ("Monkey 47 Gin" is a gin: strict mode
    # offers it by that name), or by its French name, pours what its names read as.
    for row in rows:
        if row["in_stock"] and row["custom"]:
            stocked |= {key_of(n) for n in (row["name_en"], row["name_fr"]) if n}
    return pours(frozenset(stocked))


async def get(key: str) -> Item | None:
    row = await ShelfItem.select().where(ShelfItem.key == key).output(load_json=True).first()
    return _item(row) if row else None


def own_of(items: Iterable[Item]) -> dict[str, frozenset[Allergen]]:
    """The allergens of the bar's own items, by the keys a recipe's ingredient reads as for
    each of their names ("Orgeat maison" is the French name of "House orgeat")."""
    own: dict[str, frozenset[Allergen]] = {}
    for item in items:
        if item.custom and item.allergens:
            for name in {item.name_en, item.name_fr}:
                if name:
                    own[custom_key(name)] = own.get(custom_key(name), frozenset()) | item.allergens
            own[item.key] = own.get(item.key, frozenset()) | item.allergens
    return own


async def own_allergens() -> Own:
    """`own_of` the bar's own items, in stock or not (a drink holds its allergens whatever the
    stock): one query of the custom rows."""
    rows = (
        await ShelfItem.select().where(ShelfItem.custom == True).output(load_json=True)  # noqa: E712
    )
    return own_of(_item(row) for row in rows)


# Facts derived from the bar's own items' allergens are kept elsewhere (a cocktail's allergen
# column, cocktails/derived.py). shelf/ depends on no other feature, so whoever keeps them
# registers here (the wiring does, app.py and the CLI) and is told, after each write, the keys
# whose allergens may have changed.
OwnChanged = Callable[[frozenset[str]], Awaitable[object]]
_listeners: dict[str, OwnChanged] = {}


def when_own_allergens_change(name: str, listener: OwnChanged) -> None:
    """Register `listener` (once by name: the app is built many times in a process)."""
    _listeners[name] = listener


async def _tell(keys: Iterable[str]) -> None:
    changed = frozenset(keys)
    if changed:
        for listener in list(_listeners.values()):
            await listener(changed)


def _own_keys(item: Custom | Item) -> set[str]:
    return (
        {custom_key(n) for n in (item.name, item.name_fr) if n}
        if isinstance(item, Custom)
        else {custom_key(n) for n in (item.name_en, item.name_fr) if n} | {item.key}
    )


def custom_key(name: str) -> str:
    """A custom item's key: the one `knowledge.key_of` gives a recipe's ingredient of that
    name, so that a drink asking for "House orgeat" finds the bar's own "house orgeat"."""
    return (CUSTOM + normal(name))[:100]


@dataclass(frozen=True)
class Custom:
    """A custom item as the bartender gave it (checked by the caller)."""

    name: str
    category: Category
    abv: float | None
    allergens: frozenset[Allergen]
    in_stock: bool = True
    name_fr: str = ""  # its French name, when it has one of its own

    @property
    def key(self) -> str:
        return custom_key(self.name)


def _known_row(known: Known, in_stock: bool) -> ShelfItem:
    return ShelfItem(
        key=known.key,
        name_en=known.en,
        name_fr=known.fr,
        category=known.category.value,
        abv=known.abv,
        allergens=sorted(a.value for a in known.allergens),
        in_stock=in_stock,
        custom=False,
    )


def _custom_values(item: Custom) -> dict[str, Any]:
    return {
        "name_en": item.name,
        "name_fr": item.name_fr or item.name,
        "category": item.category.value,
        "abv": item.abv,
        "allergens": sorted(a.value for a in item.allergens),
        "in_stock": item.in_stock,
        "custom": True,
    }


async def put_known(stock: dict[str, bool]) -> tuple[int, int]:
    """The base's items `stock` names, each in or out of stock as it says: added when absent,
    changed when present. Returns (added, changed). Unknown keys are the caller's fault."""
    return await db.write(lambda: _put_known(stock))


async def _put_known(stock: dict[str, bool]) -> tuple[int, int]:
    known = base()
    present = (
        {
            row["key"]: row["in_stock"]
            for row in await ShelfItem.select(ShelfItem.key, ShelfItem.in_stock).where(
                ShelfItem.key.is_in(list(stock))
            )
        }
        if stock
        else {}
    )
    new = [_known_row(known[key], wanted) for key, wanted in stock.items() if key not in present]
    if new:
        await ShelfItem.insert(*new)
    changed = [key for key, wanted in stock.items() if key in present and present[key] != wanted]
    for wanted in (True, False):
        group = [key for key in changed if stock[key] is wanted]
        if group:
            await ShelfItem.update({ShelfItem.in_stock: wanted}).where(ShelfItem.key.is_in(group))
    return len(new), len(changed)


async def put_custom(item: Custom) -> bool:
    """Add a custom item, or replace the facts of the one with its key. True when added."""
    before = await get(item.key)
    added = await db.write(lambda: _put_custom(item))
    await _tell(_own_keys(item) | (_own_keys(before) if before else set()))
    return added


async def _put_custom(item: Custom) -> bool:
    values = _custom_values(item)
    exists = await ShelfItem.exists().where(ShelfItem.key == item.key)
    if exists:
        await ShelfItem.update(dict(values)).where(ShelfItem.key == item.key)  # type: ignore[arg-type]
    else:
        await ShelfItem.insert(ShelfItem(key=item.key, **values))
    return not exists


async def set_in_stock(key: str, in_stock: bool) -> Item | None:
    """The item after the change, or None when it is not on the shelf (removed meanwhile)."""

    async def work() -> None:
        await ShelfItem.update({ShelfItem.in_stock: in_stock}).where(ShelfItem.key == key)

    await db.write(work)
    return await get(key)


async def remove(key: str) -> None:
    before = await get(key)
    await db.write(lambda: ShelfItem.delete().where(ShelfItem.key == key))
    if before is not None and before.custom:
        await _tell(_own_keys(before))


async def write_all(known: dict[str, bool], customs: Iterable[Custom], only: bool) -> set[str]:
    """Inside a `db.write` (the import's one transaction): the base's items and the custom
    ones put as given, and with `only` every other item removed. Returns the keys whose own
    allergens may have changed, for `told` once the transaction is over."""
    customs = list(customs)
    before = [item for item in await items() if item.custom]
    changed = {key for item in customs for key in _own_keys(item)}
    changed |= {key for item in before for key in _own_keys(item)}
    await _put_known(known)
    for item in customs:
        await _put_custom(item)
    if only:
        kept = [*known, *(item.key for item in customs)]
        if kept:
            await ShelfItem.delete().where(ShelfItem.key.not_in(kept))
        else:
            await ShelfItem.delete(force=True)
    return changed


async def told(keys: Iterable[str]) -> None:
    """After a `write_all`: those who keep facts of the bar's own items are told."""
    await _tell(keys)
