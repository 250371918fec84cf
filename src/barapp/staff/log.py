"""The log of generations: what went wrong, how long each step took, for the bartenders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_datetime, format_time
from litestar import get
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from barapp.store.statuses import GenerationStatus as Status
from barapp.store.tables import Generation
from barapp.web.errors import BadFilter
from barapp.web.rendering import language_of, page
from barapp.web.requests import wants_partial
from barapp.web.sessions import bartender_only

GUARDS = [bartender_only]
LOG_SIZE = 100
PROBLEMS = (Status.FAILED, Status.STOPPED, Status.INTERRUPTED)
# The log's filters: the default shows every generation that went wrong (or was cut short).
LOG_FILTERS = ("problems", *PROBLEMS, Status.REFUSED, "all")


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


SEPARATORS = " :-–—,;."


def said_once(status: str, reason: str, detail: str) -> tuple[str, str]:
    """The reason and the detail as the log shows them, each thing said once beside the
    status's badge: a reason that is the status itself (stopped, interrupted) is left to the
    badge, and a detail that opens by restating its reason ("busy: …", "stopped by …") loses
    that opening."""
    for said in dict.fromkeys((reason, reason.replace("_", " "))):
        opening, rest = detail[: len(said)], detail[len(said) :]
        if said and opening.casefold() == said.casefold() and rest[:1] in ("", *SEPARATORS):
            detail = rest.lstrip(SEPARATORS)
            break
    return ("" if reason == status else reason), detail


def _log_entry(row: dict[str, Any], lang: str) -> dict[str, Any]:

    def when(value: datetime | None, with_date: bool = False) -> str:
        if value is None:
            return ""
        local = value.astimezone()  # the bar's clock: the server's own time zone
        if with_date:
            return format_datetime(local, "medium", tzinfo=local.tzinfo, locale=lang)
        return format_time(local, "medium", tzinfo=local.tzinfo, locale=lang)

    # Without a reason nothing went wrong (a refusal's detail is the model's message).
    reason, detail = ("", "")
    if row["reason"]:
        reason, detail = said_once(row["status"], row["reason"], row["detail"] or "")
    return {
        **row,
        "reason_shown": reason,
        "detail_shown": detail,
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
        # The drink's rating (ratings/), as its card shows it.
        Generation.cocktail.rating_count.as_alias("cocktail_rating_count"),
        Generation.cocktail.rating_sum.as_alias("cocktail_rating_sum"),
    )
    if status == "problems":
        # A drink kept from a cut-off answer (a loop, num_predict) went half wrong: its
        # reason says why, and its detail what was kept.
        kept_cut = (Generation.status == Status.DONE) & (Generation.reason != "")
        select = select.where(Generation.status.is_in(list(PROBLEMS)) | kept_cut)
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
    template = "_generation_log.html" if wants_partial(request) else "bar_generations.html"
    return page(request, template, **context)


ROUTES = [generation_log]
