"""French and English: which language a request gets, and the Jinja helpers that speak it.

The catalogs are the Babel `.po` files under `translations/`, compiled in memory at first use
(no build step, no binary `.mo` in git). English is the source language.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from barapp.settings import LANGUAGES

TRANSLATIONS_DIR = Path(__file__).parents[1] / "translations"
LANGUAGE_COOKIE = "lang"


@cache
def translations(lang: str) -> NullTranslations:
    path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def choose_language(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The switch (cookie) wins, then the browser's Accept-Language, then the bar's default."""
    if cookie in LANGUAGES:
        return cookie
    for tag in _preferred(accept_language or ""):
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return default


def _preferred(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _lang(ctx: Context) -> str:
    return str(ctx.get("lang", "en"))


@pass_context
def _gettext(ctx: Context, message: str) -> str:
    return translations(_lang(ctx)).gettext(message)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return translations(_lang(ctx)).ngettext(singular, plural, n)


@pass_context
def format_date(ctx: Context, value: datetime, format: str = "medium") -> str:
    return babel_format_date(value, format=format, locale=_lang(ctx))


@pass_context
def format_amount(ctx: Context, value: float | None) -> str:
    """1.5 -> "1,5" in French; whole numbers without decimals."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##", locale=_lang(ctx))


@pass_context
def content_lang(ctx: Context, value: str | None) -> Markup:
    """` lang="fr"` on content written in another language than the page's (a French recipe
    read in the English interface is spoken with French rules), nothing otherwise."""
    if value in LANGUAGES and value != _lang(ctx):
        return Markup(' lang="%s"') % value
    return Markup("")


def configure_jinja(env: Environment) -> None:
    # Fragments travel in every SSE event: no blank lines left behind by template tags.
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.add_extension("jinja2.ext.i18n")
    # Context-aware callables: each render uses the language in its own context, so concurrent
    # requests in different languages never share state.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    env.filters["date"] = format_date
    env.filters["amount"] = format_amount
    env.globals["languages"] = LANGUAGES
    env.globals["content_lang"] = content_lang


def language_names() -> dict[str, str]:
    return {"fr": "Français", "en": "English"}


def context_defaults(lang: str) -> dict[str, Any]:
    return {"lang": lang, "language_names": language_names()}
