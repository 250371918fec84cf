"""The bar's settings page: name, units, who may wish and how often, premoderation, and how
long the model may take on a wish."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from barapp.settings import SHELF_MODES, UNIT_SYSTEMS, Settings
from barapp.store.bar_settings import FIELDS, Bar, BarSettings, defaults
from barapp.web import drafts
from barapp.web.rendering import page
from barapp.web.requests import Form, checked
from barapp.web.sessions import bartender_only

GUARDS = [bartender_only]
# The whole numbers of the form, with their range.
LIMITS = {
    "guest_wishes_per_hour": (0, 10_000),
    "ip_wishes_per_hour": (0, 100_000),
    "wish_seconds": (20, 3600),
}
# Grams of alcohol in a standard drink: 0 takes the convention of the bar's language.
STANDARD_DRINKS = (0, 8, 10, 14)


class InvalidBarSetting(ValueError):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def parse(form: dict[str, str]) -> dict[str, Any]:
    """The settings page's form as typed values; raises InvalidBarSetting naming the field.
    (An unticked checkbox is absent from a form: absent means false.)"""
    name = " ".join(form.get("bar_name", "").split())
    if not 1 <= len(name) <= 80:
        raise InvalidBarSetting("bar_name")
    if form.get("unit_system") not in UNIT_SYSTEMS:
        raise InvalidBarSetting("unit_system")
    values: dict[str, Any] = {"bar_name": name, "unit_system": form["unit_system"]}
    # The shelf's two choices: absent (a form from before they existed), they stay as they are.
    if "shelf_mode" in form:
        if form["shelf_mode"] not in SHELF_MODES:
            raise InvalidBarSetting("shelf_mode")
        values["shelf_mode"] = form["shelf_mode"]
    if "standard_drink_grams" in form:
        if form["standard_drink_grams"] not in {str(g) for g in STANDARD_DRINKS}:
            raise InvalidBarSetting("standard_drink_grams")
        values["standard_drink_grams"] = int(form["standard_drink_grams"])
    for key, (least, most) in LIMITS.items():
        try:
            number = int(form.get(key, ""))
        except ValueError:
            raise InvalidBarSetting(key) from None
        if not least <= number <= most:
            raise InvalidBarSetting(key)
        values[key] = number
    for key in ("guests_may_generate", "premoderation"):
        values[key] = checked(form, key)
    return values


def _settings_form(bar: NamedDependency[Bar]) -> dict[str, Any]:
    return {name: getattr(bar, name) for name in FIELDS}


@get("/bar/settings", guards=GUARDS, include_in_schema=False)
async def settings_form(
    request: Request[Any, Any, Any],
    bar_settings: NamedDependency[BarSettings],
    settings: NamedDependency[Settings],
    saved: FromQuery[bool] = False,
) -> Template:
    bar = await bar_settings.refresh(force=True)
    return _settings_page(request, settings, _settings_form(bar), saved=saved)


@post(
    "/bar/settings",
    guards=GUARDS,
    include_in_schema=False,
    status_code=200,
    opt={drafts.FORM_PAGE: "/bar/settings"},
)
async def settings_save(
    request: Request[Any, Any, Any],
    data: Form,
    bar_settings: NamedDependency[BarSettings],
    settings: NamedDependency[Settings],
) -> Template | Redirect:
    try:
        values = parse(data)
    except InvalidBarSetting as exc:
        typed: dict[str, Any] = {name: data.get(name, "") for name in FIELDS}
        for name in ("guests_may_generate", "premoderation"):
            typed[name] = checked(data, name)
        return _settings_page(request, settings, typed, status_code=400, error=exc.field)
    await bar_settings.save(values)
    return Redirect("/bar/settings?saved=true", status_code=303)


def _settings_page(
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    form: dict[str, Any],
    status_code: int = 200,
    error: str = "",
    saved: bool = False,
) -> Template:
    environment = defaults(settings)
    return page(
        request,
        "bar_settings.html",
        status_code,
        form=form,
        error=error,
        saved=saved,
        unit_systems=UNIT_SYSTEMS,
        shelf_modes=SHELF_MODES,
        standard_drinks=STANDARD_DRINKS,
        limits=LIMITS,
        environment=_settings_form(environment),
    )


ROUTES = [settings_form, settings_save]
