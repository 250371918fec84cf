"""A bartender corrects a cocktail: the edit form, filled from the stored cocktail and
validated as the import format is.

A refused edit says what to fix next to each field, in the reader's language ("Give the
cocktail a name.", "At most 200 characters."), the bounds read from the recipe's definition;
the import's validation stays the last word, and whatever it refuses that the form's checks did
not foresee is still named at its field, in words."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from babel.numbers import format_decimal
from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from piccolo.columns import Column

from barapp.cocktails.access import cocktail_for
from barapp.cocktails.derived import DERIVED_COLUMNS
from barapp.cocktails.model import InvalidRecord, parse_record, to_row
from barapp.shelf import stock
from barapp.store import db
from barapp.store.recipe import Ingredient, Music, Recipe, fields
from barapp.store.tables import Cocktail
from barapp.web import drafts, i18n
from barapp.web.rendering import language_of, page
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
EDITABLE = (
    *(name for name, _ in INPUTS),
    "ingredients",
    "search_text",
    "sort_name",
    *DERIVED_COLUMNS,  # strength, allergens, ingredient keys follow the edited recipe
)


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


def _bounds(struct: type[msgspec.Struct]) -> dict[str, msgspec.inspect.Type]:
    return {field.name: field.type for field in fields(struct)}


RECIPE_TYPES = _bounds(Recipe)
INGREDIENT_TYPES = _bounds(Ingredient)
NESTED_TYPES = {"music": _bounds(Music)}


def _number(value: float, lang: str) -> str:
    return format_decimal(value, format="#,##0.##", locale=lang)


def _length_problem(text: str, kind: msgspec.inspect.Type, lang: str) -> str:
    """What is wrong with a text for its bounds (`StrType`), in words, or ""."""
    t = i18n.translations(lang)
    most = getattr(kind, "max_length", None)
    if most is not None and len(text) > most:
        return t.ngettext("At most %(num)d character.", "At most %(num)d characters.", most) % {
            "num": most
        }
    return ""


def problems(form: dict[str, Any], lang: str) -> dict[str, str]:
    """The edit form's problems, each at its input's name ("name", "music_title",
    "ingredients-1-amount"; "ingredients" for the list itself), in `lang`; {} when the form
    fits the recipe's bounds."""
    t = i18n.translations(lang)
    found: dict[str, str] = {}
    for name, kind in INPUTS:
        parent, _, child = name.partition("_")
        kinds = NESTED_TYPES.get(parent) if child else None
        bound = kinds[child] if kinds else RECIPE_TYPES.get(name)
        value = form[name]
        if kind == "text" and bound is not None:
            text = value.strip()
            if getattr(bound, "min_length", None) and not text:
                found[name] = (
                    t.gettext("Give the cocktail a name.")
                    if name == "name"
                    else t.gettext("This cannot be empty.")
                )
            elif problem := _length_problem(text, bound, lang):
                found[name] = problem
        elif kind == "lines" and isinstance(bound, msgspec.inspect.ListType):
            lines = [line.strip() for line in value.splitlines() if line.strip()]
            most = bound.max_length
            if most is not None and len(lines) > most:
                found[name] = t.ngettext(
                    "At most %(num)d line.", "At most %(num)d lines.", most
                ) % {"num": most}
            elif any(_length_problem(line, bound.item_type, lang) for line in lines):
                item_most = getattr(bound.item_type, "max_length", 0)
                found[name] = t.ngettext(
                    "At most %(num)d character per line.",
                    "At most %(num)d characters per line.",
                    item_most,
                ) % {"num": item_most}
    found.update(_ingredient_problems(form["ingredients"], lang))
    return found


def _ingredient_problems(rows: list[dict[str, str]], lang: str) -> dict[str, str]:
    t = i18n.translations(lang)
    found: dict[str, str] = {}
    listed = RECIPE_TYPES["ingredients"]
    assert isinstance(listed, msgspec.inspect.ListType)
    if not rows:
        found["ingredients"] = t.gettext("Add at least one ingredient.")
    elif listed.max_length is not None and len(rows) > listed.max_length:
        found["ingredients"] = t.gettext("At most %(num)d ingredients.") % {
            "num": listed.max_length
        }
    amount_type = next(
        kind
        for kind in getattr(INGREDIENT_TYPES["amount"], "types", ())
        if isinstance(kind, msgspec.inspect.FloatType)
    )
    least, most = amount_type.ge or 0, amount_type.le or 0
    for i, row in enumerate(rows):
        key = f"ingredients-{i}-"
        if not row["name"].strip():
            found[key + "name"] = t.gettext("Give this ingredient a name.")
        for part in ("name", "unit", "note"):
            if problem := _length_problem(row[part].strip(), INGREDIENT_TYPES[part], lang):
                found.setdefault(key + part, problem)
        amount = _amount(row["amount"])
        if isinstance(amount, str):
            found[key + "amount"] = t.gettext("A number, such as 1.5, or nothing (to top up).")
        elif amount is not None and not least <= amount <= most:
            found[key + "amount"] = t.gettext("A number from %(least)s to %(most)s.") % {
                "least": _number(least, lang),
                "most": _number(most, lang),
            }
    return found


def _error_key(error: str) -> str:
    """The input a validation message is about: "ingredients[1].amount: ..." is
    "ingredients-1-amount", "music.title: ..." is "music_title"."""
    field = error.partition(":")[0].strip()
    row = re.match(r"^ingredients\[(\d+)\]\.([a-z_]+)$", field)
    if row:
        return f"ingredients-{row.group(1)}-{row.group(2)}"
    return field.replace(".", "_") if field else "form"


def _edit_page(
    request: Request[Any, Any, Any],
    cocktail: dict[str, Any],
    form: dict[str, Any],
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Template:
    return page(
        request,
        "cocktail_edit.html",
        status_code,
        cocktail=cocktail,
        form=form,
        errors=errors or {},
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
    lang = language_of(request)
    errors = problems(form, lang)
    if errors:
        return _edit_page(request, cocktail, form, 400, errors)
    try:
        record = parse_record(_document(form))
    except InvalidRecord as exc:
        # Something the form's own checks did not foresee: at its field, in words.
        unforeseen = i18n.translations(lang).gettext("This value is not accepted.")
        return _edit_page(request, cocktail, form, 400, {_error_key(str(exc)): unforeseen})
    row = to_row(record, await stock.own_allergens())
    values: dict[Column | str, Any] = {name: row[name] for name in EDITABLE}
    await db.write(lambda: Cocktail.update(values).where(Cocktail.id == cocktail["id"]))
    return Redirect(f"/cocktails/{cocktail['id']}", status_code=303)


ROUTES = [edit_form, edit_save]
