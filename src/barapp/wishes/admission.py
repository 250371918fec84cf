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


async def wish_of_form(token: str | None) -> str | None:
    """The wish already made with this form, if it was sent before."""
    if token is None:
        return None
    row = await Generation.select(Generation.id).where(Generation.form_token == token).first()
    return str(row["id"]) if row else None


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
