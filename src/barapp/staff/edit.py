"""A bartender corrects a cocktail: the edit form, filled from the stored cocktail and
validated as the import format is."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from piccolo.columns import Column

from barapp.cocktails.access import cocktail_for
from barapp.cocktails.model import InvalidRecord, parse_record, to_row
from barapp.store import db
from barapp.store.tables import Cocktail
from barapp.web.rendering import page
from barapp.web.requests import Form, checked
from barapp.web.sessions import bartender_only

GUARDS = [bartender_only]
# The columns a bartender edits (the others come from the generation, or are moderation).
EDITABLE = (
    "name",
    "description",
    "ingredients",
    "steps",
    "glass",
    "garnish",
    "alcoholic",
    "music_title",
    "music_artist",
    "search_text",
    "sort_name",
)
TEXT_FIELDS = ("name", "description", "glass", "garnish", "steps", "music_title", "music_artist")
INGREDIENT_FIELDS = ("name", "amount", "unit", "note")
INGREDIENT_KEY = re.compile(r"^ingredients-(\d{1,2})-(name|amount|unit|note)$")
EMPTY_ROWS = 3


def _amount_text(amount: float | None) -> str:
    return "" if amount is None else f"{amount:g}"


def _form_of(cocktail: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values for a stored cocktail."""
    form: dict[str, Any] = {name: cocktail[name] for name in TEXT_FIELDS if name != "steps"}
    form["steps"] = "\n".join(cocktail["steps"])
    form["alcoholic"] = cocktail["alcoholic"]
    form["ingredients"] = [
        {
            "name": i.get("name", ""),
            "amount": _amount_text(i.get("amount")),
            "unit": i.get("unit", ""),
            "note": i.get("note", ""),
        }
        for i in cocktail["ingredients"]
    ]
    return form


def _typed(data: dict[str, str]) -> dict[str, Any]:
    """The edit form as sent: text fields, the checkbox, and the ingredient rows in their
    order, rows left entirely empty dropped."""
    form: dict[str, Any] = {name: data.get(name, "") for name in TEXT_FIELDS}
    form["alcoholic"] = checked(data, "alcoholic")
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = INGREDIENT_KEY.match(key)
        if match:
            rows.setdefault(int(match.group(1)), dict.fromkeys(INGREDIENT_FIELDS, ""))[
                match.group(2)
            ] = value
    form["ingredients"] = [
        row for _, row in sorted(rows.items()) if any(v.strip() for v in row.values())
    ]
    return form


def _amount(text: str) -> float | str | None:
    """A typed amount: empty is none ("top up"), "1,5" is 1.5; anything else is passed on as
    typed, for the validation to name."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _document(form: dict[str, Any]) -> dict[str, Any]:
    """The cocktail document (the import format) of the edit form, for `parse_record`."""
    return {
        "name": form["name"],
        "description": form["description"],
        "glass": form["glass"],
        "garnish": form["garnish"],
        "alcoholic": form["alcoholic"],
        "steps": [line.strip() for line in form["steps"].splitlines() if line.strip()],
        "music": {"title": form["music_title"], "artist": form["music_artist"]},
        "ingredients": [
            {
                "name": row["name"].strip(),
                "amount": _amount(row["amount"]),
                "unit": row["unit"].strip(),
                "note": row["note"].strip(),
            }
            for row in form["ingredients"]
        ],
    }


def _edit_page(
    request: Request[Any, Any, Any],
    cocktail: dict[str, Any],
    form: dict[str, Any],
    status_code: int = 200,
    error: str = "",
) -> Template:
    problem = re.match(r"^([A-Za-z_]+)(?:\[(\d+)\])?", error) if error else None
    return page(
        request,
        "cocktail_edit.html",
        status_code,
        cocktail=cocktail,
        form=form,
        error=error,
        # Which input to mark: "name", "music_title", or "ingredients" with a row.
        error_field=(problem.group(1) if problem else ""),
        error_row=(int(problem.group(2)) if problem and problem.group(2) else -1),
        empty_rows=EMPTY_ROWS,
    )


@get("/cocktails/{ident:str}/edit", guards=GUARDS, include_in_schema=False)
async def edit_form(request: Request[Any, Any, Any], ident: FromPath[str]) -> Template:
    cocktail = await cocktail_for(request, ident)
    return _edit_page(request, cocktail, _form_of(cocktail))


@post("/cocktails/{ident:str}/edit", guards=GUARDS, include_in_schema=False, status_code=200)
async def edit_save(
    request: Request[Any, Any, Any], ident: FromPath[str], data: Form
) -> Template | Redirect:
    cocktail = await cocktail_for(request, ident)
    form = _typed(data)
    try:
        record = parse_record(_document(form))
    except InvalidRecord as exc:
        return _edit_page(request, cocktail, form, 400, str(exc))
    row = to_row(record)
    values: dict[Column | str, Any] = {name: row[name] for name in EDITABLE}
    await db.write(lambda: Cocktail.update(values).where(Cocktail.id == cocktail["id"]))
    return Redirect(f"/cocktails/{cocktail['id']}", status_code=303)


ROUTES = [edit_form, edit_save]
