"""Whether a wish may be made: the models offered (and whether Ollama answers), a guest's
hourly quotas and the bar's switch, and the wish a form already made (its one-time token)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from barapp.settings import Settings
from barapp.store.bar_settings import Bar
from barapp.store.statuses import GenerationStatus
from barapp.store.tables import Generation
from barapp.wishes import llm
from barapp.wishes.job import Jobs

MAX_WISH = 500
FORM_TOKEN = re.compile(r"[0-9a-f]{32}")
"""The shape of the token each wish form carries (`form_token()` in the templates)."""


async def offered_models(jobs: Jobs, settings: Settings) -> tuple[list[str], bool]:
    """The models guests may pick, and whether Ollama is down (then: the configured ones)."""
    try:
        models = await jobs.ollama.models()
    except llm.LLMFailure:
        fallback = list(settings.ollama_models) or [settings.ollama_default_model]
        return fallback, True
    return models or [settings.ollama_default_model], False


async def wish_of_form(token: str | None, guest: str) -> tuple[str | None, str | None]:
    """(the wish this guest already made with this form, the token to record with a new one).
    A token another guest used (their page, come back by the Back button after the tablet
    was reset for a new guest) is not this guest's to resend: the wish is new, without it."""
    if token is None:
        return None, None
    row = (
        await Generation.select(Generation.id, Generation.guest)
        .where(Generation.form_token == token)
        .first()
    )
    if row is None:
        return None, token
    return (str(row["id"]), token) if row["guest"] == guest else (None, None)


async def guest_limit(bar: Bar, guest: str, ip: str) -> str | None:
    """Why a guest may not wish now: "closed", "quota_guest", "quota_ip", or None."""
    if not bar.guests_may_generate:
        return "closed"
    since = datetime.now(UTC) - timedelta(hours=1)
    # A wish the bar failed to serve does not count against the guest.
    unserved = [GenerationStatus.FAILED, GenerationStatus.INTERRUPTED]
    counted = Generation.status.not_in(unserved) & (Generation.created_at > since)
    for column, value, limit, reason in (
        (Generation.guest, guest, bar.guest_wishes_per_hour, "quota_guest"),
        (Generation.ip, ip, bar.ip_wishes_per_hour, "quota_ip"),
    ):
        if limit and value and await Generation.count().where(counted & (column == value)) >= limit:
            return reason
    return None
