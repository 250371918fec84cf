"""The bartender's shelf page, `/bar/shelf`: what the bar stocks, by category, each item in
or out of stock with one tap; adding from the knowledge base by typing, a custom item, or a
pasted list. The first visit seeds the shelf from the saved drinks (`seed.py`).

Every action works as a plain form (POST, then a 303 back to the page) and, with htmx, swaps
only what it changed: a toggle its item's row, an addition or a removal the list (and the
search results, out of band).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from barapp.shelf import allergens, categories, seed, stock
from barapp.shelf.knowledge import ALWAYS_THERE, Allergen, Category, Known, base, match, search
from barapp.web import drafts
from barapp.web.rendering import language_of, page
from barapp.web.requests import Form, checked
from barapp.web.sessions import bartender_only

GUARDS = [bartender_only]
PAGE = "/bar/shelf"
RESULTS = 12
PASTE_LIMIT = 200  # lines of a pasted list read at once
NAME_LIMIT = 100


def _action(path: str) -> post:
    """A shelf action: a bartender's POST; refused for a stale page, it leads back here."""
    return post(
        path, guards=GUARDS, include_in_schema=False, status_code=200, opt={drafts.FORM_PAGE: PAGE}
    )


def groups(items: Iterable[stock.Item], lang: str) -> list[tuple[Category, list[stock.Item]]]:
    """The items by category, in the page's order, each group sorted by name."""
    by: dict[Category, list[stock.Item]] = {}
    for item in items:
        by.setdefault(item.category, []).append(item)
    return [
        (category, sorted(by[category], key=lambda i: i.name(lang).casefold()))
        for category in categories.ORDER
        if category in by
    ]


async def hits(q: str, on_shelf: set[str]) -> list[Known]:
    """The base's items the typed text may mean that are not on the shelf yet."""
    found = search(q, limit=RESULTS + len(on_shelf))
    return [k for k in found if k.key not in on_shelf and k.key not in ALWAYS_THERE][:RESULTS]


def _labels() -> dict[str, Any]:
    return {
        "category_labels": categories.LABELS,
        "allergen_labels": allergens.LABELS,
        "allergen_icons": allergens.ICONS,
        "all_categories": categories.ORDER,
        "all_allergens": list(Allergen),
        "anchor_of": anchor_of,
    }


async def _shelf_context(request: Request[Any, Any, Any], q: str) -> dict[str, Any]:
    items = await stock.items()
    on_shelf = {item.key for item in items}
    return {
        **_labels(),
        "groups": groups(items, language_of(request)),
        "total": len(items),
        "stocked": sum(item.in_stock for item in items),
        "q": q,
        "results": await hits(q, on_shelf) if q.strip() else [],
    }


def _custom_form(data: dict[str, str] | None = None) -> dict[str, Any]:
    data = data or {}
    return {
        "name": data.get("name", ""),
        "category": data.get("category", "") or Category.OTHER.value,
        "abv": data.get("abv", ""),
        "allergens": {a.value for a in Allergen if checked(data, f"allergen_{a.value}")},
    }


def _shelf_page(
    request: Request[Any, Any, Any], context: dict[str, Any], status_code: int = 200, **values: Any
) -> Template:
    values.setdefault("custom", _custom_form())
    values.setdefault("custom_errors", [])
    values.setdefault("paste", "")
    return page(request, "shelf.html", status_code, **context, **values)


@get(PAGE, guards=GUARDS, include_in_schema=False)
async def shelf_page(
    request: Request[Any, Any, Any], q: FromQuery[str] = "", added: FromQuery[str] = ""
) -> Template:
    seeding = await seed.seed_once()
    context = await _shelf_context(request, q[:NAME_LIMIT])
    item = await stock.get(added) if added else None
    return _shelf_page(request, context, seeding=seeding, added=item)


@get(f"{PAGE}/search", guards=GUARDS, include_in_schema=False)
async def shelf_search(request: HTMXRequest, q: FromQuery[str] = "") -> Template | Redirect:
    """The search-as-you-type results (a plain GET goes to the page, which shows them)."""
    q = q[:NAME_LIMIT]
    if not request.htmx:
        return Redirect(f"{PAGE}?{urlencode({'q': q})}", status_code=303)
    results = await hits(q, await stock.keys()) if q.strip() else []
    return page(request, "_shelf_results.html", q=q, results=results, **_labels())


def _back(q: str = "", anchor: str = "") -> str:
    query = f"?{urlencode({'q': q})}" if q.strip() else ""
    return PAGE + query + (f"#{anchor}" if anchor else "")


def anchor_of(key: str) -> str:
    """An item's row id: its key, with only what an id and a URL fragment keep as is."""
    return "item-" + re.sub(r"[^a-z0-9_-]", "-", key.lower())


async def _list_answer(request: HTMXRequest, q: str, message: str = "") -> Template:
    context = await _shelf_context(request, q)
    return page(request, "_shelf_list_answer.html", **context, message=message)


@_action(f"{PAGE}/add")
async def shelf_add(request: HTMXRequest, data: Form) -> Template | Redirect:
    """One item of the base, from the search results: added in stock (or put back in)."""
    key = data.get("key", "")
    q = data.get("q", "")[:NAME_LIMIT]
    known = _known_by_key(key)
    if known is not None:
        await stock.put_known({known.key: True})
    if not request.htmx:
        return Redirect(_back(q, anchor_of(key) if known else ""), status_code=303)
    return await _list_answer(request, q)


def _known_by_key(key: str) -> Known | None:
    known = base().get(key)
    return None if known is None or known.key in ALWAYS_THERE else known


@_action(f"{PAGE}/stock")
async def shelf_stock(request: HTMXRequest, data: Form) -> Template | Redirect:
    """In or out of stock. The form says which (not "switch"): a double tap stays put."""
    key = data.get("key", "")
    item = await stock.set_in_stock(key, data.get("in_stock", "") == "1")
    if not request.htmx:
        return Redirect(_back(anchor=anchor_of(key)), status_code=303)
    if item is None:  # removed meanwhile (another tablet): the list as it is now
        return await _list_answer(request, "")
    items = await stock.items()
    return page(
        request,
        "_shelf_toggle_answer.html",
        item=item,
        total=len(items),
        stocked=sum(i.in_stock for i in items),
        **_labels(),
    )


@_action(f"{PAGE}/remove")
async def shelf_remove(request: HTMXRequest, data: Form) -> Template | Redirect:
    await stock.remove(data.get("key", ""))
    q = data.get("q", "")[:NAME_LIMIT]
    if not request.htmx:
        return Redirect(_back(q), status_code=303)
    return await _list_answer(request, q)


# A custom item -------------------------------------------------------------------------------


def N_(message: str) -> str:
    return message


CUSTOM_ERRORS = {
    "name": N_("Give it a name of 1 to 100 characters, with a letter or a digit."),
    "category": N_("Choose one of the categories."),
    "abv": N_("The alcohol by volume is a number from 0 to 100, or empty when unknown."),
}


def parse_custom(data: dict[str, str]) -> tuple[stock.Custom | None, list[str]]:
    """The custom item's form as an item, or the fields that are wrong."""
    errors: list[str] = []
    name = " ".join(data.get("name", "").split())
    if not 1 <= len(name) <= NAME_LIMIT or stock.custom_key(name) == stock.custom_key(""):
        errors.append("name")
    try:
        category = Category(data.get("category", ""))
    except ValueError:
        errors.append("category")
    abv: float | None = None
    text = data.get("abv", "").strip().replace(",", ".").removesuffix("%").strip()
    if text:
        try:
            abv = float(text)
        except ValueError:
            errors.append("abv")
        else:
            if not 0 <= abv <= 100:  # NaN too
                errors.append("abv")
    if errors:
        return None, errors
    chosen = frozenset(a for a in Allergen if checked(data, f"allergen_{a.value}"))
    return stock.Custom(name=name, category=category, abv=abv, allergens=chosen), []


@_action(f"{PAGE}/custom")
async def shelf_custom(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    item, errors = parse_custom(data)
    if item is None:
        context = await _shelf_context(request, "")
        return _shelf_page(
            request,
            context,
            400,
            custom=_custom_form(data),
            custom_errors=errors,
            custom_messages=CUSTOM_ERRORS,
        )
    await stock.put_custom(item)
    return Redirect(f"{PAGE}?added={quote(item.key)}#{anchor_of(item.key)}", status_code=303)


# A pasted list -------------------------------------------------------------------------------


def pasted_names(text: str) -> list[str]:
    """A pasted list's names: one a line, or separated by commas or semicolons; bullets and
    blank lines dropped."""
    names: list[str] = []
    for line in text.splitlines()[:PASTE_LIMIT]:
        for part in re.split(r"[,;]", line):
            name = " ".join(part.strip().lstrip("-*•·").split())
            if name:
                names.append(name[:NAME_LIMIT])
    return names


@_action(f"{PAGE}/paste")
async def shelf_paste(request: Request[Any, Any, Any], data: Form) -> Template:
    """Each name the base knows goes on the shelf in stock (back in stock when it was there);
    the others come back in the text area, for the bartender to fix or add as custom items."""
    wanted: dict[str, bool] = {}
    recognised: list[Known] = []
    unknown: list[str] = []
    for name in pasted_names(data.get("paste", "")):
        known = match(name)
        if known is None:
            if name not in unknown:
                unknown.append(name)
        elif known.key not in ALWAYS_THERE and known.key not in wanted:
            wanted[known.key] = True
            recognised.append(known)
    added, restocked = await stock.put_known(wanted) if wanted else (0, 0)
    context = await _shelf_context(request, "")
    return _shelf_page(
        request,
        context,
        paste="\n".join(unknown),
        pasted={
            "added": added,
            "restocked": restocked,
            "already": len(recognised) - added - restocked,
            "unknown": unknown,
        },
    )


ROUTES = [shelf_page, shelf_search, shelf_add, shelf_stock, shelf_remove, shelf_custom, shelf_paste]
