"""The bartenders' side: what waits for approval, moderating a cocktail (hide, show, feature,
edit, delete), the log of generations that went wrong, and the bar's settings.

Every route here is guarded by `bartender_only`. An action answers an htmx request with the
cocktail's moderation bar (`_moderation.html`, swapped in place) and a plain form with a 303
back to the page it came from (its `next` field, a path on this site).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from babel.dates import format_datetime, format_time
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from piccolo.columns import Column

from barapp import bar_settings, db
from barapp.gallery import CARD_COLUMNS, BadFilter
from barapp.login import bartender_only
from barapp.picture_routes import cocktail_for
from barapp.records import InvalidRecord, parse_record, to_row
from barapp.rendering import language_of, page, settings_of
from barapp.settings import UNIT_SYSTEMS
from barapp.tables import Cocktail, Generation

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
GUARDS = [bartender_only]
BAR_LIST = 48  # cocktails shown per list on the bartender's home
LOG_SIZE = 100
PROBLEMS = ("failed", "stopped", "interrupted")
# The log's filters: the default shows every generation that went wrong.
LOG_FILTERS = ("problems", *PROBLEMS, "refused", "all")
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
VARIANTS = ("card", "page")


# Where to go back ------------------------------------------------------------------------------


def _back(target: str | None, default: str) -> str:
    """`target` when it is a path on this site (never another site: no open redirect)."""
    target = target or ""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _is_page_of(path: str, cocktail: dict[str, Any]) -> bool:
    parts = path.split("?")[0].split("/")
    return parts[1:2] == ["cocktails"] and parts[2:3] in ([str(cocktail["id"])], [cocktail["slug"]])


# Hide, show, feature ---------------------------------------------------------------------


async def _moderate(
    request: HTMXRequest, ident: str, data: dict[str, str], **changes: Any
) -> Template | Redirect:
    cocktail = await cocktail_for(request, ident)
    await db.write(lambda: Cocktail.update(**changes).where(Cocktail.id == cocktail["id"]))
    cocktail.update(changes)
    back = _back(data.get("next"), f"/cocktails/{cocktail['id']}")
    if not request.htmx:
        return Redirect(back, status_code=303)
    variant = data.get("variant") if data.get("variant") in VARIANTS else "card"
    return page(request, "_moderation.html", cocktail=cocktail, variant=variant, back=back)


@post("/cocktails/{ident:str}/approve", guards=GUARDS, include_in_schema=False, status_code=200)
async def approve(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, visibility="visible")


@post("/cocktails/{ident:str}/show", guards=GUARDS, include_in_schema=False, status_code=200)
async def show(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, visibility="visible")


@post("/cocktails/{ident:str}/hide", guards=GUARDS, include_in_schema=False, status_code=200)
async def hide(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, visibility="hidden")


@post("/cocktails/{ident:str}/feature", guards=GUARDS, include_in_schema=False, status_code=200)
async def feature(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, featured=True)


@post("/cocktails/{ident:str}/unfeature", guards=GUARDS, include_in_schema=False, status_code=200)
async def unfeature(request: HTMXRequest, ident: FromPath[str], data: Form) -> Template | Redirect:
    return await _moderate(request, ident, data, featured=False)


# Delete ------------------------------------------------------------------------------------


@get("/cocktails/{ident:str}/delete", guards=GUARDS, include_in_schema=False)
async def delete_confirmation(
    request: Request[Any, Any, Any], ident: FromPath[str], next: FromQuery[str] = ""
) -> Template:
    cocktail = await cocktail_for(request, ident)
    return page(
        request,
        "cocktail_delete.html",
        cocktail=cocktail,
        back=_back(next, f"/cocktails/{cocktail['id']}"),
    )


@post("/cocktails/{ident:str}/delete", guards=GUARDS, include_in_schema=False, status_code=200)
async def delete(request: Request[Any, Any, Any], ident: FromPath[str], data: Form) -> Redirect:
    """Deletes the cocktail; its generations stay (the record of how it was made) and picture
    files are left alone (a stored picture is named by its content: another may share it)."""
    cocktail = await cocktail_for(request, ident)

    async def remove() -> None:
        # The foreign key says SET NULL; said here too, whatever the engine enforces.
        await Generation.update({Generation.cocktail: None}).where(
            Generation.cocktail == cocktail["id"]
        )
        await Cocktail.delete().where(Cocktail.id == cocktail["id"])

    await db.write(remove)
    back = _back(data.get("next"), "/cocktails")
    if _is_page_of(back, cocktail):
        back = "/cocktails"
    return Redirect(back, status_code=303)


# Edit --------------------------------------------------------------------------------------


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
    form["alcoholic"] = data.get("alcoholic") in ("on", "true", "1")
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


# The bartender's home ----------------------------------------------------------------------


async def _listed(visibility: str) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = (
        await Cocktail.select(*CARD_COLUMNS)
        .where(Cocktail.visibility == visibility)
        .order_by(Cocktail.created_at, ascending=False)
        .limit(BAR_LIST)
        .output(load_json=True)
    )
    total = len(rows)
    if total == BAR_LIST:
        total = await Cocktail.count().where(Cocktail.visibility == visibility)
    return rows, total


@get("/bar", guards=GUARDS, include_in_schema=False)
async def bar_home(request: Request[Any, Any, Any]) -> Template:
    pending, pending_count = await _listed("pending")
    hidden, hidden_count = await _listed("hidden")
    return page(
        request,
        "bar.html",
        pending=pending,
        pending_count=pending_count,
        hidden=hidden,
        hidden_count=hidden_count,
        premoderation=bar_settings.bar_of(request).premoderation,
    )


# The generation log ------------------------------------------------------------------------


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _log_entry(row: dict[str, Any], lang: str) -> dict[str, Any]:
    reason, _, detail = (row["error"] or "").partition(":")

    def when(value: datetime | None, with_date: bool = False) -> str:
        if value is None:
            return ""
        local = value.astimezone()  # the bar's clock: the server's own time zone
        if with_date:
            return format_datetime(local, "medium", tzinfo=local.tzinfo, locale=lang)
        return format_time(local, "medium", tzinfo=local.tzinfo, locale=lang)

    return {
        **row,
        "reason": reason.strip(),
        "detail": detail.strip(),
        "created": when(row["created_at"], with_date=True),
        "started": when(row["started_at"]),
        "first_token": when(row["first_token_at"]),
        "finished": when(row["finished_at"]),
        "queued_seconds": _seconds(row["created_at"], row["started_at"]),
        "first_token_seconds": _seconds(row["started_at"], row["first_token_at"]),
        "total_seconds": _seconds(row["created_at"], row["finished_at"]),
    }


@get("/bar/generations", guards=GUARDS, include_in_schema=False)
async def generation_log(request: HTMXRequest, status: FromQuery[str] = "problems") -> Template:
    status = status or "problems"
    if status not in LOG_FILTERS:
        raise BadFilter("status", status, LOG_FILTERS)
    select = Generation.select(
        *Generation.all_columns(exclude=[Generation.guest, Generation.ip]),
        Generation.cocktail.name.as_alias("cocktail_name"),
    )
    if status == "problems":
        select = select.where(Generation.status.is_in(list(PROBLEMS)))
    elif status != "all":
        select = select.where(Generation.status == status)
    rows = await select.order_by(Generation.created_at, ascending=False).limit(LOG_SIZE)
    lang = language_of(request)
    context: dict[str, Any] = {
        "entries": [_log_entry(dict(row), lang) for row in rows],
        "status": status,
        "filters": LOG_FILTERS,
        "log_size": LOG_SIZE,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return page(request, "_generation_log.html", **context)
    return page(request, "bar_generations.html", **context)


# The bar's settings ------------------------------------------------------------------------


def _settings_form(bar: bar_settings.Bar) -> dict[str, Any]:
    return {name: getattr(bar, name) for name in bar_settings.FIELDS}


@get("/bar/settings", guards=GUARDS, include_in_schema=False)
async def settings_form(
    request: Request[Any, Any, Any], saved: FromQuery[bool] = False
) -> Template:
    bar = await bar_settings.refresh(request.app, force=True)
    return _settings_page(request, _settings_form(bar), saved=saved)


@post("/bar/settings", guards=GUARDS, include_in_schema=False, status_code=200)
async def settings_save(request: Request[Any, Any, Any], data: Form) -> Template | Redirect:
    try:
        values = bar_settings.parse(data)
    except bar_settings.InvalidBarSetting as exc:
        typed: dict[str, Any] = {name: data.get(name, "") for name in bar_settings.FIELDS}
        for name in ("guests_may_generate", "premoderation"):
            typed[name] = data.get(name) in ("on", "true", "1")
        return _settings_page(request, typed, status_code=400, error=exc.field)
    await bar_settings.save(request.app, values)
    return Redirect("/bar/settings?saved=true", status_code=303)


def _settings_page(
    request: Request[Any, Any, Any],
    form: dict[str, Any],
    status_code: int = 200,
    error: str = "",
    saved: bool = False,
) -> Template:
    defaults = bar_settings.defaults(settings_of(request))
    return page(
        request,
        "bar_settings.html",
        status_code,
        form=form,
        error=error,
        saved=saved,
        unit_systems=UNIT_SYSTEMS,
        limits=bar_settings.LIMITS,
        environment=_settings_form(defaults),
    )


ROUTES = [
    bar_home,
    generation_log,
    settings_form,
    settings_save,
    approve,
    show,
    hide,
    feature,
    unfeature,
    delete_confirmation,
    delete,
    edit_form,
    edit_save,
]
