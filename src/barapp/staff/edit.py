"""A bartender corrects a cocktail: the edit form, filled from the stored cocktail and
validated as the import format is."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from piccolo.columns import Column

from barapp.cocktails.access import cocktail_for
from barapp.cocktails.model import InvalidRecord, parse_record, to_row
from barapp.store import db
from barapp.store.recipe import Ingredient, Recipe, fields
from barapp.store.tables import Cocktail
from barapp.web import drafts
from barapp.web.rendering import page
from barapp.web.requests import Form, checked
from barapp.web.sessions import bartender_only

GUARDS = [bartender_only]
# Written by the model for the image service, never shown: not edited.
NOT_EDITED = ("image_prompt",)
INGREDIENT_FIELDS = Ingredient.__struct_fields__
INGREDIENT_KEY = re.compile(r"^ingredients-(\d{1,2})-(" + "|".join(INGREDIENT_FIELDS) + ")$")
EMPTY_ROWS = 3


def _inputs(struct: type[msgspec.Struct] = Recipe, prefix: str = "") -> list[tuple[str, str]]:
    """The form's inputs, from the recipe's definition: (name, "text" | "lines" | "check"),
    a nested struct's fields side by side (`music_title`); the ingredients have rows."""
    inputs: list[tuple[str, str]] = []
    for field in fields(struct):
        name, kind = prefix + field.name, field.type
        if name in NOT_EDITED or name == "ingredients":
            continue
        if isinstance(kind, msgspec.inspect.StructType):
            inputs += _inputs(kind.cls, prefix=f"{name}_")
        elif isinstance(kind, msgspec.inspect.ListType):
            inputs.append((name, "lines"))
        elif isinstance(kind, msgspec.inspect.BoolType):
            inputs.append((name, "check"))
        else:
            inputs.append((name, "text"))
    return inputs


INPUTS = _inputs()
NESTED = {
    field.name
    for field in msgspec.structs.fields(Recipe)
    if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct)
}
# The columns an edit writes (the others come from the generation, or are moderation).
EDITABLE = (*(name for name, _ in INPUTS), "ingredients", "search_text", "sort_name")


def _amount_text(amount: float | None) -> str:
    return "" if amount is None else f"{amount:g}"


def _form_of(cocktail: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values for a stored cocktail."""
    form: dict[str, Any] = {
        name: "\n".join(cocktail[name]) if kind == "lines" else cocktail[name]
        for name, kind in INPUTS
    }
    form["ingredients"] = [
        {key: i.get(key) or "" for key in INGREDIENT_FIELDS}
        | {"amount": _amount_text(i.get("amount"))}
        for i in cocktail["ingredients"]
    ]
    return form


def _typed(data: dict[str, str]) -> dict[str, Any]:
    """The edit form as sent: text fields, the checkboxes, and the ingredient rows in their
    order, rows left entirely empty dropped."""
    form: dict[str, Any] = {
        name: checked(data, name) if kind == "check" else data.get(name, "")
        for name, kind in INPUTS
    }
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
    document: dict[str, Any] = {}
    for name, kind in INPUTS:
        value = form[name]
        if kind == "lines":
            value = [line.strip() for line in value.splitlines() if line.strip()]
        parent, _, child = name.partition("_")
        if child and parent in NESTED:  # music_title -> {"music": {"title": ...}}
            document.setdefault(parent, {})[child] = value
        else:
            document[name] = value
    document["ingredients"] = [
        {**{key: row[key].strip() for key in INGREDIENT_FIELDS}, "amount": _amount(row["amount"])}
        for row in form["ingredients"]
    ]
    return document


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


@post(
    "/cocktails/{ident:str}/edit",
    guards=GUARDS,
    include_in_schema=False,
    status_code=200,
    opt={drafts.FORM_PAGE: "/cocktails/{ident}/edit"},
)
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
